"""Turning open need into proposals to foundation programs."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from cases.choices import BLOCKING_FLAGS, CaseStatus
from cases.models import Case, CaseFlag
from matching.choices import ProgramChannel, ProposalStatus
from matching.lib.allocation import Claim, Offer, allocate
from matching.lib.eligibility import met_summary, unmet
from matching.models import Award, MatchRun, Program, Proposal
from matching.selectors import case_facts, program_rules


def program_offer_value(*, program: Program, tier: str) -> tuple[Decimal, str]:
    """The most a program gives one case, and what sets that limit."""
    if program.channel == ProgramChannel.PAP and program.cycle_value:
        free = program.free_cycles or 0
        if program.hardship_free and tier == "hardship":
            free += program.paid_cycles or 0
            what = f"{free} free cycles of {program.drug} (hardship: every cycle free)"
        else:
            what = f"{free} free cycles of {program.drug} after {program.paid_cycles or 0} paid"
        value = program.cycle_value * free
        if value <= program.cap_per_case:
            return value, what
    return program.cap_per_case, "the program's cap per case"


def proposals_supersede(*, reason: str, cases=None, program: Program | None = None, run: MatchRun | None = None) -> int:
    """Withdraw open proposals made for a state that has since changed (a case, its episode, a program).

    Without this, a foundation could accept, and an export would still list, a proposal that no
    longer meets its program's conditions or its episode's need. The next run proposes anew.
    """
    standing = Proposal.objects.filter(status=ProposalStatus.OPEN)
    if cases is not None:
        standing = standing.filter(case__in=cases)
    if program is not None:
        standing = standing.filter(program=program)
    if run is not None:
        standing = standing.filter(run=run)
    return standing.update(status=ProposalStatus.SUPERSEDED, decision_reason=reason[:500], decided_at=timezone.now())


def matchable_cases():
    return (
        Case.objects.filter(status__in=[CaseStatus.VERIFIED, CaseStatus.FLAGGED], duplicate_of__isnull=True, need__gt=0)
        # One subquery, so that the code and the override are tested on the same flag row.
        .exclude(id__in=CaseFlag.objects.filter(code__in=BLOCKING_FLAGS, overridden_at__isnull=True).values("case_id"))
        .select_related("diagnosis", "household", "foundation_application", "pap_application")
        .prefetch_related("documents")
    )


@transaction.atomic
def proposals_make(*, run: MatchRun) -> dict[str, int]:
    """Supersede earlier open proposals and propose anew within need, caps and budgets."""
    superseded = proposals_supersede(reason=f"superseded by run {run.pk}")  # this run has none yet
    programs = {p.id: p for p in Program.objects.all()}
    rules = {pid: program_rules(p) for pid, p in programs.items()}
    # A program that already paid one case of an episode does not pay its other cases again.
    awarded_pairs = {(person, code[:3], pid) for person, code, pid in
                     Award.objects.values_list("case__person_id", "case__icd10", "program_id")}  # fmt: skip

    claims, context = [], {}
    for case in matchable_cases().iterator(chunk_size=1000):
        facts = case_facts(case, frozenset(d.doc_type for d in case.documents.all()))
        offers = []
        for pid, program in programs.items():
            if (case.person_id, case.icd10[:3], pid) in awarded_pairs or unmet(rules[pid], facts):
                continue
            value, limit_reason = program_offer_value(program=program, tier=case.tier)
            if value > 0:
                offers.append(Offer(program_id=pid, max_amount=value, limit_reason=limit_reason))
        if not offers:
            continue
        claims.append(
            Claim(
                case_id=case.id,
                need=case.need,
                priority=case.priority or Decimal(0),
                submitted_at=case.submitted_at,
                target_program_id=case.target_program_id,
                offers=tuple(offers),
            )  # fmt: skip
        )
        context[case.id] = (case, facts)

    budgets = {pid: p.remaining_budget for pid, p in programs.items()}
    allocations = allocate(claims, budgets)
    proposals = []
    for a in allocations:
        case, facts = context[a.case_id]
        program = programs[a.program_id]
        reason = (
            f"{program.name} ({program.ref}) fits: {met_summary(rules[a.program_id], facts)}. "
            f"Proposes {a.amount}, limited by {a.limited_by}; need before this program {a.need_before}; "
            f"priority {case.priority} ({case.tier})."
        )
        proposals.append(Proposal(run=run, case=case, program=program, amount=a.amount,
                                  priority=case.priority or 0, reason=reason))  # fmt: skip
    Proposal.objects.bulk_create(proposals, batch_size=1000)
    return {
        "candidates": len(claims),
        "proposals": len(proposals),
        "cases_proposed": len({p.case_id for p in proposals}),
        "superseded": superseded,
    }
