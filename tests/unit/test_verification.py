import datetime as dt

import pytest

from cases.choices import CaseStatus, Flag
from cases.errors import CaseError
from cases.models import BlacklistEntry, CaseFlag
from cases.services.identity import id_hash
from cases.services.verification import case_queryset_for_verification, case_verify, flag_override
from tests.factories import ProgramFactory, UserFactory, case_payload, id_number_for, submit

pytestmark = pytest.mark.django_db
BIRTH = dt.date(2016, 3, 4)


def verify(case):
    return case_verify(case=case_queryset_for_verification().get(pk=case.pk))


def flags(case) -> set[str]:
    return set(CaseFlag.objects.filter(case=case, overridden_at__isnull=True).values_list("code", flat=True))


def test_a_clean_case_is_verified_with_every_check_recorded():
    case = verify(submit(case_payload(patient__id_number=id_number_for(BIRTH, sex="F"))))
    assert case.status == CaseStatus.VERIFIED
    assert case.tier == "hardship"
    assert set(case.checks.values_list("check_code", flat=True)) == {
        "identity", "identity_consistency", "blacklist", "documents", "income", "diagnosis", "cost",
        "program_eligibility", "risk"}  # fmt: skip
    assert all(c.reason for c in case.checks.all())
    assert case.events.filter(code="case.verified").exists()


def test_it_flags_an_invalid_identity_number_with_the_reason():
    number = id_number_for(BIRTH, sex="F")
    typo = number[:5] + str((int(number[5]) + 1) % 10) + number[6:]
    case = verify(submit(case_payload(patient__id_number=typo)))
    assert case.status == CaseStatus.FLAGGED
    assert flags(case) == {Flag.INVALID_ID_NUMBER}
    assert "check character" in case.flags.get().reason


def test_it_flags_a_blacklisted_raiser_with_the_reason():
    raiser_number = id_number_for(dt.date(1985, 1, 1), sex="M", n=7)
    BlacklistEntry.objects.create(
        id_number=raiser_number, id_hash=id_hash(raiser_number), name="骗子", reason="虚构病情筹款"
    )
    payload = case_payload(
        channel="crowdfunding", raiser={"name": "骗子", "relation": "other", "id_number": raiser_number}
    )
    case = verify(submit(payload))
    assert Flag.BLACKLISTED in flags(case)
    assert "raiser 骗子 is blacklisted: 虚构病情筹款" in case.flags.get(code=Flag.BLACKLISTED).reason


def test_declared_dibao_with_a_high_income_is_inconsistent_and_tiered_by_income():
    case = verify(submit(case_payload(household__annual_income="300000", household__dibao_status="dibao")))
    assert flags(case) == {Flag.INCOME_INCONSISTENT}
    assert case.tier == "upper"


def test_missing_documents_name_what_the_program_requires():
    program = ProgramFactory(required_documents=["id_card", "dibao_certificate"])
    case = verify(submit(case_payload(target_program=program.ref)))
    assert flags(case) == {Flag.MISSING_DOCUMENTS}
    assert "dibao_certificate" in case.flags.get().reason


def test_an_application_outside_its_program_is_flagged_ineligible():
    program = ProgramFactory(icd10=["Q20-Q28"], age_max=18)
    case = verify(submit(case_payload(target_program=program.ref)))
    assert flags(case) == {Flag.INELIGIBLE_PROGRAM}
    assert "C91.0 is not among Q20-Q28" in case.flags.get().reason


def test_a_case_without_a_code_is_read_from_its_text_or_flagged():
    read = verify(submit(case_payload(diagnosis__icd10=None)))  # 急性淋巴细胞白血病
    assert flags(read) == set() and read.icd10.startswith("C91")
    unreadable = verify(submit(case_payload(diagnosis={"text": "不详"})))
    assert flags(unreadable) == {Flag.UNKNOWN_DIAGNOSIS} and unreadable.icd10 == ""


def test_a_code_that_is_not_icd10_is_kept_and_flagged_not_refused():
    case = verify(submit(case_payload(diagnosis__icd10="肺癌")))
    assert flags(case) == {Flag.UNKNOWN_DIAGNOSIS}
    assert "'肺癌' is not an ICD-10 code" in case.flags.get().reason
    assert case.diagnosis.icd10_given == "肺癌"  # kept as given
    assert case.icd10.startswith("C91")  # and the text still says which illness it is


@pytest.mark.parametrize(("given", "normalised"), [("C34.900x001", "C34.9"), ("c920", "C92.0"), ("G63.2*", "G63.2")])
def test_clinical_edition_and_loosely_written_codes_read_as_who_codes(given, normalised):
    case = verify(submit(case_payload(diagnosis__icd10=given, patient__birth_date="1960-01-01")))
    assert case.icd10 == normalised


def test_an_override_needs_a_reason_and_survives_re_verification():
    worker = UserFactory(is_staff=True)
    case = verify(submit(case_payload(household__annual_income="300000")))
    flag = case.flags.get()
    with pytest.raises(CaseError):
        flag_override(flag=flag, user=worker, reason=" ")
    flag_override(flag=flag, user=worker, reason="家访核实：收入为一次性拆迁补偿")
    case = verify(case)
    assert case.status == CaseStatus.VERIFIED
    assert case.flags.get().override_reason.startswith("家访核实")
    assert case.events.filter(code="case.flag_overridden", actor=worker).exists()


def test_a_blacklist_entry_added_later_sends_the_case_back_to_verification():
    from cases.lib.exchange import BlacklistInput
    from cases.services.intake import blacklist_add

    number = id_number_for(BIRTH, sex="F")
    case = verify(submit(case_payload(patient__id_number=number)))
    assert case.status == CaseStatus.VERIFIED
    blacklist_add(data=BlacklistInput(id_number=number, name="王小红", reason="重复筹款未公示"))
    case.refresh_from_db()
    assert case.status == CaseStatus.PENDING
    assert case.events.filter(code="case.pending", data__reason="blacklist entry added or changed").exists()
    assert Flag.BLACKLISTED in flags(verify(case))


def test_an_override_on_a_pending_case_leaves_it_for_verification():
    from cases.lib.exchange import BlacklistInput
    from cases.services.intake import blacklist_add

    worker = UserFactory(is_staff=True)
    number = id_number_for(BIRTH, sex="F")
    case = verify(submit(case_payload(patient__id_number=number, household__annual_income="300000")))
    blacklist_add(data=BlacklistInput(id_number=number, name="王小红", reason="虚假筹款"))  # back to pending
    flag_override(flag=case.flags.get(code=Flag.INCOME_INCONSISTENT), user=worker, reason="核实为补偿款")
    case.refresh_from_db()
    assert case.status == CaseStatus.PENDING
    assert Flag.BLACKLISTED in flags(verify(case))


def test_a_new_reason_behind_an_overridden_blocking_flag_lifts_the_override():
    from cases.lib.exchange import BlacklistInput
    from cases.services.intake import blacklist_add

    # given a patient flagged for a namesake's blacklisting, which a case worker set aside
    worker = UserFactory(is_staff=True)
    number = id_number_for(BIRTH, sex="F")
    raiser = id_number_for(dt.date(1980, 1, 1), sex="M", n=9)
    blacklist_add(data=BlacklistInput(id_number=number, name="同名他人", reason="旧记录"))
    raised_by = {"name": "骗子", "relation": "other", "id_number": raiser}
    case = verify(submit(case_payload(channel="crowdfunding", patient__id_number=number, raiser=raised_by)))
    flag_override(flag=case.flags.get(code=Flag.BLACKLISTED), user=worker, reason="同名不同人")
    # when the raiser is blacklisted afterwards
    blacklist_add(data=BlacklistInput(id_number=raiser, name="骗子", reason="虚构病情"))
    case = verify(case)
    # then the old override does not cover the new finding
    assert Flag.BLACKLISTED in flags(case)
    assert "raiser 骗子 is blacklisted" in case.flags.get(code=Flag.BLACKLISTED).reason


def test_age_is_taken_on_the_local_date_of_submission():
    # 07:00 in Shanghai on 1 March is still 28 February in UTC: the patient turned 18 that morning.
    program = ProgramFactory(age_max=17)
    payload = case_payload(target_program=program.ref, patient__birth_date="2008-03-01",
                           submitted_at="2026-03-01T07:00:00+08:00", diagnosis__diagnosed_on=None)  # fmt: skip
    case = verify(submit(payload))
    assert flags(case) == {Flag.INELIGIBLE_PROGRAM}
    assert "age 18 is over 17" in case.flags.get().reason
