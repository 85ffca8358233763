"""The nightly pipeline on realistic sample data, and the exchange format's invariants after it."""

import json
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.management import call_command

from cases.choices import BLOCKING_FLAGS
from cases.lib.icd10 import category, related
from cases.models import AidRecord, Case
from cases.services.demo import sample_data_load
from matching.lib.eligibility import unmet
from matching.models import Award, MatchRun, Program, Proposal
from matching.selectors import case_facts, program_rules
from matching.services.nightly import RunAlreadyInProgress, nightly_run, run_start

pytestmark = pytest.mark.django_db


@pytest.fixture
def sample():
    report = sample_data_load(cases=400, seed=7)
    assert report.counts["case.created"] == 400
    return report


def test_a_run_verifies_every_pending_case_and_records_itself(sample, django_assert_max_num_queries):
    # The import verified its cases once committed; cases left pending (a blacklist line named them
    # after their verification) are verified by the run, in bulk per chunk.
    Case.objects.filter(pk__in=Case.objects.order_by("pk").values("pk")[:300]).update(status="pending")
    with django_assert_max_num_queries(350):  # identity resolution, verifying again the cases it moved, the ledger
        run = nightly_run(trigger="test")
    assert run.status == "succeeded" and run.finished_at
    assert run.counts["verify.verified"] == run.counts["verify.pending"] >= 300
    assert set(run.step_timings) == {"verify", "resolve", "reverify", "need", "match", "prune"}
    assert not Case.objects.filter(status="pending").exists()
    assert run.counts["match.proposals"] == Proposal.objects.filter(run=run).count() > 0
    # A second run over unchanged data does bounded work: it re-verifies nothing.
    with django_assert_max_num_queries(400):
        second = nightly_run(trigger="test")
    assert second.counts["verify.verified"] == 0
    assert Proposal.objects.filter(run=run, status="superseded").count() == run.counts["match.proposals"]


def test_every_invariant_of_the_exchange_format_holds_after_a_run(sample):
    # given a run, and some proposals already accepted in an earlier one
    nightly_run(trigger="test")
    for proposal in Proposal.objects.filter(status="open")[:5]:
        Award.objects.create(case=proposal.case, program=proposal.program, amount=proposal.amount)
        Program.objects.filter(pk=proposal.program_id).update(
            awarded_total=proposal.program.awarded_total + proposal.amount
        )
    # when
    run = nightly_run(trigger="test")
    proposals = list(Proposal.objects.filter(run=run).select_related("case__diagnosis", "program"))
    # then: budgets and caps
    per_program = defaultdict(Decimal)
    for p in proposals:
        per_program[p.program_id] += p.amount
        assert p.amount <= p.program.cap_per_case
    for program in Program.objects.all():
        awarded = sum((a.amount for a in program.awards.all()), Decimal(0))
        assert per_program[program.id] + awarded <= program.budget
    # eligibility, and no proposal for rejected or blocked cases
    for p in proposals:
        assert not unmet(program_rules(p.program), case_facts(p.case)), p.reason
        assert p.case.status != "rejected"
        assert not p.case.flags.filter(code__in=BLOCKING_FLAGS, overridden_at__isnull=True).exists()
    # no episode proposed more than its need, counting every channel
    proposed_by_case = defaultdict(Decimal)
    for p in proposals:
        proposed_by_case[p.case_id] += p.amount
    for case_id, proposed in proposed_by_case.items():
        case = Case.objects.get(pk=case_id)
        assert case.duplicate_of_id is None
        episode = list(Case.objects.filter(episode=case.episode))
        assert all(c.person_id == case.person_id for c in episode)
        assert all(related(category(c.icd10), category(case.icd10)) for c in episode if c.icd10)
        asked = max(c.request_amount for c in episode if c.status != "rejected")
        raised = sum((c.campaign.raised for c in episode if hasattr(c, "campaign")), Decimal(0))
        aid = sum((a.amount for a in AidRecord.objects.filter(case__in=episode)), Decimal(0))
        awards = sum((a.amount for a in Award.objects.filter(case__in=episode)), Decimal(0))
        assert proposed <= max(Decimal(0), asked - raised - aid - awards)


def test_duplicate_applications_point_to_the_case_carrying_the_need(sample):
    nightly_run(trigger="test")
    duplicates = Case.objects.exclude(duplicate_of=None).select_related("duplicate_of")
    assert duplicates.exists()
    for case in duplicates:
        assert case.need == 0
        assert case.person_id == case.duplicate_of.person_id
        assert case.flags.filter(code="duplicate_application").exists()


def test_only_one_run_at_a_time():
    first = run_start(trigger="test")
    with pytest.raises(RunAlreadyInProgress):
        run_start(trigger="test")
    # A run that died long ago no longer blocks the next one.
    MatchRun.objects.filter(pk=first.pk).update(started_at=first.started_at.replace(year=2020))
    second = run_start(trigger="test")
    first.refresh_from_db()
    assert first.status == "failed" and "abandoned" in first.error
    assert second.status == "running"


def test_export_writes_one_result_per_case_and_the_latest_runs_proposals(sample, tmp_path, capsys):
    nightly_run(trigger="test")
    run = nightly_run(trigger="test")
    call_command("export_exchange", "-o", str(tmp_path / "out.jsonl"))
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    results = [o for o in lines if o["kind"] == "case_result"]
    proposals = [o for o in lines if o["kind"] == "proposal"]
    assert len(results) == 400
    assert {p["run"] for p in proposals} == {run.pk}
    assert all(isinstance(r["need"], str) and Decimal(r["need"]) >= 0 for r in results)
    assert {"ref", "status", "flags", "risk_score", "icd10", "tier", "expected_cost", "expected_oop", "need",
            "person", "duplicate_of", "priority"} <= set(results[0])  # fmt: skip


def test_the_schedule_runs_nightly_at_two_in_shanghai():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["nightly-pipeline"]
    assert entry["task"] == "matching.tasks.nightly_run"
    assert entry["schedule"].hour == {2} and entry["schedule"].minute == {0}
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"


def test_an_interrupted_run_frees_the_slot_at_once(monkeypatch):
    import matching.services.nightly as nightly

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(nightly, "step_resolve_identities", interrupted)
    with pytest.raises(KeyboardInterrupt):
        nightly_run(trigger="test")
    assert MatchRun.objects.get().status == "failed"
    monkeypatch.undo()
    assert nightly_run(trigger="test").status == "succeeded"
