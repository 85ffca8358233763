"""The nightly pipeline in this process, on PostgreSQL: what a case worker's decisions do to matching."""

from __future__ import annotations

import datetime as dt

import pytest

from cases.choices import CaseStatus, Flag
from cases.lib.exchange import BlacklistInput
from cases.models import CaseFlag
from cases.services.intake import blacklist_add
from cases.services.verification import case_verify, flag_override
from matching.choices import RunStatus
from matching.models import Proposal
from matching.services.nightly import nightly_run
from tests.factories import ProgramFactory, UserFactory, case_payload, id_number_for, submit

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_a_case_whose_blocking_flag_was_overridden_is_matched_despite_another_active_flag():
    # given: a blacklisted patient whose household income is also inconsistent with 低保
    program = ProgramFactory()
    id_number = id_number_for(dt.date(2016, 3, 4), sex="F")
    blacklist_add(data=BlacklistInput(id_number=id_number, name="王小红", reason="earlier fraud"))
    case = case_verify(case=submit(case_payload(patient__id_number=id_number, household__annual_income="90000")))
    assert set(case.flags.values_list("code", flat=True)) == {Flag.BLACKLISTED, Flag.INCOME_INCONSISTENT}

    # and: a case worker found the blacklist entry was someone else and overrode that flag only
    worker = UserFactory(is_staff=True)
    flag_override(flag=CaseFlag.objects.get(case=case, code=Flag.BLACKLISTED), user=worker,
                  reason="same number, different person: checked the household register")  # fmt: skip
    case.refresh_from_db()
    assert case.status == CaseStatus.FLAGGED  # income_inconsistent is still active, and does not block

    # when
    run = nightly_run(trigger="test")

    # then: the case is matched like any other flagged, unblocked case
    assert run.status == RunStatus.SUCCEEDED
    assert Proposal.objects.filter(run=run, case=case, program=program).exists()


def test_a_case_with_an_active_blocking_flag_is_not_matched():
    # given: the same blacklisted patient, not overridden
    program = ProgramFactory()
    id_number = id_number_for(dt.date(2016, 3, 4), sex="F")
    blacklist_add(data=BlacklistInput(id_number=id_number, name="王小红", reason="earlier fraud"))
    blocked = submit(case_payload(patient__id_number=id_number))
    clean = submit(case_payload(patient__name="李明", patient__sex="M", patient__birth_date="2015-05-06"))

    # when: the nightly run verifies and matches both
    run = nightly_run(trigger="test")

    # then
    assert run.status == RunStatus.SUCCEEDED
    assert not Proposal.objects.filter(case=blocked).exists()
    assert Proposal.objects.filter(run=run, case=clean, program=program).exists()
