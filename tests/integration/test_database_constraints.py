"""PostgreSQL itself refuses what the services promise never to do, whoever writes the row."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from matching.choices import RunStatus
from matching.models import Award, MatchRun, Program
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
