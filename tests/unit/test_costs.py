"""Expected cost, out-of-pocket and the target check (cases.lib.costs): pure Python, no database."""

import dataclasses
import json
from decimal import Decimal

import pytest

from cases.lib import costs, disease_library


def library_entry(**changes) -> disease_library.Entry:
    """A real library Entry (lung cancer's), with the figures a test sets in place of the file's."""
    base = next(e for e in disease_library.default_entries() if e.key == "lung_cancer")
    figures = {"unit": "course", "cost_low": Decimal("50000"), "cost_typical": Decimal("100000"),
               "cost_high": Decimal("200000")}  # fmt: skip
    return dataclasses.replace(base, **(figures | changes))


STROKE = library_entry(key="intracerebral_haemorrhage", icd10=("I61",), name_zh="脑出血")
CATARACT = library_entry(
    key="cataract",
    icd10=("H25", "H26"),
    name_zh="白内障",
    cost_low=Decimal("3000"),
    cost_typical=Decimal("4900"),
    cost_high=Decimal("8000"),
)
DIALYSIS = library_entry(
    key="end_stage_renal_disease",
    icd10=("N18.5", "Z99.2"),
    name_zh="终末期肾病",
    unit="year",
    cost_low=Decimal("80763"),
    cost_typical=Decimal("94760"),
    cost_high=Decimal("132253"),
)


def _estimate(entry=None, *, level="3A", insurance="resident", payout=None, code=None):
    entry = entry or library_entry()
    return costs.estimate(
        entry=entry, hospital_level=level, insurance=insurance, critical_illness_payout=payout, code=code
    )


# -- the formula on known inputs -----------------------------------------------------------------


def test_it_computes_a_cancer_course_for_resident_insurance_at_a_3a_hospital():
    # given a cancer course of 50,000 / 100,000 / 200,000 CNY
    # when
    estimate = _estimate()
    # then: 100,000 x (1 - 0.597); bound 200,000 x 0.403 + 300,000 out of list + 20% non-medical
    assert estimate.expected_cost == Decimal("100000")
    assert estimate.expected_oop == Decimal("40300")
    assert estimate.highest_oop == Decimal("80600") + Decimal("300000") + Decimal("40000")
    assert estimate.inputs["tail"] == "out_of_list"


def test_it_computes_another_illness_with_employee_insurance_at_a_2a_hospital():
    estimate = _estimate(STROKE, level="2A", insurance="employee")
    # expected: 100,000 x 0.85 = 85,000, of which the family pays 24.4%
    assert estimate.expected_cost == Decimal("85000")
    assert estimate.expected_oop == Decimal("20740")
    # bound at tertiary prices: 200,000 x 0.244 + half of 200,000 again + 40,000 non-medical
    assert estimate.highest_oop == Decimal("48800") + Decimal("100000") + Decimal("40000")
    assert estimate.inputs["tail"] == "other"


def test_small_costs_get_the_absolute_floors_for_extras_and_travel():
    estimate = _estimate(CATARACT, insurance="none")
    assert estimate.expected_cost == Decimal("4900")
    assert estimate.expected_oop == Decimal("4900")
    # 8,000 in full + at least 50,000 of extras + at least 10,000 non-medical
    assert estimate.highest_oop == Decimal("68000")


def test_it_rounds_half_up_to_whole_cny():
    entry = library_entry(cost_low=Decimal("1"), cost_typical=Decimal("1005"), cost_high=Decimal("2000"))
    # 1005 x 0.244 = 245.22 -> 245; 1005 x 0.85 = 854.25 -> 854
    assert _estimate(entry, insurance="employee").expected_oop == Decimal("245")
    assert _estimate(entry, level="2A", insurance="none").expected_cost == Decimal("854")
    # 0.5 goes up: 1250 x 0.85 = 1062.5 -> 1063
    half = library_entry(cost_low=Decimal("1"), cost_typical=Decimal("1250"), cost_high=Decimal("2000"))
    assert _estimate(half, level="2B", insurance="none").expected_cost == Decimal("1063")


def test_every_amount_is_a_whole_decimal_even_after_a_payout_with_cents():
    estimate = _estimate(DIALYSIS, level="3B", insurance="employee", payout=Decimal("12345.67"))
    for value in (estimate.expected_cost, estimate.expected_oop, estimate.highest_oop):
        assert isinstance(value, Decimal)
        assert value == value.to_integral_value()
    # 94,760 x 0.95 = 90,022; x 0.244 = 21,965.368; less 12,345.67 = 9,619.698 -> 9,620
    assert estimate.expected_oop == Decimal("9620")


# -- insurance, payout, level, unit ------------------------------------------------------------------


def test_no_insurance_costs_more_than_resident_which_costs_more_than_employee():
    none, resident, employee = (_estimate(insurance=i) for i in ("none", "resident", "employee"))
    assert none.expected_oop > resident.expected_oop > employee.expected_oop
    assert none.highest_oop > resident.highest_oop > employee.highest_oop
    assert none.expected_oop == none.expected_cost  # without insurance the family pays it all


def test_a_critical_illness_payout_lowers_the_expected_out_of_pocket_but_not_below_zero():
    without = _estimate()
    partly = _estimate(payout=Decimal("30000"))
    covered = _estimate(payout=Decimal("500000"))
    assert partly.expected_oop == without.expected_oop - Decimal("30000")
    assert covered.expected_oop == Decimal("0")
    assert partly.inputs["ci_payout"] == "30000"


def test_the_bound_does_not_count_the_payout():
    # a lump sum is not tied to bills and often arrives after the campaign starts
    assert _estimate(payout=Decimal("500000")).highest_oop == _estimate().highest_oop


@pytest.mark.parametrize(
    ("level", "factor"),
    [("3A", "1.00"), ("3B", "0.95"), ("3C", "0.95"), ("2A", "0.85"), ("2C", "0.85"), ("1A", "0.75")],
)
def test_level_factors_scale_the_expected_cost(level, factor):
    estimate = _estimate(level=level, insurance="none")
    assert estimate.expected_cost == Decimal("100000") * Decimal(factor)
    assert estimate.inputs["level_factor"] == factor


def test_an_unknown_or_blank_level_means_no_adjustment():
    at_3a = _estimate(level="3A")
    for level in ("", None, "county", "4X"):
        estimate = _estimate(level=level)
        assert estimate.expected_cost == at_3a.expected_cost
        assert estimate.inputs["level"] == costs.UNKNOWN_LEVEL
        assert estimate.inputs["level_factor"] == "1"


def test_it_reads_levels_written_in_chinese_or_lower_case():
    assert costs.normalise_level("三级甲等") == "3A"
    assert costs.normalise_level("三甲") == "3A"
    assert costs.normalise_level("二乙") == "2B"
    assert costs.normalise_level("2a") == "2A"
    assert costs.normalise_level(" 3B ") == "3B"


def test_a_lower_level_lowers_the_expected_cost_but_not_the_bound():
    # a patient seen at a county hospital is often referred up
    at_2a, at_3a = _estimate(level="2A"), _estimate(level="3A")
    assert at_2a.expected_cost < at_3a.expected_cost
    assert at_2a.highest_oop == at_3a.highest_oop


def test_a_chronic_entry_is_priced_per_year_and_bounded_over_three_years():
    estimate = _estimate(DIALYSIS)
    assert estimate.expected_cost == Decimal("94760")
    assert estimate.expected_oop == Decimal("38188")  # 94,760 x 0.403 = 38,188.28
    # 132,253 x 3 = 396,759: x 0.403 = 159,893.88; half again 198,379.5; non-medical 20% 79,351.8;
    # each part rounded to whole CNY, then summed: 159,894 + 198,380 + 79,352
    assert estimate.highest_oop == Decimal("437626")
    parts = ("in_list_oop", "out_of_list", "nonmedical")
    assert sum(Decimal(estimate.inputs[p]) for p in parts) == estimate.highest_oop  # the record adds up
    assert estimate.inputs["horizon_years"] == 3
    as_course = _estimate(dataclasses.replace(DIALYSIS, unit="course"))
    assert as_course.expected_cost == estimate.expected_cost
    assert as_course.highest_oop < estimate.highest_oop


def test_cancer_and_transplant_codes_and_ranges_get_the_out_of_list_allowance():
    for codes in (("C81-C96",), ("D46",), ("D61",), ("Z94.0", "Z94.4"), ("C73", "C00-C97"), ("D37-D48",)):
        assert _estimate(library_entry(icd10=codes)).inputs["tail"] == "out_of_list", codes
    for codes in (("D32", "D33"), ("I61",), ("Q21.0",), ("E75.2",)):
        assert _estimate(library_entry(icd10=codes)).inputs["tail"] == "other", codes


def test_inputs_record_every_factor_as_json():
    estimate = _estimate(level="2A", payout=Decimal("50000"), code="C34.1")
    inputs = json.loads(json.dumps(estimate.inputs))
    assert inputs["formula"] == "costs/1"
    assert inputs["entry_key"] == "lung_cancer"
    assert inputs["code"] == "C34.1"
    assert inputs["unit"] == "course"
    assert (inputs["cost_low"], inputs["cost_typical"], inputs["cost_high"]) == ("50000", "100000", "200000")
    assert (inputs["hospital_level"], inputs["level_factor"]) == ("2A", "0.85")
    assert (inputs["insurance"], inputs["fund_share"]) == ("resident", "0.597")
    assert inputs["ci_payout"] == "50000"
    assert inputs["out_of_list"] == "300000"


# -- the amount check --------------------------------------------------------------------------------


def test_a_target_five_times_the_bound_is_flagged_with_its_reason():
    estimate = _estimate(code="C34.1")  # highest_oop 420,600
    check = costs.amount_check(Decimal("2103000"), estimate)
    assert check.flagged
    assert check.ratio == Decimal("5.00")
    assert check.reason == (
        "target 2,103,000 is 5.00 times the highest plausible out-of-pocket 420,600 for C34.1 (肺癌)"
        " with resident insurance: above the limit of 2.5 times"
    )


def test_a_clearly_honest_target_is_not_flagged_and_says_why():
    check = costs.amount_check(Decimal("200000"), _estimate(code="C34.1"))
    assert not check.flagged
    assert check.ratio == Decimal("0.48")
    assert check.reason.startswith("target 200,000 is 0.48 times the highest plausible out-of-pocket 420,600")
    assert check.reason.endswith("within the limit of 2.5 times")


def test_the_limit_itself_is_not_flagged_one_yuan_more_is():
    estimate = _estimate()
    limit = costs.FLAG_MULTIPLIER * estimate.highest_oop
    assert not costs.amount_check(limit, estimate).flagged
    assert costs.amount_check(limit + 1, estimate).flagged


def test_the_reason_names_the_request_the_insurance_the_payout_and_the_years():
    estimate = _estimate(DIALYSIS, insurance="none", payout=Decimal("100000"), code="N18.5")
    reason = costs.amount_check(Decimal("45000.50"), estimate, what="request").reason
    # the bound, without insurance, each part rounded: 396,759 + 198,380 + 79,352 = 674,491
    assert reason.startswith("request 45,000.50 is 0.07 times the highest plausible out-of-pocket 674,491 ")
    assert "for N18.5 (终末期肾病) over 3 years with no basic insurance" in reason
    assert "critical-illness payout of 100,000" in reason
    assert "employee insurance" in costs.amount_check(1, _estimate(insurance="employee")).reason


def test_a_caller_may_pass_another_multiplier():
    estimate = _estimate()
    amount = 2 * estimate.highest_oop + 1
    assert costs.amount_check(amount, estimate, multiplier=Decimal("2")).flagged
    assert not costs.amount_check(amount, estimate, multiplier=Decimal("3")).flagged


def test_it_checks_a_demo_style_inflated_target_against_the_shipped_library():
    entry = disease_library.find_by_code(disease_library.default_entries(), "C34.1")
    estimate = costs.estimate(entry=entry, hospital_level="3A", insurance="resident", critical_illness_payout=None)
    assert costs.amount_check(Decimal("3000000"), estimate).flagged
    assert not costs.amount_check(Decimal("600000"), estimate).flagged  # the demo's top honest lung target


# -- bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"insurance": "commercial"}, "insurance"),
        ({"insurance": ""}, "insurance"),
        ({"payout": Decimal("-1")}, "critical_illness_payout"),
        ({"payout": 1000.0}, "critical_illness_payout"),
        ({"payout": "lots"}, "critical_illness_payout"),
        ({"entry": library_entry(cost_typical=Decimal("300000"))}, "entry.cost_typical"),
        ({"entry": library_entry(cost_low=Decimal("-5"))}, "entry.cost_low"),
        ({"entry": library_entry(unit="month")}, "entry.unit"),
    ],
)
def test_bad_input_raises_an_error_naming_the_field(changes, field):
    arguments = {"entry": library_entry(), "insurance": "resident", "payout": None} | changes
    with pytest.raises(ValueError, match=rf"^{field}:"):
        _estimate(arguments["entry"], insurance=arguments["insurance"], payout=arguments["payout"])


def test_a_negative_amount_or_multiplier_is_refused():
    estimate = _estimate()
    with pytest.raises(ValueError, match=r"^amount:"):
        costs.amount_check(Decimal("-1"), estimate)
    with pytest.raises(ValueError, match=r"^multiplier:"):
        costs.amount_check(Decimal("1"), estimate, multiplier=Decimal("0"))
