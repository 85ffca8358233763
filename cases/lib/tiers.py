"""Income tiers (shared/domain.md, 004 table 1.2) from a household's declaration.

Hardship means a family on state assistance (低保, 特困, 建档立卡, 低保边缘). Upper means household
disposable income above 100,000 CNY a year. Everyone else is the sandwich tier.

A declared assistance status is inconsistent when the income per person is clearly above any local
低保 line: the highest urban lines are about 18,000 CNY a person a year (Shanghai, Beijing), and
低保边缘 reaches 1.5 times the line. Below those limits a declaration is taken as given.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

UPPER_HOUSEHOLD_INCOME = Decimal("100000")
DIBAO_MAX_PER_PERSON = Decimal("18000")
DIBAO_EDGE_MAX_PER_PERSON = DIBAO_MAX_PER_PERSON * Decimal("1.5")
ASSISTANCE = ("dibao", "tekun", "jiandang", "dibao_edge")


@dataclass(frozen=True)
class TierResult:
    tier: str
    consistent: bool
    reason: str


def assess(*, dibao_status: str, annual_income: Decimal, household_size: int) -> TierResult:
    per_person = (annual_income / max(household_size, 1)).quantize(Decimal("1"))
    by_income = "upper" if annual_income > UPPER_HOUSEHOLD_INCOME else "sandwich"
    if dibao_status in ASSISTANCE:
        limit = DIBAO_EDGE_MAX_PER_PERSON if dibao_status == "dibao_edge" else DIBAO_MAX_PER_PERSON
        if per_person > limit or annual_income > UPPER_HOUSEHOLD_INCOME:
            return TierResult(
                tier=by_income,
                consistent=False,
                reason=(
                    f"declared {dibao_status} but income is {per_person} a person a year "
                    f"(limit {limit.quantize(Decimal('1'))}); tier taken from income: {by_income}"
                ),
            )
        return TierResult(
            tier="hardship", consistent=True, reason=f"declared {dibao_status}, {per_person} a person a year"
        )
    if by_income == "upper":
        return TierResult(tier="upper", consistent=True, reason=f"household income {annual_income} above 100000")
    return TierResult(tier="sandwich", consistent=True, reason=f"no state assistance, household income {annual_income}")
