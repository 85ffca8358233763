"""The foundation portal: a foundation's staff see only their own programs and proposals."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases.errors import CaseError
from cases.models import AccessLog
from matching.choices import ProposalStatus
from matching.models import Foundation, FoundationMember, Proposal
from matching.portal.forms import AcceptForm, DeclineForm
from matching.selectors import program_list_for_foundation, proposal_list_for_foundation
from matching.services.awards import proposal_accept, proposal_decline


def _foundation(request) -> Foundation:
    member = FoundationMember.objects.filter(user=request.user).select_related("foundation").first()
    if member is None:
        raise PermissionDenied(_("This account does not belong to a foundation."))
    return member.foundation


@login_required
def home(request):
    foundation = _foundation(request)
    programs = program_list_for_foundation(foundation=foundation).annotate(
        open_count=Count("proposals", filter=Q(proposals__status=ProposalStatus.OPEN))
    )
    return render(request, "portal/home.html", {"foundation": foundation, "programs": programs})


@login_required
def program_detail(request, ref: str):
    foundation = _foundation(request)
    program = get_object_or_404(program_list_for_foundation(foundation=foundation), ref=ref)
    status = request.GET.get("status", ProposalStatus.OPEN)
    proposals = (
        proposal_list_for_foundation(foundation=foundation)
        .filter(program=program, status=status)
        .select_related("case__diagnosis")
        .order_by("-priority", "id")[:500]
    )
    return render(
        request,
        "portal/program.html",
        {
            "foundation": foundation,
            "program": program,
            "proposals": proposals,
            "status": status,
            "statuses": ProposalStatus.choices,
        },  # fmt: skip
    )


def _proposal_page(request, foundation, proposal, *, accept_form=None, decline_form=None, status=200):
    AccessLog.objects.create(case=proposal.case, user=request.user, where="portal")
    context = {
        "foundation": foundation,
        "proposal": proposal,
        "case": proposal.case,
        # Flags a case worker has not yet resolved: the foundation decides knowing them. Their
        # reasons stay with case workers: they can name third parties or digits of an identity number.
        "active_flags": proposal.case.flags.filter(overridden_at__isnull=True).order_by("code"),
        "accept_form": accept_form or AcceptForm(),
        "decline_form": decline_form or DeclineForm(),
    }
    return render(request, "portal/proposal.html", context, status=status)


def _scoped_proposal(foundation, pk: int) -> Proposal:
    proposals = (
        proposal_list_for_foundation(foundation=foundation)
        .select_related("case__diagnosis", "case__household", "case__campaign")
        .defer("case__campaign__raiser_id_number", "case__campaign__raiser_phone")
    )
    return get_object_or_404(proposals, pk=pk)


@login_required
def proposal_detail(request, pk: int):
    foundation = _foundation(request)
    return _proposal_page(request, foundation, _scoped_proposal(foundation, pk))


def _decide(request, pk: int, form_class, act):
    """Validate the form, then let the service decide; errors show on the proposal's page."""
    foundation = _foundation(request)
    proposal = _scoped_proposal(foundation, pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            act(proposal, form.cleaned_data)
            return redirect("portal:program", ref=proposal.program.ref)
        except Proposal.DoesNotExist:
            raise Http404 from None
        except CaseError as exc:
            messages.error(request, str(exc))
            proposal.refresh_from_db()
    key = "accept_form" if form_class is AcceptForm else "decline_form"
    return _proposal_page(request, foundation, proposal, status=400, **{key: form})


@login_required
@require_POST
def proposal_accept_view(request, pk: int):
    def act(proposal, data):
        award = proposal_accept(proposal_id=proposal.pk, user=request.user, amount=data["amount"])
        messages.success(
            request, _("Accepted: %(amount)s for case %(ref)s.") % {"amount": award.amount, "ref": award.case.ref}
        )

    return _decide(request, pk, AcceptForm, act)


@login_required
@require_POST
def proposal_decline_view(request, pk: int):
    def act(proposal, data):
        proposal_decline(proposal_id=proposal.pk, user=request.user, reason=data["reason"])
        messages.success(request, _("Declined."))

    return _decide(request, pk, DeclineForm, act)
