"""The identity review queue: two records side by side, merge or split with a reason."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cases.admin_base import EncryptedDeferredMixin
from cases.errors import CaseError
from cases.models import AccessLog, Case, IdentityReview
from cases.services.identity import review_decide

# What a case worker compares, row by row; identity numbers and phones masked.
COMPARED = (
    (_("ref"), lambda c: c.ref),
    (_("channel"), lambda c: f"{c.get_channel_display()} · {c.source}"),
    (_("submitted at"), lambda c: c.submitted_at.strftime("%Y-%m-%d")),
    (_("patient name"), lambda c: c.patient_name),
    (_("identity number"), lambda c: c.masked_id_number or "-"),
    (_("birth date"), lambda c: c.patient_birth_date.isoformat()),
    (_("sex"), lambda c: c.get_patient_sex_display()),
    (_("province"), lambda c: c.patient_province),
    (_("city"), lambda c: c.patient_city or "-"),
    (_("phone"), lambda c: c.masked_phone or "-"),
    (_("diagnosis"), lambda c: f"{c.diagnosis.text} [{c.icd10 or c.diagnosis.icd10_given or '?'}]"),
    (_("hospital"), lambda c: c.diagnosis.hospital or "-"),
    (_("person"), lambda c: c.person.public_id),
)


@admin.register(IdentityReview)
class IdentityReviewAdmin(EncryptedDeferredMixin, admin.ModelAdmin):
    list_display = ("pair", "probability", "status", "created_at", "decided_by", "decision_reason")
    list_filter = ("status",)
    search_fields = ("case_a__ref", "case_b__ref")
    list_select_related = ("case_a", "case_b", "decided_by")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("cases"))
    def pair(self, obj):
        return f"{obj.case_a.ref} ~ {obj.case_b.ref}"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        review = get_object_or_404(IdentityReview.objects.select_related("decided_by"), pk=object_id)
        if not self.has_view_or_change_permission(request, review):
            raise PermissionDenied
        if request.method == "POST":
            return self._decide(request, review)
        cases = {c.pk: c for c in Case.objects.select_related("diagnosis", "person").filter(
            pk__in=[review.case_a_id, review.case_b_id])}  # fmt: skip
        a, b = cases[review.case_a_id], cases[review.case_b_id]
        AccessLog.objects.bulk_create([AccessLog(case=c, user=request.user, where="identity_review") for c in (a, b)])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Same person?"),
            "review": review,
            "rows": [(label, show(a), show(b), show(a) == show(b)) for label, show in COMPARED],
            "can_decide": review.status == IdentityReview.Status.OPEN and self.has_change_permission(request, review),
        }
        return TemplateResponse(request, "admin/cases/identityreview/compare.html", context)

    def _decide(self, request, review):
        if not self.has_change_permission(request, review):
            raise PermissionDenied
        verdict = request.POST.get("verdict", "")
        try:
            review_decide(
                review_id=review.pk, verdict=verdict, user=request.user, reason=request.POST.get("reason", "")
            )
        except CaseError as exc:
            self.message_user(request, str(exc), level=messages.ERROR)
            return HttpResponseRedirect(request.path)
        self.message_user(request, _("Decision recorded; need and matching recomputed for both persons."))
        return HttpResponseRedirect(reverse("admin:cases_identityreview_changelist"))
