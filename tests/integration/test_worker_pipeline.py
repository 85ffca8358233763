"""A real Celery worker, fed through Redis, runs the nightly pipeline and post-intake verification."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from django.db.models import Sum
from rest_framework.test import APIClient

from cases.choices import BLOCKING_FLAGS, CaseStatus
from cases.models import Case, CaseEvent, CaseFlag
from cases.services.demo import sample_data_load
from matching.choices import RunStatus
from matching.models import MatchRun, Program, Proposal
from matching.tasks import nightly_run
from tests.factories import UserFactory, case_payload

from .conftest import wait_for

pytestmark = pytest.mark.integration

NIGHTLY_TIMEOUT = 120  # seconds for 200 cases; the run takes a few on a laptop
VERIFY_TIMEOUT = 30


def _finished_run(trigger: str) -> MatchRun | None:
    return MatchRun.objects.filter(trigger=trigger).exclude(status=RunStatus.RUNNING).first()


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_nightly_pipeline_end_to_end_within_budgets_caps_and_need(celery_worker):
    # given: a sample world of foundations, programs, blacklist, 200 cases and aid, imported; each
    # import batch queued its verification through Redis once committed, and the worker ran it
    report = sample_data_load(cases=200, seed=20261123)
    assert not report.rejections, report.rejections[:5]
    assert Case.objects.count() >= 200
    wait_for(lambda: not Case.objects.filter(status=CaseStatus.PENDING).exists(), timeout=NIGHTLY_TIMEOUT,
             what="the worker to verify the imported cases", worker=celery_worker)  # fmt: skip
    assert Case.objects.exclude(verified_with="").count() == Case.objects.count()

    # when: the nightly task goes through Redis to the worker
    nightly_run.delay(trigger="integration")
    run = wait_for(lambda: _finished_run("integration"), timeout=NIGHTLY_TIMEOUT,
                   what="the nightly run to finish", worker=celery_worker)  # fmt: skip

    # then: the run succeeded and recorded what each step did
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.finished_at is not None
    assert set(run.step_timings) == {"verify", "resolve", "reverify", "need", "match", "prune"}
    assert run.counts["verify.pending"] == run.counts["verify.stale_versions"] == 0
    assert run.counts["match.proposals"] == Proposal.objects.filter(run=run).count() > 0
    assert not Case.objects.filter(status=CaseStatus.PENDING).exists()
    assert Case.objects.filter(need__isnull=True).count() == 0

    # and: the proposals keep the exchange invariants
    proposals = list(Proposal.objects.filter(run=run).select_related("program", "case"))
    per_program: dict[int, Decimal] = defaultdict(Decimal)
    per_case: dict[int, Decimal] = defaultdict(Decimal)
    for proposal in proposals:
        assert 0 < proposal.amount <= proposal.program.cap_per_case, proposal.reason
        per_program[proposal.program_id] += proposal.amount
        per_case[proposal.case_id] += proposal.amount
    for program in Program.objects.filter(pk__in=per_program):
        assert per_program[program.pk] <= program.budget - program.awarded_total, program.ref
    for case in Case.objects.filter(pk__in=per_case):
        assert per_case[case.pk] <= case.need, case.ref
        assert case.duplicate_of_id is None, f"{case.ref} is a duplicate yet was proposed"
        assert case.status in (CaseStatus.VERIFIED, CaseStatus.FLAGGED), case.ref
    blocked = set(
        CaseFlag.objects.filter(code__in=BLOCKING_FLAGS, overridden_at__isnull=True).values_list("case_id", flat=True)
    )
    assert blocked, "the sample data should hold blacklisted or invalid-identity cases to test against"
    assert not blocked & set(per_case), "a case with a blocking flag was proposed"


@pytest.mark.django_db(transaction=True)
def test_a_second_nightly_run_supersedes_the_first_runs_open_proposals(celery_worker):
    # given: a world the worker has already matched once
    sample_data_load(cases=60, seed=7)
    nightly_run.delay(trigger="integration-first")
    first = wait_for(lambda: _finished_run("integration-first"), timeout=NIGHTLY_TIMEOUT,
                     what="the first nightly run", worker=celery_worker)  # fmt: skip
    assert first.status == RunStatus.SUCCEEDED, first.error
    first_open = Proposal.objects.filter(run=first).count()
    assert first_open > 0

    # when: it runs again
    nightly_run.delay(trigger="integration-second")
    second = wait_for(lambda: _finished_run("integration-second"), timeout=NIGHTLY_TIMEOUT,
                      what="the second nightly run", worker=celery_worker)  # fmt: skip

    # then: only the latest run's proposals are open, and nothing was verified twice
    assert second.status == RunStatus.SUCCEEDED, second.error
    assert second.counts["verify.verified"] == 0
    assert second.counts["match.superseded"] == first_open
    assert not Proposal.objects.filter(run=first, status="open").exists()
    assert Proposal.objects.filter(run=second, status="open").count() == second.counts["match.proposals"]
    per_program = Proposal.objects.filter(status="open").values("program").annotate(total=Sum("amount"))
    budgets = {p.pk: p.budget - p.awarded_total for p in Program.objects.all()}
    assert all(row["total"] <= budgets[row["program"]] for row in per_program)


@pytest.mark.django_db(transaction=True)
def test_a_case_submitted_through_the_api_is_verified_by_the_worker_after_commit(celery_worker):
    # given: a staff user and a foundation-aid case
    staff = UserFactory(is_staff=True)
    client = APIClient()
    client.force_authenticate(staff)
    payload = case_payload()
    payload.pop("kind")

    # when: it is submitted through the API
    response = client.post("/api/v1/foundation-aid/cases/", payload, format="json")

    # then: it was stored, and the worker (not this process) verified it
    assert response.status_code == 201, response.content
    case = wait_for(
        lambda: Case.objects.exclude(status=CaseStatus.PENDING).filter(ref=payload["ref"]).first(),
        timeout=VERIFY_TIMEOUT,
        what=f"case {payload['ref']} to leave pending",
        worker=celery_worker,
    )
    assert case.status in (CaseStatus.VERIFIED, CaseStatus.FLAGGED)
    assert case.icd10 == "C91.0"
    assert case.tier == "hardship"
    assert CaseEvent.objects.filter(case=case, code=f"case.{case.status}", actor_label="system:intake").exists()
