"""Foundations deciding on proposals. An accepted proposal becomes an award.

At most one award per case and program, never past a program's budget and never past the
illness episode's need: all three are held by the database (a unique constraint, check
constraints on the program's and the episode's awarded totals), and the person, program and
episode rows are locked in that order while an award is made, so concurrent accepts queue
rather than race.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.choices import BLOCKING_FLAGS, CaseStatus
from cases.errors import CaseError
from cases.models import Person
from cases.services.events import event_log
from matching.choices import ProposalStatus
from matching.lib.eligibility import unmet
from matching.models import Award, FoundationMember, Program, Proposal
from matching.selectors import case_facts, program_rules
from matching.services.ledger import episode_award
from matching.services.need import episode_need_for_case


def _foundation_of(user):
    member = FoundationMember.objects.filter(user=user).select_related("foundation").first()
    return member.foundation if member else None


def _proposal_for_decision(*, proposal_id: int, user) -> Proposal:
    """The open proposal, locked; its case's person is locked first.

    Lock order, the same for accepts, declines, case workers' merges and the nightly need step:
    person, then program, then proposal, then episode. Only the proposal row itself is locked by
    its query (`of=self`): locking the joined case row too would take it out of that order.
    """
    person_id, program_id = Proposal.objects.filter(pk=proposal_id).values_list(
        "case__person_id", "program_id"
    ).first() or (None, None)
    Person.objects.select_for_update().filter(pk=person_id).first()
    Program.objects.select_for_update().filter(pk=program_id).first()
    proposal = (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("case", "program")
        .filter(pk=proposal_id)
        .first()
    )
    foundation = _foundation_of(user)
    # Only the program's own foundation decides: those who review cases do not also pay them.
    if proposal is None or foundation is None or proposal.program.foundation_id != foundation.id:
        raise Proposal.DoesNotExist(f"no proposal {proposal_id} for this user")
    if proposal.status != ProposalStatus.OPEN:
        raise CaseError(f"proposal {proposal_id} is {proposal.status}, not open")
    if proposal.case.person_id != person_id:
        raise CaseError(f"case {proposal.case.ref} was joined to another person meanwhile; try again")
    return proposal


def proposal_accept(*, proposal_id: int, user, amount: Decimal | None = None) -> Award:
    """Accept a proposal (optionally for less), within the episode's need and the program's budget."""
    try:
        with transaction.atomic():
            proposal = _proposal_for_decision(proposal_id=proposal_id, user=user)
            case = proposal.case
            amount = proposal.amount if amount is None else amount
            if amount <= 0 or amount > proposal.amount:
                raise CaseError(f"amount must be above 0 and at most the proposed {proposal.amount}")
            if case.status in (CaseStatus.REJECTED, CaseStatus.PENDING):
                raise CaseError(f"case {case.ref} is {case.status} since the proposal; it cannot be awarded now")
            if case.flags.filter(code__in=BLOCKING_FLAGS, overridden_at__isnull=True).exists():
                raise CaseError(f"case {case.ref} carries a flag that bars aid")
            program = Program.objects.select_for_update().get(pk=proposal.program_id)
            episode = episode_need_for_case(case=case)
            if episode is None or episode.carrier_id != case.id:
                raise CaseError(f"case {case.ref} no longer carries its episode's need")
            if amount > episode.need:
                raise CaseError(f"{amount} is more than the episode's remaining need {episode.need}")
            if amount > program.cap_per_case:
                raise CaseError(f"{amount} is more than program {program.ref}'s cap per case {program.cap_per_case}")
            unmet_now = unmet(program_rules(program), case_facts(case))
            if unmet_now:
                raise CaseError(
                    f"case {case.ref} no longer meets program {program.ref}: {'; '.join(map(str, unmet_now))}"
                )
            if amount > program.remaining_budget:
                raise CaseError(
                    f"{amount} is more than program {program.ref}'s remaining budget {program.remaining_budget}"
                )
            ledger = episode_award(anchor_id=episode.anchor_id, amount=amount)
            award = Award.objects.create(case=case, program=program, proposal=proposal, amount=amount,
                                         episode=ledger, created_by=user)  # fmt: skip
            # Computed in Python on the locked row: exact decimals on every database.
            Program.objects.filter(pk=program.pk).update(awarded_total=program.awarded_total + amount)
            proposal.status = ProposalStatus.ACCEPTED
            proposal.decided_by, proposal.decided_at = user, timezone.now()
            proposal.save(update_fields=["status", "decided_by", "decided_at"])
            event_log(case=case, code="match.accepted", user=user,
                      data={"program": program.ref, "amount": str(amount), "proposal": proposal.pk})  # fmt: skip
            return award
    except IntegrityError as exc:
        # The database's own refusal, when a concurrent accept got there first.
        proposal = Proposal.objects.select_related("program", "case").get(pk=proposal_id)
        if Award.objects.filter(case=proposal.case, program=proposal.program).exists():
            raise CaseError(
                f"case {proposal.case.ref} already has an award from program {proposal.program.ref}"
            ) from exc
        raise CaseError(f"program {proposal.program.ref} has no budget left for this award") from exc


@transaction.atomic
def proposal_decline(*, proposal_id: int, user, reason: str) -> Proposal:
    if not reason.strip():
        raise CaseError("declining needs a reason")
    proposal = _proposal_for_decision(proposal_id=proposal_id, user=user)
    proposal.status = ProposalStatus.DECLINED
    proposal.decided_by, proposal.decided_at = user, timezone.now()
    proposal.decision_reason = reason.strip()
    proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    event_log(case=proposal.case, code="match.declined", user=user,
              data={"program": proposal.program.ref, "reason": reason.strip()})  # fmt: skip
    return proposal
