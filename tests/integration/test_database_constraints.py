"""PostgreSQL itself refuses what the services promise never to do, whoever writes the row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from cases.models import AidRecord
from matching.choices import RunStatus
from matching.models import Award, Episode, MatchRun, Program
from matching.services.need import episode_need_for_case
from tests.factories import ProgramFactory, case_payload, submit

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_the_database_refuses_an_awarded_total_above_the_budget():
    # given: a program with a budget of 100 000
    program = ProgramFactory(budget=Decimal("100000.00"))

    # when / then: a raw UPDATE past the budget, bypassing every service, is refused
    over_budget = f"UPDATE {Program._meta.db_table} SET awarded_total = budget + 0.01 WHERE id = %s"
    with (
        pytest.raises(IntegrityError, match="program_awards_within_budget"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(over_budget, [program.pk])
    program.refresh_from_db()
    assert program.awarded_total == Decimal("0.00")


def test_the_database_refuses_awards_past_an_episodes_need():
    # given: an illness episode asking 200 000 that already received 150 000 from outside
    case = submit(case_payload(request__amount="200000"))
    AidRecord.objects.create(ref="A-1", case=case, provider="another foundation", amount=Decimal("150000"),
                             date=dt.date(2026, 10, 1))  # fmt: skip
    episode = episode_need_for_case(case=case)
    ledger = Episode.objects.get(anchor_id=episode.anchor_id)
    assert ledger.award_limit == Decimal("50000.00")

    # when / then: a raw UPDATE past the need, bypassing every service, is refused
    with pytest.raises(IntegrityError, match="episode_awards_within_need"), transaction.atomic():
        Episode.objects.filter(pk=ledger.pk).update(awarded=Decimal("50000.01"))
    Episode.objects.filter(pk=ledger.pk).update(awarded=Decimal("50000.00"))


def test_the_database_accepts_an_awarded_total_exactly_at_the_budget():
    # given
    program = ProgramFactory(budget=Decimal("100000.00"))

    # when
    Program.objects.filter(pk=program.pk).update(awarded_total=Decimal("100000.00"))

    # then
    program.refresh_from_db()
    assert program.remaining_budget == Decimal("0.00")


def test_the_database_refuses_a_second_award_for_the_same_case_and_program():
    # given: a case that already has an award from a program
    program = ProgramFactory()
    case = submit(case_payload())
    Award.objects.create(case=case, program=program, amount=Decimal("10000.00"))

    # when / then: a second one, even for another amount, is refused
    with pytest.raises(IntegrityError, match="one_award_per_case_program"), transaction.atomic():
        Award.objects.create(case=case, program=program, amount=Decimal("5000.00"))
    assert Award.objects.filter(case=case, program=program).count() == 1


def test_the_database_refuses_a_second_running_nightly_run():
    # given
    MatchRun.objects.create(trigger="first")

    # when / then
    with pytest.raises(IntegrityError, match="one_nightly_run_at_a_time"), transaction.atomic():
        MatchRun.objects.create(trigger="second")
    assert MatchRun.objects.filter(status=RunStatus.RUNNING).count() == 1


def test_postgresql_refuses_a_payout_plan_that_breaks_the_staged_rule_or_overpays():
    # given: a campaign that raised 350 000, planned as the rule says (hospital, two instalments)
    from cases.models import DisbursementPlan
    from tests.factories import payout_plan

    case = submit(case_payload(channel="crowdfunding", request__amount="400000", raised="350000"))
    plan = payout_plan(case)
    table = DisbursementPlan._meta.db_table
    # when / then: raw SQL paying the family, or releasing past the total, is refused by PostgreSQL
    for sql, constraint in (
        (f"UPDATE {table} SET payee_kind = 'family' WHERE id = %s", "plan_staged_pays_hospital_in_instalments"),
        (f"UPDATE {table} SET staged = false WHERE id = %s", "plan_staged_follows_rule"),
        (f"UPDATE {table} SET released_total = total + 0.01 WHERE id = %s", "plan_released_within_total"),
    ):
        with pytest.raises(IntegrityError, match=constraint), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [plan.pk])
    plan.refresh_from_db()
    assert plan.staged and plan.payee_kind == "hospital" and plan.released_total == 0
