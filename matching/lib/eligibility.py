"""Whether a case meets a program's eligibility conditions, and why or why not."""

from __future__ import annotations

from dataclasses import dataclass

from cases.lib import icd10 as icd10_lib


@dataclass(frozen=True)
class Rules:
    icd10: tuple[str, ...] = ()
    income_tiers: tuple[str, ...] = ()
    age_min: int | None = None
    age_max: int | None = None
    sex: str = ""
    provinces: tuple[str, ...] = ()
    required_documents: tuple[str, ...] = ()


@dataclass(frozen=True)
class Facts:
    icd10: str
    tier: str
    age: int
    sex: str
    province: str
    documents: frozenset[str]


@dataclass(frozen=True)
class Unmet:
    """One condition a case fails: which (icd10, tier, age, sex, province, documents) and why."""

    condition: str
    reason: str

    def __str__(self) -> str:
        return self.reason


def unmet(rules: Rules, facts: Facts) -> list[Unmet]:
    """The conditions the case fails; empty when it is eligible."""
    problems = []
    if rules.icd10:
        if not facts.icd10:
            problems.append(Unmet("icd10", "diagnosis has no ICD-10 code"))
        elif not icd10_lib.matches_any(facts.icd10, list(rules.icd10)):
            problems.append(Unmet("icd10", f"{facts.icd10} is not among {', '.join(rules.icd10)}"))
    if rules.income_tiers and facts.tier not in rules.income_tiers:
        problems.append(Unmet("tier", f"tier {facts.tier or 'unknown'} is not among {', '.join(rules.income_tiers)}"))
    if rules.age_min is not None and facts.age < rules.age_min:
        problems.append(Unmet("age", f"age {facts.age} is under {rules.age_min}"))
    if rules.age_max is not None and facts.age > rules.age_max:
        problems.append(Unmet("age", f"age {facts.age} is over {rules.age_max}"))
    if rules.sex and facts.sex != rules.sex:
        problems.append(Unmet("sex", f"sex {facts.sex} is not {rules.sex}"))
    if rules.provinces and facts.province not in rules.provinces:
        problems.append(Unmet("province", f"province {facts.province} is not among {', '.join(rules.provinces)}"))
    missing = [d for d in rules.required_documents if d not in facts.documents]
    if missing:
        problems.append(Unmet("documents", f"missing documents: {', '.join(missing)}"))
    return problems


def met_summary(rules: Rules, facts: Facts) -> str:
    """The conditions a case meets, for the reason a proposal carries."""
    parts = []
    if rules.icd10:
        parts.append(f"{facts.icd10} within {', '.join(rules.icd10)}")
    else:
        parts.append(f"{facts.icd10 or 'diagnosis'} (any disease)")
    parts.append(f"tier {facts.tier}" + (f" within {', '.join(rules.income_tiers)}" if rules.income_tiers else ""))
    if rules.age_min is not None or rules.age_max is not None:
        parts.append(
            f"age {facts.age} within {rules.age_min or 0}-{rules.age_max if rules.age_max is not None else '∞'}"
        )
    if rules.sex:
        parts.append(f"sex {facts.sex}")
    if rules.provinces:
        parts.append(f"province {facts.province}")
    if rules.required_documents:
        parts.append("required documents present")
    return "; ".join(parts)
