"""Check an export against its input, from the outside, as a partner or an auditor would.

    python -m benchmarks.check_exchange INPUT.jsonl [INPUT2.jsonl ...] --export OUT.jsonl

Reads only the exchange format (no database) and checks every invariant of
shared/exchange-format.md: budgets, caps, eligibility, blocked cases, and that no illness episode
(same `person`, same ICD-10 category) is proposed more than what it asked less what it received.
Prints the figures and each violation; exits 1 when there is any.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections import defaultdict
from decimal import Decimal

from cases.lib import exchange, icd10, idnumber, money

BLOCKING = {"blacklisted", "invalid_id_number"}
ZERO = Decimal(0)


def _read(paths: list[str]) -> list[dict]:
    objs = []
    for path in paths:
        with open(path, encoding="utf-8") as stream:
            for line in stream:
                if line.strip():
                    try:
                        obj = exchange.loads(line)
                    except ValueError:
                        continue
                    if isinstance(obj, dict):
                        objs.append(obj)
    return objs


def _money(value) -> Decimal:
    try:
        return money.parse(value)
    except money.MoneyError:
        return ZERO


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(text)[:10]) if text else None
    except ValueError:
        return None


def check(inputs: list[dict], outputs: list[dict]) -> tuple[dict, list[str]]:
    programs = {o["ref"]: o for o in inputs if o.get("kind") == "program"}
    cases = {o["ref"]: o for o in inputs if o.get("kind") == "case"}
    aids = [o for o in inputs if o.get("kind") == "aid"]
    results = {o["ref"]: o for o in outputs if o.get("kind") == "case_result"}
    proposals = [o for o in outputs if o.get("kind") == "proposal"]
    awards = [o for o in outputs if o.get("kind") == "award"]
    problems: list[str] = []

    spent = defaultdict(Decimal)
    for item in proposals + awards:
        spent[item["program"]] += _money(item["amount"])
    for ref, total in spent.items():
        budget = _money(programs[ref]["budget"]) if ref in programs else ZERO
        if total > budget:
            problems.append(f"program {ref}: proposed and awarded {total} > budget {budget}")

    for p in proposals:
        program, case, result = programs.get(p["program"]), cases.get(p["case"]), results.get(p["case"])
        if not (program and case and result):
            problems.append(f"proposal {p['case']}->{p['program']}: unknown case or program")
            continue
        amount = _money(p["amount"])
        if amount > _money(program["cap_per_case"]):
            problems.append(f"proposal {p['case']}->{p['program']}: {amount} > cap {program['cap_per_case']}")
        if result["status"] == "rejected" or BLOCKING & set(result["flags"]):
            problems.append(f"proposal {p['case']}->{p['program']}: case is {result['status']} {result['flags']}")
        problems += [f"proposal {p['case']}->{p['program']}: {why}" for why in _ineligible(program, case, result)]

    # Episodes as the export names them: same person, same ICD-10 category.
    def episode(ref: str) -> tuple:
        r = results[ref]
        return (r["person"], r["icd10"][:3]) if r.get("icd10") else ("case", ref)

    known = [ref for ref in cases if ref in results]
    live = [ref for ref in known if results[ref]["status"] != "rejected"]
    asked, received, proposed = defaultdict(Decimal), defaultdict(Decimal), defaultdict(Decimal)
    for ref in live:
        key = episode(ref)
        asked[key] = max(asked[key], _money(cases[ref]["request"]["amount"]))
    # A rejected case asks for nothing, but what it received was still paid for the illness.
    for ref in known:
        received[episode(ref)] += _money(cases[ref].get("raised") or 0)
    person_of_number = {
        idnumber.normalise(cases[ref]["patient"]["id_number"]): results[ref]["person"]
        for ref in known
        if cases[ref]["patient"].get("id_number")
    }
    for aid in aids:
        keys = []
        if aid.get("case") in results:
            keys = [episode(aid["case"])]
        elif aid.get("patient_id_number"):
            person = person_of_number.get(idnumber.normalise(aid["patient_id_number"]))
            keys = [k for k in asked if k[0] == person and (not aid.get("icd10") or k[1] == aid["icd10"][:3])]
        for key in keys:
            received[key] += _money(aid["amount"])
    for item in awards:
        if item["case"] in results:
            received[episode(item["case"])] += _money(item["amount"])
    for p in proposals:
        if p["case"] in live:
            proposed[episode(p["case"])] += _money(p["amount"])
    for key, total in proposed.items():
        need = max(ZERO, asked[key] - received[key])
        if total > need:
            problems.append(f"episode {key}: proposed {total} > asked {asked[key]} - received {received[key]}")

    figures = {
        "cases": len(cases),
        "case_results": len(results),
        "proposals": len(proposals),
        "awards": len(awards),
        "proposed_total": str(sum((_money(p["amount"]) for p in proposals), ZERO)),
        "cases_proposed": len({p["case"] for p in proposals}),
        "episodes_with_proposals": len(proposed),
        "status": dict(sorted(_count(r["status"] for r in results.values()).items())),
        "flags": dict(sorted(_count(f for r in results.values() for f in r["flags"]).items())),
        "tier_of_proposed": dict(sorted(_count(results.get(p["case"], {}).get("tier") for p in proposals).items())),
    }
    return figures, problems


def _count(items) -> dict:
    counts: dict = defaultdict(int)
    for item in items:
        counts[item] += 1
    return counts


def _ineligible(program: dict, case: dict, result: dict) -> list[str]:
    why = []
    code = result.get("icd10") or ""
    if program.get("icd10") and not (
        code and icd10.matches_any(code, [icd10.validate_pattern(p) for p in program["icd10"]])
    ):
        why.append(f"icd10 {code or '?'} not in {program['icd10']}")
    if program.get("income_tiers") and result.get("tier") not in program["income_tiers"]:
        why.append(f"tier {result.get('tier')} not in {program['income_tiers']}")
    born = _date(case["patient"].get("birth_date"))
    on = _date(case.get("diagnosis", {}).get("diagnosed_on")) or _date(case.get("submitted_at"))
    if born and on:
        age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
        if program.get("age_min") is not None and age < program["age_min"]:
            why.append(f"age {age} < {program['age_min']}")
        if program.get("age_max") is not None and age > program["age_max"]:
            why.append(f"age {age} > {program['age_max']}")
    if program.get("sex") and case["patient"].get("sex") != program["sex"]:
        why.append(f"sex {case['patient'].get('sex')} != {program['sex']}")
    if program.get("provinces") and str(case["patient"].get("province"))[:2] not in program["provinces"]:
        why.append(f"province {case['patient'].get('province')} not in {program['provinces']}")
    have = {d.get("type") for d in case.get("documents") or [] if isinstance(d, dict)}
    missing = [d for d in program.get("required_documents") or [] if d not in have]
    if missing:
        why.append(f"missing documents {missing}")
    return why


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+")
    parser.add_argument("--export", required=True)
    args = parser.parse_args()
    figures, problems = check(_read(args.inputs), _read([args.export]))
    for key, value in figures.items():
        print(f"{key}: {value}")
    print(f"violations: {len(problems)}")
    for problem in problems[:50]:
        print(f"  {problem}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
