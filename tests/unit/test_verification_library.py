"""Verification on the disease-cost library: the illness read, the cost expected, the amount judged,
the risk explained; re-run when the library or the model changes, with case workers' decisions kept."""

import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from cases.choices import Flag
from cases.errors import CaseError
from cases.models import CaseFlag, CheckResult, DiseaseEntry, RiskModel
from cases.services.exchange import export_lines
from cases.services.verification import (
    case_queryset_for_verification,
    case_reject,
    case_verify,
    cases_verify,
    current_stamp,
    diagnosis_pick,
    flag_override,
)
from matching.services.need import need_compute_all
from matching.services.nightly import cases_to_verify, nightly_run
from tests.factories import ProgramFactory, UserFactory, case_payload, submit

pytestmark = pytest.mark.django_db


def verified(**fields):
    case = submit(case_payload(**fields))
    return case_verify(case=case_queryset_for_verification().get(pk=case.pk))


def active_flags(case) -> set[str]:
    return set(CaseFlag.objects.filter(case=case, overridden_at__isnull=True).values_list("code", flat=True))


def reason(case, check: str) -> str:
    return CheckResult.objects.get(case=case, check_code=check).reason


def lung(**fields):
    return verified(
        channel="crowdfunding",
        diagnosis={"text": "右肺腺癌IV期", "icd10": "C34.1", "hospital": "河南省肿瘤医院", "hospital_level": "3A"},
        **fields,
    )


def test_a_given_code_finds_its_library_entry_and_the_expected_cost():
    case = lung(request__amount="200000")
    assert case.icd10 == "C34.1"
    assert case.disease_entry is not None and "C34" in case.disease_entry.icd10
    assert case.expected_cost > 0 and 0 < case.expected_oop < case.expected_cost
    assert case.highest_oop >= case.expected_oop
    assert case.cost_inputs["insurance"] == "resident" and case.cost_inputs["hospital_level"] == "3A"
    assert Flag.TARGET_EXCEEDS_COST not in active_flags(case)


def test_insurance_changes_what_the_family_pays():
    resident = lung(insurance={"basic": "resident"})
    employee = lung(insurance={"basic": "employee"})
    uninsured = lung(insurance={"basic": "none"})
    assert employee.expected_oop < resident.expected_oop < uninsured.expected_oop
    assert uninsured.expected_oop == uninsured.expected_cost


def test_without_a_code_the_text_is_read_by_the_normaliser():
    case = verified(diagnosis={"text": "CML慢性期"}, request__amount="100000")
    assert case.icd10.startswith("C92")
    assert Flag.UNKNOWN_DIAGNOSIS not in active_flags(case)
    assert "CML慢性期" in reason(case, "diagnosis") and "confidence" in reason(case, "diagnosis")
    assert case.diagnosis.matched_confidence > Decimal("0.4")


def test_a_text_naming_a_code_no_entry_covers_gives_the_code_and_says_the_amount_is_unchecked():
    case = verified(diagnosis={"text": "子宫多发肌瘤，需手术"}, request__amount="30000")
    assert case.icd10 == "D25.9" and case.disease_entry is None
    assert Flag.UNKNOWN_DIAGNOSIS not in active_flags(case)
    assert "no library entry covers it" in reason(case, "diagnosis") and "ICD-10 D25.9" in reason(case, "diagnosis")
    assert case.expected_cost is None


def test_an_unreadable_diagnosis_is_flagged_for_a_case_worker_who_picks_the_entry():
    case = verified(diagnosis={"text": "病情待查"})
    assert Flag.UNKNOWN_DIAGNOSIS in active_flags(case)
    assert "a case worker must pick the entry" in reason(case, "diagnosis")
    assert case.expected_cost is None and case.icd10 == ""
    entry = DiseaseEntry.objects.filter(icd10__contains="C91").first()
    worker = UserFactory()
    with pytest.raises(CaseError, match="code: C34 is not among the codes"):
        diagnosis_pick(case=case, entry=entry, code="C34", user=worker, reason="discharge summary")
    with pytest.raises(CaseError, match="reason"):
        diagnosis_pick(case=case, entry=entry, code="", user=worker, reason=" ")
    case = diagnosis_pick(case=case, entry=entry, code="C91.0", user=worker, reason="discharge summary says ALL")
    assert case.icd10 == "C91.0" and case.disease_entry == entry and case.expected_cost is not None
    assert Flag.UNKNOWN_DIAGNOSIS not in active_flags(case)
    assert case.events.filter(code="case.diagnosis_picked").exists()
    again = case_verify(case=case_queryset_for_verification().get(pk=case.pk))  # the pick survives re-runs
    assert again.icd10 == "C91.0" and Flag.UNKNOWN_DIAGNOSIS not in active_flags(again)


def test_a_code_outside_the_who_tree_is_flagged_with_the_reason_and_the_texts_reading():
    case = verified(diagnosis={"text": "急性淋巴细胞白血病", "icd10": "C99.9"})
    assert Flag.UNKNOWN_DIAGNOSIS in active_flags(case)
    assert "'C99.9' is not a code in the WHO ICD-10 tree" in reason(case, "diagnosis")
    assert case.icd10.startswith("C91")  # nothing valid is lost: the text still gives the illness


def test_a_grossly_inflated_target_is_flagged_in_words_and_numbers_and_caps_the_need():
    case = lung(request__amount="5000000", raised="0")
    assert Flag.TARGET_EXCEEDS_COST in active_flags(case)
    why = reason(case, "cost")
    assert "5,000,000" in why and "C34" in why and "resident" in why and "times" in why
    need_compute_all()
    case.refresh_from_db()
    assert case.need == case.highest_oop  # matching fills no more than a plausible out-of-pocket cost
    flag = CaseFlag.objects.get(case=case, code=Flag.TARGET_EXCEEDS_COST)
    flag_override(flag=flag, user=UserFactory(), reason="second transplant quoted by the hospital")
    case = case_verify(case=case_queryset_for_verification().get(pk=case.pk))
    assert Flag.TARGET_EXCEEDS_COST not in active_flags(case)  # the override survives the re-run
    need_compute_all()
    case.refresh_from_db()
    assert case.need == Decimal("5000000")


def test_the_risk_score_is_explained_and_exported():
    honest = lung(request__amount="200000")
    inflated = lung(request__amount="5000000", household__assets={"houses": 3, "car_value": "400000",
                                                                   "financial_assets": "900000"})  # fmt: skip
    assert 0 <= honest.risk_score < inflated.risk_score <= 1
    assert inflated.risk_factors and all(f["words"] for f in inflated.risk_factors)
    assert "5,000,000" in inflated.risk_factors[0]["words"]
    assert inflated.risk_model_version
    results = {r["ref"]: r for r in map(json.loads, export_lines(kinds=["case_result"]))}
    row = results[inflated.ref]
    assert row["expected_cost"] == f"{inflated.expected_cost:.2f}" and row["expected_oop"]
    assert row["risk_score"] == float(inflated.risk_score)


def test_a_library_edit_makes_the_nightly_run_verify_every_case_again():
    case = lung(request__amount="200000")
    assert case.verified_with == current_stamp()
    assert case.pk not in cases_to_verify()[0]
    entry = case.disease_entry
    entry.cost_high = entry.cost_high * 2
    entry.save()
    assert case.pk in cases_to_verify()[0]
    before = case.highest_oop
    run = nightly_run(trigger="test")
    assert run.counts["verify.stale_versions"] >= 1
    case.refresh_from_db()
    assert case.highest_oop > before and case.verified_with == current_stamp()


def test_a_new_risk_model_makes_the_nightly_run_verify_again(capsys):
    case = lung(request__amount="200000")
    call_command("train_risk_model", samples=2000, seed=7)
    out = capsys.readouterr().out
    assert "precision" in out and "recall" in out
    assert case.pk in cases_to_verify()[0]
    nightly_run(trigger="test")
    case.refresh_from_db()
    active = RiskModel.objects.get(active=True)
    assert case.risk_model_version == active.version and active.version in out
    assert case.pk not in cases_to_verify()[0]


def test_a_later_application_of_the_same_person_brings_the_earlier_back_for_its_risk():
    first = lung(request__amount="200000")
    assert first.pk not in cases_to_verify()[0]
    submit(case_payload(channel="crowdfunding", source="轻松筹", patient={**case_payload()["patient"],
                                                                          "name": first.patient_name},
                        diagnosis={"text": "肺腺癌", "icd10": "C34.1"}))  # fmt: skip
    ids, _newer, _stamp, reasons = cases_to_verify()
    assert first.pk in ids and reasons["newer_application"] >= 1


def test_a_pap_request_is_judged_against_its_programs_terms():
    program = ProgramFactory(channel="pap", aid_type="drug", icd10=["C34"], cycle_value=Decimal("20000"),
                             paid_cycles=3, free_cycles=3, cap_per_case=Decimal("200000"))  # fmt: skip
    lung_pap = {"channel": "pap", "target_program": program.ref, "diagnosis": {"text": "肺腺癌", "icd10": "C34.1"},
                "patient__birth_date": "1960-01-01"}  # fmt: skip
    fair = verified(request__amount="60000", **lung_pap)
    assert Flag.TARGET_EXCEEDS_COST not in active_flags(fair)
    assert "6 cycles × 20,000 of program" in reason(fair, "cost") and "within the limit" in reason(fair, "cost")
    inflated = verified(request__amount="400000", **lung_pap)
    assert Flag.TARGET_EXCEEDS_COST in active_flags(inflated)
    assert "aid request 400,000 is 3.33 times the most the program gives" in reason(inflated, "cost")
    need_compute_all()
    inflated.refresh_from_db()
    assert inflated.need == Decimal("120000")  # matching counts only what the program's terms allow
    # the program's terms need no library entry: an illness the library does not price is judged too
    myelofibrosis = {**lung_pap, "diagnosis": {"text": "原发性骨髓纤维化", "icd10": "D47.1"}}
    program.icd10 = ["C34", "D47"]
    program.save()
    unpriced = verified(request__amount="1000000", **myelofibrosis)
    assert unpriced.disease_entry is None and unpriced.amount_bound == Decimal("120000")
    assert Flag.TARGET_EXCEEDS_COST in active_flags(unpriced)


def test_a_verification_that_loaded_the_case_before_a_rejection_does_not_undo_it():
    case = submit(case_payload())
    loaded = list(case_queryset_for_verification().filter(pk=case.pk))  # a worker or the nightly run read it
    case_reject(case=case, user=UserFactory(), reason="forged diagnosis certificate")
    cases_verify(cases=loaded)
    case.refresh_from_db()
    assert case.status == "rejected"
    assert list(case.events.values_list("code", flat=True))[-1] == "case.rejected"


def test_risk_counts_only_the_same_persons_applications_for_a_related_illness():
    patient = {**case_payload()["patient"], "name": "蒋文清"}
    lung_case = submit(case_payload(patient=patient, diagnosis={"text": "肺腺癌", "icd10": "C34.1"}))
    kidney = submit(
        case_payload(patient=patient, channel="crowdfunding", diagnosis={"text": "尿毒症", "icd10": "N18.5"})
    )
    assert lung_case.person_id == kidney.person_id
    # both pending, verified in one batch: each is coded before the other's risk counts it
    batch = cases_verify(cases=list(case_queryset_for_verification().filter(pk__in=[lung_case.pk, kidney.pk])))
    in_batch = {c.pk: c.risk_score for c in batch}
    alone = {pk: case_verify(case=case_queryset_for_verification().get(pk=pk)).risk_score for pk in in_batch}
    assert in_batch == alone  # a lung cancer is not another application for kidney failure, and back
    from cases.services.verification import _other_applications

    lung_again = submit(
        case_payload(patient=patient, source="另一基金会", diagnosis={"text": "右肺腺癌", "icd10": "C34.9"})
    )
    everyone = cases_verify(cases=list(case_queryset_for_verification().filter(person=lung_case.person_id)))
    counts = _other_applications(everyone)
    assert counts[kidney.pk] == (0, 0, 0)
    assert counts[lung_case.pk] == (1, 1, 0)  # the other lung-cancer application, from another source
    assert lung_again.pk in counts
    # a renewal on the same platform is another application, not another channel (as the model was trained)
    renewal = submit(case_payload(patient=patient, diagnosis={"text": "肺腺癌复发", "icd10": "C34.1"}))
    counts = _other_applications(cases_verify(cases=list(case_queryset_for_verification().filter(pk=renewal.pk))))
    assert counts[renewal.pk] == (2, 1, 0)  # the first lung case (same source) and the other source's one
