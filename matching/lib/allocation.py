"""First allocation: greedy by priority, within need, per-case caps and program budgets.

Cases are served in priority order (then first come); each takes from its eligible programs,
its own target program first, as much as its remaining need, the program's cap per case and
the program's remaining budget allow. The optimal allocation replaces this later behind the
same inputs and outputs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

MINIMUM_PROPOSAL = Decimal("1.00")


@dataclass(frozen=True)
class Offer:
    program_id: int
    max_amount: Decimal  # the program's cap per case, or the value of its drug cycles
    limit_reason: str


@dataclass(frozen=True)
class Claim:
    case_id: int
    need: Decimal
    priority: Decimal
    submitted_at: dt.datetime
    target_program_id: int | None
    offers: tuple[Offer, ...]


@dataclass(frozen=True)
class Allocation:
    case_id: int
    program_id: int
    amount: Decimal
    need_before: Decimal
    limited_by: str


def allocate(claims: list[Claim], budgets: dict[int, Decimal]) -> list[Allocation]:
    remaining_budget = dict(budgets)
    result = []
    for claim in sorted(claims, key=lambda c: (-c.priority, c.submitted_at, c.case_id)):
        need = claim.need
        offers = sorted(
            claim.offers, key=lambda o: (o.program_id != claim.target_program_id, -o.max_amount, o.program_id)
        )
        for offer in offers:
            if need < MINIMUM_PROPOSAL:
                break
            budget = remaining_budget.get(offer.program_id, Decimal("0"))
            amount = min(need, offer.max_amount, budget)
            if amount < MINIMUM_PROPOSAL:
                continue
            limited_by = (
                "the remaining need" if amount == need else offer.limit_reason if amount == offer.max_amount
                else "the program's remaining budget"
            )  # fmt: skip
            result.append(Allocation(claim.case_id, offer.program_id, amount, need, limited_by))
            remaining_budget[offer.program_id] = budget - amount
            need -= amount
    return result
