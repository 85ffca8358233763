"""Races on PostgreSQL: threads with their own connections, released together by a barrier."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from cases.errors import CaseError
from cases.models import Case, IdentityReview, Person
from cases.services.identity import review_decide
from cases.services.verification import case_verify
from matching.choices import ProposalStatus, RunStatus
from matching.models import Award, Episode, MatchRun, Program, Proposal
from matching.services.awards import proposal_accept
from matching.services.need import episode_need_for_case
from matching.services.nightly import RunAlreadyInProgress, run_start
from tests.factories import FoundationMemberFactory, ProgramFactory, UserFactory, case_payload, id_number_for, submit

from .conftest import run_together

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _verified_case(**overrides) -> Case:
    # Only a case that passed verification can be awarded: a pending one may have changed.
    return case_verify(case=submit(case_payload(**overrides)))


def _finished_run() -> MatchRun:
    # Made directly, as finished, so it does not hold the single "running" slot.
    return MatchRun.objects.create(trigger="test", status=RunStatus.SUCCEEDED)


def _propose(*, run: MatchRun, case: Case, program: Program, amount: Decimal) -> Proposal:
    return Proposal.objects.create(run=run, case=case, program=program, amount=amount, priority=Decimal("1"),
                                   reason="set up by the test")  # fmt: skip


def _members(foundation, count: int) -> list:
    return [FoundationMemberFactory(foundation=foundation).user for _ in range(count)]


def _accept(proposal_id: int, user):
    return lambda: proposal_accept(proposal_id=proposal_id, user=user)


def _unexpected(outcomes) -> list:
    """Anything but an award or the service's own refusal (a deadlock, a raw IntegrityError...)."""
    return [value for kind, value in outcomes if kind == "error" and not isinstance(value, CaseError)]


def test_only_one_of_two_simultaneous_nightly_runs_starts():
    # when: two processes try to start the nightly run at the same moment
    outcomes = run_together([lambda: run_start(trigger="race"), lambda: run_start(trigger="race")])

    # then: the partial unique index lets exactly one in
    started = [value for kind, value in outcomes if kind == "ok"]
    refused = [value for kind, value in outcomes if kind == "error"]
    assert len(started) == 1 and len(refused) == 1, outcomes
    assert isinstance(refused[0], RunAlreadyInProgress), repr(refused[0])
    assert list(MatchRun.objects.values_list("pk", "status")) == [(started[0].pk, RunStatus.RUNNING)]


def test_simultaneous_accepts_never_spend_more_than_the_program_budget():
    # given: ten cases, each proposed 10 000 by one program whose budget covers only three
    program = ProgramFactory(budget=Decimal("30000.00"), cap_per_case=Decimal("10000.00"))
    run = _finished_run()
    proposals = [
        _propose(run=run, case=_verified_case(), program=program, amount=Decimal("10000.00")) for _ in range(10)
    ]
    users = _members(program.foundation, len(proposals))

    # when: ten foundation staff accept their proposal at once
    outcomes = run_together([_accept(p.pk, user) for p, user in zip(proposals, users, strict=True)])

    # then: exactly three awards, and the program's total is their sum and within budget
    assert not _unexpected(outcomes), _unexpected(outcomes)
    awards = [value for kind, value in outcomes if kind == "ok"]
    assert len(awards) == 3
    assert Award.objects.filter(program=program).count() == 3
    program.refresh_from_db()
    awarded = Award.objects.filter(program=program).aggregate(total=Sum("amount"))["total"]
    assert program.awarded_total == awarded == Decimal("30000.00") <= program.budget
    assert Proposal.objects.filter(program=program, status=ProposalStatus.ACCEPTED).count() == 3
    assert Proposal.objects.filter(program=program, status=ProposalStatus.OPEN).count() == 7


def test_the_same_proposal_accepted_five_times_at_once_makes_one_award():
    # given: one open proposal
    program = ProgramFactory()
    proposal = _propose(run=_finished_run(), case=_verified_case(), program=program, amount=Decimal("20000.00"))
    users = _members(program.foundation, 5)

    # when: five foundation staff accept it at the same moment
    outcomes = run_together([_accept(proposal.pk, user) for user in users])

    # then: one award; the others are told the proposal is no longer open
    assert not _unexpected(outcomes), _unexpected(outcomes)
    assert sum(1 for kind, _ in outcomes if kind == "ok") == 1
    assert Award.objects.filter(proposal=proposal).count() == 1
    program.refresh_from_db()
    assert program.awarded_total == Decimal("20000.00")


def _one_case_many_programs(*, programs: int) -> tuple[list[Proposal], list]:
    """One case asking 200 000, proposed 10 000 by each of many programs of one foundation."""
    case = _verified_case(request__amount="200000")
    first = ProgramFactory()
    others = [ProgramFactory(foundation=first.foundation) for _ in range(programs - 1)]
    run = _finished_run()
    proposals = [_propose(run=run, case=case, program=p, amount=Decimal("10000.00")) for p in [first, *others]]
    return proposals, [case]


def _one_episode_two_cases(*, programs: int) -> tuple[list[Proposal], list]:
    """One person's leukaemia as two verified cases (the earlier one carries the need of 200 000),
    each proposed 10 000 by half of many programs of one foundation."""
    # The factory's patient is a girl born 2016-03-04; the number must agree with that.
    id_number = id_number_for(dt.date(2016, 3, 4), sex="F")
    earlier = submit(case_payload(patient__id_number=id_number, submitted_at="2026-10-01T10:00:00+08:00"))
    later = submit(case_payload(patient__id_number=id_number, channel="crowdfunding",
                                submitted_at="2026-10-05T10:00:00+08:00"))  # fmt: skip
    cases = [case_verify(case=c) for c in (earlier, later)]
    assert earlier.person_id == later.person_id
    first = ProgramFactory()
    programs_ = [first, *(ProgramFactory(foundation=first.foundation) for _ in range(programs - 1))]
    run = _finished_run()
    proposals = [
        _propose(run=run, case=cases[i % 2], program=p, amount=Decimal("10000.00")) for i, p in enumerate(programs_)
    ]
    return proposals, cases


@pytest.mark.parametrize("shape", [_one_case_many_programs, _one_episode_two_cases], ids=["one-case", "two-cases"])
def test_fifty_simultaneous_accepts_on_one_episode_never_exceed_its_need(shape):
    # given: fifty proposals of 10 000 on one illness episode whose need is 200 000
    proposals, cases = shape(programs=50)
    need_before = episode_need_for_case(case=cases[0]).need
    assert need_before == Decimal("200000.00")
    users = _members(proposals[0].program.foundation, len(proposals))

    # when: fifty foundation staff accept at once
    outcomes = run_together([_accept(p.pk, user) for p, user in zip(proposals, users, strict=True)])

    # then: the awards on the episode add up to its need, never more
    assert not _unexpected(outcomes), _unexpected(outcomes)
    awarded = Award.objects.filter(case__in=cases).aggregate(total=Sum("amount"))["total"]
    assert awarded == need_before
    assert Award.objects.filter(case__in=cases).count() == 20
    assert episode_need_for_case(case=cases[0]).need == Decimal("0.00")
    # and the ledger row the database guards says the same
    (episode,) = Episode.objects.filter(cases__in=cases).distinct()
    assert episode.awarded == need_before == episode.award_limit
    assert set(Award.objects.filter(case__in=cases).values_list("episode", flat=True)) == {episode.pk}
    for program in Program.objects.filter(proposals__in=proposals):
        awarded_here = Award.objects.filter(program=program).aggregate(total=Sum("amount"))["total"]
        assert program.awarded_total == (awarded_here or Decimal("0.00"))


def test_a_merge_and_accepts_on_the_same_person_at_once_neither_deadlock_nor_overspend():
    # given: a person's verified leukaemia case with open proposals, and a second application
    # (no number, another spelling) that a case worker is about to merge into that person
    id_number = id_number_for(dt.date(2016, 3, 4), sex="F")
    carrier = _verified_case(patient__id_number=id_number, patient__name="王小红", request__amount="200000",
                             submitted_at="2026-10-01T10:00:00+08:00")  # fmt: skip
    other = _verified_case(patient__name="王晓红", channel="crowdfunding", raised="150000",
                           submitted_at="2026-10-05T10:00:00+08:00")  # fmt: skip
    Case.objects.filter(pk=other.pk).update(person=Person.objects.create(
        name="王晓红", birth_date=dt.date(2016, 3, 4), sex="F", province="41"))  # fmt: skip
    first = ProgramFactory()
    programs = [first, *(ProgramFactory(foundation=first.foundation) for _ in range(9))]
    run = _finished_run()
    proposals = [_propose(run=run, case=carrier, program=p, amount=Decimal("10000.00")) for p in programs]
    users = _members(first.foundation, len(proposals))
    a, b = sorted((carrier, other), key=lambda c: c.pk)
    review = IdentityReview.objects.create(case_a=a, case_b=b, probability="0.6", reasons=["similar names"])
    worker = UserFactory(is_staff=True)

    # when: ten accepts and the merge race
    merge = lambda: review_decide(review_id=review.pk, verdict="merged", user=worker, reason="same girl")  # noqa: E731
    outcomes = run_together([merge, *(_accept(p.pk, u) for p, u in zip(proposals, users, strict=True))])

    # then: nothing but awards and the services' own refusals; the merged need is never passed
    assert not _unexpected(outcomes), _unexpected(outcomes)
    carrier.refresh_from_db()
    other.refresh_from_db()
    assert carrier.person_id == other.person_id
    awarded = Award.objects.filter(case__in=[carrier, other]).aggregate(total=Sum("amount"))["total"] or 0
    # one illness: asked 200 000, of which the campaign raised 150 000; accepts that came after
    # the merge saw a need of at most 50 000, those before it could not know of the campaign
    episode = episode_need_for_case(case=carrier)
    assert episode.case_ids == tuple(sorted((carrier.pk, other.pk)))
    assert episode.need == max(Decimal("0"), Decimal("50000") - awarded)
    ledger = Episode.objects.get(anchor_id=episode.anchor_id)
    assert ledger.awarded == awarded <= ledger.award_limit


def test_simultaneous_releases_of_one_instalment_pay_it_once():
    # given: a staged plan of two instalments, and five reviewers pressing "release" on the first at once
    from cases.models import DisbursementPlan
    from cases.services.disbursement import instalment_release
    from tests.factories import payout_plan

    case = submit(case_payload(channel="crowdfunding", request__amount="400000", raised="350000"))
    plan = payout_plan(case)
    first = plan.instalments.get(seq=1)
    reviewers = [UserFactory() for _ in range(5)]

    # when
    outcomes = run_together([
        lambda user=user: instalment_release(instalment=first, evidence_type="hospital_invoice",
                                             evidence_ref="INV-1", user=user)
        for user in reviewers
    ])  # fmt: skip

    # then: one release, four refusals in words, and the plan counts the money once
    assert not _unexpected(outcomes), outcomes
    assert sum(1 for kind, _ in outcomes if kind == "ok") == 1
    assert all("already released" in str(value) for kind, value in outcomes if kind == "error")
    assert DisbursementPlan.objects.get(pk=plan.pk).released_total == Decimal("200000")
