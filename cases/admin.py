import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponseBadRequest
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from cases.admin_base import EncryptedDeferredMixin, ReadOnlyAdmin, ReadOnlyInline
from cases.admin_verification import CaseVerificationAdminMixin
from cases.choices import Flag
from cases.errors import CaseError
from cases.lib import idnumber
from cases.lib.exchange import BlacklistInput
from cases.models import (
    AccessLog,
    AidRecord,
    BlacklistEntry,
    Case,
    CaseEvent,
    CaseFlag,
    CheckResult,
    Document,
    Partner,
    Person,
)
from cases.services.access import REVEALABLE, identity_reveal, revealable_for
from cases.services.identity import id_hashes
from cases.services.intake import blacklist_add
from cases.services.verification import case_queryset_for_verification, case_reject, cases_verify, flag_override
from matching.models import Proposal

MASKED_ID = re.compile(r"\d{4}\*{10}[\dX]{4}")


class ReasonActionForm(ActionForm):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class CaseActionForm(ReasonActionForm):
    flag = forms.ChoiceField(label=_("flag"), choices=[("", "---------"), *Flag.choices], required=False)


class RevealForm(forms.Form):
    field = forms.ChoiceField(choices=[(field, label) for field, (label, _mask) in REVEALABLE.items()])


class DocumentInline(ReadOnlyInline):
    model = Document
    fields = ("doc_type", "received_at")
    readonly_fields = fields


class CheckResultInline(ReadOnlyInline):
    model = CheckResult
    fields = ("check_code", "passed", "flag", "reason", "version", "checked_at")
    readonly_fields = fields


class CaseFlagInline(ReadOnlyInline):
    model = CaseFlag
    fields = ("code", "reason", "overridden_at", "overridden_by", "override_reason")
    readonly_fields = fields


class ProposalInline(ReadOnlyInline):
    model = Proposal
    fields = ("run", "program", "amount", "priority", "status", "reason")
    readonly_fields = fields


class CaseEventInline(ReadOnlyInline):
    model = CaseEvent
    fields = ("created_at", "code", "actor_label", "data")
    readonly_fields = fields


class AccessLogInline(ReadOnlyInline):
    """The case's audit trail: who looked, where, and who revealed which full number."""

    model = AccessLog
    verbose_name_plural = _("access log")
    fields = ("at", "user", "where", "kind", "field")
    readonly_fields = fields
    ordering = ("-at",)


class ActiveFlagFilter(admin.SimpleListFilter):
    title = _("active flag")
    parameter_name = "flag"

    def lookups(self, request, model_admin):
        return Flag.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(flags__code=self.value(), flags__overridden_at__isnull=True)
        return queryset


class ProgramFilter(admin.SimpleListFilter):
    title = _("program")
    parameter_name = "program"

    def lookups(self, request, model_admin):
        from matching.models import Program

        return [(p.pk, str(p)) for p in Program.objects.order_by("name")]

    def queryset(self, request, queryset):
        if self.value():
            pid = self.value()
            return queryset.filter(
                Q(foundation_application__program_id=pid)
                | Q(pap_application__program_id=pid)
                | Q(proposals__program_id=pid)
            ).distinct()
        return queryset


@admin.register(Case)
class CaseAdmin(CaseVerificationAdminMixin, EncryptedDeferredMixin, admin.ModelAdmin):
    list_display = (
        "ref",
        "patient_name",
        "masked_id_number",
        "channel",
        "status",
        "tier",
        "icd10",
        "need",
        "submitted_at",
    )
    list_filter = ("channel", "status", ActiveFlagFilter, "tier", ProgramFilter)
    search_fields = ("ref", "patient_name")
    date_hierarchy = "submitted_at"
    list_select_related = ("person",)
    action_form = CaseActionForm
    actions = ("reverify", "override_flag", "reject")
    inlines = (DocumentInline, CheckResultInline, CaseFlagInline, ProposalInline, CaseEventInline, AccessLogInline)
    readonly_fields = (
        "ref", "channel", "source", "submitted_at", "person", "masked_id_number", "masked_phone", "patient_name",
        "patient_birth_date", "patient_sex", "patient_province", "patient_city", "status", "tier", "icd10",
        "risk_score", "expected_cost", "expected_oop", "need", "priority", "duplicate_of", "request_amount",
        "request_purpose", "insurance_basic", "critical_illness_payout", "consent_data_sharing",
        "consent_public_disclosure", "household_summary", "diagnosis_summary", "channel_summary", "disease_entry",
        "highest_oop", "cost_formula", "risk_explained", "verified_with", "disclosure_page",
    )  # fmt: skip
    fieldsets = (
        (_("Case"), {"fields": ("ref", "channel", "source", "submitted_at", "status", "duplicate_of")}),
        (_("Patient"), {"fields": ("person", "patient_name", "masked_id_number", "masked_phone", "patient_birth_date",
                                   "patient_sex", "patient_province", "patient_city")}),
        (_("Illness and request"), {"fields": ("diagnosis_summary", "icd10", "disease_entry", "request_amount",
                                               "request_purpose", "insurance_basic", "critical_illness_payout",
                                               "channel_summary")}),
        (_("Household"), {"fields": ("household_summary", "tier")}),
        (_("Assessment"), {"fields": ("need", "priority", "risk_score", "risk_explained", "expected_cost",
                                      "expected_oop", "highest_oop", "cost_formula", "verified_with")}),
        (_("Consent"), {"fields": ("consent_data_sharing", "consent_public_disclosure", "disclosure_page")}),
    )  # fmt: skip

    def has_add_permission(self, request):
        return False  # cases come in through the API or an import, with their validation

    def has_delete_permission(self, request, obj=None):
        return False

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().upper()
        if idnumber.is_valid(term):
            return queryset.filter(patient_id_hash__in=id_hashes(term)), False
        if MASKED_ID.fullmatch(term):
            # Exactly the mask the lists show (1101**********002X); any other pattern would let a
            # search reveal hidden digits one at a time.
            return queryset.filter(patient_id_masked=term), False
        return super().get_search_results(request, queryset, search_term)

    def get_urls(self):
        reveal = path(
            "<path:object_id>/reveal/", self.admin_site.admin_view(self.reveal_view), name="cases_case_reveal"
        )
        return [reveal, *super().get_urls()]  # before the catch-all <object_id>/ of the admin

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if object_id and str(object_id).isdigit():
            AccessLog.objects.create(case_id=int(object_id), user=request.user, where="admin")
        case = self.get_object(request, object_id)
        if case is not None and request.user.has_perm("cases.reveal_identity"):
            extra_context = {**(extra_context or {}), "revealable": revealable_for(case=case)}
        return super().change_view(request, object_id, form_url, extra_context)

    @method_decorator(require_POST)
    def reveal_view(self, request, object_id):
        """Show one full number in this response only, for a case worker allowed to; the reveal is logged."""
        if not request.user.has_perm("cases.reveal_identity"):
            raise PermissionDenied
        case = self._case_or_404(request, object_id, where=None)  # the reveal logs itself
        form = RevealForm(request.POST)
        if not form.is_valid():
            return HttpResponseBadRequest(form.errors.as_text())
        field = form.cleaned_data["field"]
        try:
            value = identity_reveal(case=case, field=field, user=request.user, where="admin")
        except CaseError as exc:  # the case has no such number
            return HttpResponseBadRequest(str(exc))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": case,
            "title": _("Revealed: %(label)s") % {"label": REVEALABLE[field][0]},
            "label": REVEALABLE[field][0],
            "value": value,
        }
        return TemplateResponse(request, "admin/cases/case/reveal.html", context)

    @admin.display(description=_("household"))
    def household_summary(self, obj):
        h = getattr(obj, "household", None)
        if h is None:
            return "-"
        assets = f"; houses {h.houses}, car {h.car_value}, financial {h.financial_assets}" if h.assets_declared else ""
        return f"{h.size} people, income {h.annual_income}/year, {h.get_dibao_status_display()}{assets}"

    @admin.display(description=_("diagnosis"))
    def diagnosis_summary(self, obj):
        d = getattr(obj, "diagnosis", None)
        if d is None:
            return "-"
        return f"{d.text} [{d.icd10_given or '?'}] {d.hospital} {d.hospital_level} {d.diagnosed_on or ''}"

    @admin.display(description=_("cost formula"))
    def cost_formula(self, obj):
        inputs = obj.cost_inputs or {}
        return "; ".join(f"{k} {v}" for k, v in inputs.items()) or "-"

    @admin.display(description=_("risk factors"))
    def risk_explained(self, obj):
        words = [f.get("words", "") for f in obj.risk_factors or []]
        suffix = f" ({obj.risk_model_version})" if obj.risk_model_version else ""
        return ("; ".join(w for w in words if w) or "-") + suffix

    @admin.display(description=_("public disclosure page"))
    def disclosure_page(self, obj):
        from django.urls import reverse
        from django.utils.html import format_html

        if not obj.disclosure_token:
            return "-"
        url = reverse("disclosure:detail", args=[obj.disclosure_token])
        return format_html('<a href="{}">{}</a>', url, url)

    @admin.display(description=_("channel details"))
    def channel_summary(self, obj):
        if hasattr(obj, "campaign"):
            c = obj.campaign
            return f"raiser {c.raiser_name} ({c.get_raiser_relation_display()}), target {c.target}, raised {c.raised}"
        program = obj.target_program
        return f"program {program}" if program else "-"

    @admin.action(description=_("Re-verify selected cases"))
    def reverify(self, request, queryset):
        cases = cases_verify(cases=list(case_queryset_for_verification().filter(pk__in=queryset.values("pk"))),
                             user=request.user)  # fmt: skip
        self.message_user(request, _("%d case(s) re-verified.") % len(cases))

    @admin.action(description=_("Override the chosen flag on selected cases (reason required)"))
    def override_flag(self, request, queryset):
        code, reason = request.POST.get("flag", ""), request.POST.get("reason", "")
        flags = CaseFlag.objects.filter(case__in=queryset, code=code, overridden_at__isnull=True).select_related("case")
        try:
            count = sum(1 for flag in flags if flag_override(flag=flag, user=request.user, reason=reason))
        except CaseError as exc:
            self.message_user(request, str(exc), level=messages.ERROR)
            return
        self.message_user(request, _("%d flag(s) overridden.") % count)

    @admin.action(description=_("Reject selected cases (reason required)"))
    def reject(self, request, queryset):
        reason = request.POST.get("reason", "")
        try:
            for case in queryset:
                case_reject(case=case, user=request.user, reason=reason)
        except CaseError as exc:
            self.message_user(request, str(exc), level=messages.ERROR)
            return
        self.message_user(request, _("%d case(s) rejected.") % queryset.count())


@admin.register(CaseFlag)
class CaseFlagAdmin(EncryptedDeferredMixin, admin.ModelAdmin):
    list_display = ("case", "code", "reason", "overridden_at", "overridden_by", "override_reason")
    list_select_related = ("case", "overridden_by")
    list_filter = ("code", ("overridden_at", admin.EmptyFieldListFilter))
    search_fields = ("case__ref",)
    readonly_fields = ("case", "code", "reason", "raised_at", "overridden_at", "overridden_by", "override_reason")
    action_form = ReasonActionForm
    actions = ("override",)

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Override selected flags (reason required)"))
    def override(self, request, queryset):
        reason = request.POST.get("reason", "")
        try:
            for flag in queryset.select_related("case"):
                flag_override(flag=flag, user=request.user, reason=reason)
        except CaseError as exc:
            self.message_user(request, str(exc), level=messages.ERROR)
            return
        self.message_user(request, _("%d flag(s) overridden.") % queryset.count())


@admin.register(Person)
class PersonAdmin(EncryptedDeferredMixin, admin.ModelAdmin):
    list_display = ("public_id", "name", "id_masked", "birth_date", "sex", "province")
    search_fields = ("public_id", "name")
    fields = ("public_id", "name", "id_masked", "birth_date", "sex", "province", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False


class BlacklistEntryForm(forms.ModelForm):
    class Meta:
        model = BlacklistEntry
        fields = ("id_number", "name", "reason", "since")

    def clean_id_number(self):
        try:
            return idnumber.parse(self.cleaned_data["id_number"]).value
        except idnumber.IdNumberError as exc:
            raise forms.ValidationError(str(exc)) from None


@admin.register(BlacklistEntry)
class BlacklistEntryAdmin(EncryptedDeferredMixin, admin.ModelAdmin):
    form = BlacklistEntryForm
    list_display = ("name", "id_masked", "reason", "since")
    search_fields = ("name", "reason")

    def get_fields(self, request, obj=None):
        # A new entry needs the full number; an existing one shows it masked only.
        return ("id_number", "name", "reason", "since") if obj is None else ("id_masked", "name", "reason", "since")

    def get_readonly_fields(self, request, obj=None):
        return ("id_masked",) if obj else ()

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # Through the service, so that cases naming this person are verified again.
        entry, _ = blacklist_add(data=BlacklistInput(id_number=obj.id_number, name=obj.name, reason=obj.reason,
                                                     since=obj.since))  # fmt: skip
        obj.pk, obj.id_hash = entry.pk, entry.id_hash


@admin.register(AidRecord)
class AidRecordAdmin(EncryptedDeferredMixin, admin.ModelAdmin):
    list_display = ("ref", "case", "person", "provider", "amount", "date", "icd10")
    list_select_related = ("case", "person")
    search_fields = ("ref", "provider", "case__ref")
    readonly_fields = ("ref", "case", "person", "provider", "amount", "date", "icd10")

    def has_add_permission(self, request):
        return False


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("name", "user")


@admin.register(AccessLog)
class AccessLogAdmin(EncryptedDeferredMixin, ReadOnlyAdmin):
    list_display = ("at", "user", "case", "where", "kind", "field")
    list_select_related = ("user", "case")
    list_filter = ("where", "kind")
    readonly_fields = ("at", "user", "case", "where", "kind", "field")


# The identity review queue and the disease-cost library register themselves.
from cases import admin_identity, admin_library  # noqa: E402, F401, I001
