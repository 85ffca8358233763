"""Verification in the admin: picking a diagnosis, planning and releasing payouts, the risk models."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from cases.admin_base import EncryptedDeferredMixin, ReadOnlyAdmin, ReadOnlyInline
from cases.choices import DocumentType
from cases.errors import CaseError
from cases.lib import money
from cases.lib.fields import encrypted_paths
from cases.models import AccessLog, Case, DisbursementPlan, DiseaseEntry, Instalment, PayeeKind, RiskModel
from cases.services.disbursement import EVIDENCE_TYPES, instalment_release, plan_create, staged_rule
from cases.services.verification import diagnosis_pick


class PickDiagnosisForm(forms.Form):
    entry = forms.ModelChoiceField(label=_("library entry"), queryset=DiseaseEntry.objects.order_by("name_zh"))
    code = forms.CharField(
        label=_("ICD-10 code"),
        required=False,
        max_length=16,
        help_text=_("optional: the most specific code, e.g. C92.0; blank uses the entry's"),
    )
    reason = forms.CharField(label=_("reason"), max_length=500)


class PlanForm(forms.Form):
    payee_kind = forms.ChoiceField(label=_("payee"), choices=PayeeKind.choices)
    payee_name = forms.CharField(label=_("payee name"), max_length=128)
    payee_account = forms.CharField(label=_("payee account"), max_length=64)
    instalments = forms.CharField(
        label=_("instalments"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("one per line: amount, then what it pays for (e.g. '100000 first chemotherapy cycle')"),
    )

    def clean_instalments(self) -> list[tuple[Decimal, str]]:
        out = []
        for number, line in enumerate(self.cleaned_data["instalments"].splitlines(), start=1):
            if not line.strip():
                continue
            amount, _sep, purpose = line.strip().partition(" ")
            try:
                out.append((money.parse(amount), purpose.strip()))
            except money.MoneyError as exc:
                raise forms.ValidationError(f"line {number}: {exc}") from None
        return out


class ReleaseForm(forms.Form):
    evidence_type = forms.ChoiceField(
        label=_("evidence"), choices=[(t.value, t.label) for t in DocumentType if t in EVIDENCE_TYPES]
    )
    evidence_ref = forms.CharField(label=_("invoice or record number"), max_length=128)


def _suggested_instalments(raised: Decimal, staged: bool) -> str:
    if not staged:
        return f"{raised} "
    first = (raised * Decimal("0.4")).quantize(Decimal("1"))
    second = (raised * Decimal("0.3")).quantize(Decimal("1"))
    return f"{first} \n{second} \n{raised - first - second} "


class CaseVerificationAdminMixin:
    """Pages on a case: pick its diagnosis entry, plan its payout."""

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/pick-diagnosis/", wrap(self.pick_diagnosis_view), name="cases_case_pick_diagnosis"),
            path("<path:object_id>/plan-payout/", wrap(self.plan_payout_view), name="cases_case_plan_payout"),
            *super().get_urls(),
        ]

    def _case_or_404(self, request, object_id, where: str | None) -> Case:
        """The case, for a page that shows its data: the look-up is the admin's own (masks only,
        nothing decrypted), and the look is logged as the case page logs it (``where``; None for a
        page that logs what it shows itself, as a reveal does)."""
        case = self.get_object(request, object_id)
        if case is None or not self.has_view_permission(request, case):
            raise Http404
        if where:
            AccessLog.objects.create(case=case, user=request.user, where=where)
        return case

    def _form_page(self, request, case, form, title, summary):
        context = {**self.admin_site.each_context(request), "opts": self.opts, "original": case, "title": title,
                   "form": form, "summary": summary}  # fmt: skip
        return TemplateResponse(request, "admin/cases/case/action_form.html", context)

    def pick_diagnosis_view(self, request, object_id):
        case = self._case_or_404(request, object_id, "admin:pick-diagnosis")
        if not self.has_change_permission(request, case):
            raise PermissionDenied
        form = PickDiagnosisForm(request.POST or None, initial={"entry": case.disease_entry_id})
        if request.method == "POST" and form.is_valid():
            try:
                diagnosis_pick(case=case, user=request.user, **form.cleaned_data)
            except CaseError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, _("Diagnosis picked; the case was verified again."))
                return HttpResponseRedirect(reverse("admin:cases_case_change", args=[case.pk]))
        d = case.diagnosis
        confidence = d.matched_confidence if d.matched_confidence is not None else "-"
        summary = [(_("diagnosis as written"), d.text), (_("ICD-10 as given"), d.icd10_given or "-"),
                   (_("normaliser confidence"), confidence)]  # fmt: skip
        return self._form_page(request, case, form, _("Pick the diagnosis"), summary)

    def plan_payout_view(self, request, object_id):
        case = self._case_or_404(request, object_id, "admin:plan-payout")
        if not request.user.has_perm("cases.add_disbursementplan"):
            raise PermissionDenied
        try:
            rule = staged_rule(case)  # refuses anything but a campaign
        except CaseError as exc:
            raise Http404(str(exc)) from None
        initial = {"payee_kind": PayeeKind.HOSPITAL if rule.staged else PayeeKind.FAMILY,
                   "payee_name": case.diagnosis.hospital,
                   "instalments": _suggested_instalments(rule.raised, rule.staged)}  # fmt: skip
        form = PlanForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                plan = plan_create(case=case, user=request.user, **form.cleaned_data)
            except CaseError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, _("Disbursement plan recorded."))
                return HttpResponseRedirect(reverse("admin:cases_disbursementplan_change", args=[plan.pk]))
        summary = [(_("rule"), rule.reason), (_("raised"), money.format_cny(rule.raised))]
        return self._form_page(request, case, form, _("Plan the payout"), summary)


class InstalmentInline(ReadOnlyInline):
    model = Instalment
    fields = ("seq", "amount", "purpose", "status", "evidence_type", "evidence_ref", "released_by", "released_at",
              "release_link")  # fmt: skip
    readonly_fields = fields

    @admin.display(description=_("release"))
    def release_link(self, obj):
        from django.utils.html import format_html

        if obj.status != Instalment.Status.PLANNED:
            return "-"
        url = reverse("admin:cases_disbursementplan_release", args=[obj.plan_id, obj.seq])
        return format_html('<a href="{}">{}</a>', url, _("Release…"))


@admin.register(DisbursementPlan)
class DisbursementPlanAdmin(EncryptedDeferredMixin, ReadOnlyAdmin):
    """Plans are made from a case's page and released instalment by instalment; nothing here edits them."""

    list_display = ("case", "staged", "payee_kind", "payee_name", "total", "released_total", "instalment_count",
                    "created_at")  # fmt: skip
    list_filter = ("staged", "payee_kind")
    search_fields = ("case__ref", "payee_name")
    readonly_fields = ("case", "raised", "disclosure_complete", "staged", "rule", "payee_kind", "payee_name",
                       "payee_account_masked", "total", "instalment_count", "released_total", "created_by",
                       "created_at")  # fmt: skip
    fields = readonly_fields
    inlines = (InstalmentInline,)
    list_select_related = ("case",)

    def get_urls(self):
        release = path("<int:plan_id>/release/<int:seq>/", self.admin_site.admin_view(self.release_view),
                       name="cases_disbursementplan_release")  # fmt: skip
        return [release, *super().get_urls()]

    def release_view(self, request, plan_id, seq):
        if not request.user.has_perm("cases.change_instalment"):
            raise PermissionDenied
        instalment = (
            Instalment.objects.select_related("plan__case")
            .defer(*encrypted_paths(Instalment, ("plan", "plan__case")))
            .filter(plan_id=plan_id, seq=seq)
            .first()
        )
        if instalment is None:
            raise Http404
        AccessLog.objects.create(case_id=instalment.plan.case_id, user=request.user, where="admin:release")
        form = ReleaseForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                instalment_release(instalment=instalment, user=request.user, **form.cleaned_data)
            except CaseError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Instalment released."))
            return HttpResponseRedirect(reverse("admin:cases_disbursementplan_change", args=[plan_id]))
        plan = instalment.plan
        what = f"#{instalment.seq}: {money.format_cny(instalment.amount)} {instalment.purpose}"
        summary = [(_("rule"), plan.rule), (_("payee"), f"{plan.payee_name} {plan.payee_account_masked}"),
                   (_("instalment"), what)]  # fmt: skip
        context = {**self.admin_site.each_context(request), "opts": Case._meta, "original": plan.case,
                   "title": _("Release an instalment"), "form": form, "summary": summary}  # fmt: skip
        return TemplateResponse(request, "admin/cases/case/action_form.html", context)


@admin.register(RiskModel)
class RiskModelAdmin(ReadOnlyAdmin):
    list_display = ("version", "active", "trained_on", "created_at", "precision", "recall")
    fields = ("version", "active", "trained_on", "metrics", "created_at")
    readonly_fields = fields  # made by `manage.py train_risk_model`, never deleted: cases name their version

    @admin.display(description=_("precision"))
    def precision(self, obj):
        return obj.metrics.get("precision")

    @admin.display(description=_("recall"))
    def recall(self, obj):
        return obj.metrics.get("recall")
