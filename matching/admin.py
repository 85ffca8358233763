from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from cases.admin_base import EncryptedDeferredMixin, ReadOnlyAdmin, ReadOnlyInline
from cases.models import Case
from cases.services.intake import cases_reverify
from matching.models import Award, Episode, Foundation, FoundationMember, MatchRun, Program, Proposal
from matching.services.proposals import proposals_supersede


class FoundationMemberInline(admin.TabularInline):
    model = FoundationMember
    extra = 0


@admin.register(Foundation)
class FoundationAdmin(admin.ModelAdmin):
    list_display = ("ref", "name", "uscc", "uscc_status", "contact_email")
    list_filter = ("uscc_status",)
    search_fields = ("ref", "name", "uscc")
    readonly_fields = ("uscc_status", "uscc_note")
    inlines = (FoundationMemberInline,)


class ProgramForm(forms.ModelForm):
    class Meta:
        model = Program
        exclude = ("awarded_total",)

    def clean_budget(self):
        budget = self.cleaned_data["budget"]
        if self.instance.pk and budget < self.instance.awarded_total:
            raise forms.ValidationError(_("%(budget)s is below the %(awarded)s already awarded")
                                        % {"budget": budget, "awarded": self.instance.awarded_total})  # fmt: skip
        return budget


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    form = ProgramForm
    list_display = ("ref", "name", "foundation", "channel", "aid_type", "cap_per_case", "budget", "awarded_total")
    list_filter = ("channel", "aid_type", "foundation")
    search_fields = ("ref", "name", "drug")
    readonly_fields = ("awarded_total",)

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            return
        # The awarded total belongs to the award service: never write back the value this form read.
        locked = Program.objects.select_for_update().get(pk=obj.pk)
        obj.awarded_total = locked.awarded_total
        changed = [name for name in form.changed_data if name != "awarded_total"]
        if changed:
            obj.save(update_fields=changed)
            reason = f"program {obj.ref} changed in the admin by {request.user.get_username()}"
            proposals_supersede(program=obj, reason=reason)
            cases_reverify(
                cases=Case.objects.filter(Q(foundation_application__program=obj) | Q(pap_application__program=obj)),
                reason=reason,
            )


@admin.register(MatchRun)
class MatchRunAdmin(admin.ModelAdmin):
    list_display = ("id", "status", "trigger", "started_at", "finished_at", "proposal_count")
    list_filter = ("status", "trigger")
    readonly_fields = ("status", "trigger", "started_at", "finished_at", "step_timings", "counts", "error")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("proposals"))
    def proposal_count(self, obj):
        return obj.counts.get("match.proposals", "-")

    def get_urls(self):
        run_now = self.admin_site.admin_view(require_POST(self.run_now_view))
        return [path("run-now/", run_now, name="matching_matchrun_run_now"), *super().get_urls()]

    def run_now_view(self, request):
        """Queue the same task the 02:00 schedule runs; the run's row shows how it went."""
        from matching.tasks import nightly_run

        if not self.has_change_permission(request):
            raise PermissionDenied
        trigger = f"admin:{request.user.get_username()}"
        transaction.on_commit(lambda: nightly_run.delay(trigger=trigger))
        self.message_user(request, _("A nightly run was queued."))
        return redirect("admin:matching_matchrun_changelist")


@admin.register(Proposal)
class ProposalAdmin(EncryptedDeferredMixin, admin.ModelAdmin):
    list_display = ("id", "run", "case", "program", "amount", "priority", "status", "decided_at")
    list_select_related = ("run", "case", "program")
    list_filter = ("status", "program__foundation", "program")
    search_fields = ("case__ref", "program__ref")
    readonly_fields = [f.name for f in Proposal._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Award)
class AwardAdmin(EncryptedDeferredMixin, admin.ModelAdmin):
    list_display = ("id", "case", "program", "amount", "status", "created_by", "created_at")
    list_select_related = ("case", "program", "created_by")
    list_filter = ("status", "program")
    search_fields = ("case__ref", "program__ref")
    readonly_fields = [f.name for f in Award._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EpisodeCaseInline(EncryptedDeferredMixin, ReadOnlyInline):
    model = Case
    fk_name = "episode"
    fields = ("ref", "channel", "status", "icd10", "request_amount", "need", "duplicate_of")
    readonly_fields = fields
    show_change_link = True


@admin.register(Episode)
class EpisodeAdmin(EncryptedDeferredMixin, ReadOnlyAdmin):
    """The ledger, read only: the need step and awards write it, the database guards it."""

    list_display = ("id", "person", "categories", "carrier", "asked", "received_outside", "awarded", "need")
    list_select_related = ("person", "carrier")
    search_fields = ("person__public_id", "cases__ref")
    readonly_fields = [f.name for f in Episode._meta.fields] + ["need"]
    inlines = [EpisodeCaseInline]
