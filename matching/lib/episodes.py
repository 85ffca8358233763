"""Illness episodes and the need each still has.

An episode is the cases of one person for one illness (the same ICD-10 category in this
version). It carries one need: the largest amount any of its cases asks for, less every aid
already on the episode (money raised, aid recorded, awards). One case, the carrier, holds that
need; the others point to it and hold none, so no cost is counted twice.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class CaseRow:
    id: int
    person_id: int
    category: str  # ICD-10 category, or "" when unknown
    submitted_at: dt.datetime
    request_amount: Decimal
    raised: Decimal
    awarded: Decimal
    blocked: bool  # carries a flag that bars matching
    rejected: bool


@dataclass(frozen=True)
class AidRow:
    amount: Decimal
    case_id: int | None
    person_id: int | None
    category: str


@dataclass(frozen=True)
class EpisodeNeed:
    carrier_id: int
    case_ids: tuple[int, ...]
    asked: Decimal
    received: Decimal

    @property
    def need(self) -> Decimal:
        return max(ZERO, self.asked - self.received)


def episode_key(row: CaseRow) -> tuple:
    # Without a diagnosis code a case cannot be tied to another illness: it is its own episode.
    return (row.person_id, row.category) if row.category else ("case", row.id)


def episodes(cases: list[CaseRow], aids: list[AidRow]) -> list[EpisodeNeed]:
    """Group cases into episodes; rejected cases ask for nothing but what they received still counts."""
    groups: dict[tuple, list[CaseRow]] = defaultdict(list)
    for row in cases:
        groups[episode_key(row)].append(row)
    key_of_case = {row.id: key for key, rows in groups.items() for row in rows}
    keys_of_person: dict[int, list[tuple]] = defaultdict(list)
    for key, rows in groups.items():
        keys_of_person[rows[0].person_id].append(key)

    aid_by_key: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    for aid in aids:
        for key in _aid_keys(aid, key_of_case, keys_of_person):
            aid_by_key[key] += aid.amount

    result = []
    for key, rows in groups.items():
        live = [r for r in rows if not r.rejected]
        if not live:
            continue
        # The carrier is the case matching can serve (not blocked), else the earliest.
        carrier = min(live, key=lambda r: (r.blocked, r.submitted_at, r.id))
        received = sum((r.raised + r.awarded for r in rows), ZERO) + aid_by_key[key]
        result.append(
            EpisodeNeed(
                carrier_id=carrier.id,
                case_ids=tuple(r.id for r in live),
                asked=max(r.request_amount for r in live),
                received=received,
            )
        )
    return result


def _aid_keys(aid: AidRow, key_of_case: dict[int, tuple], keys_of_person: dict[int, list[tuple]]) -> list[tuple]:
    """The episodes an aid entry counts against.

    Linked to a case: that case's episode. Linked to a person with a code: the episode of that
    illness. With no code: every episode of the person, since it may have paid any of them and
    counting it twice only errs against paying twice.
    """
    if aid.case_id is not None:
        key = key_of_case.get(aid.case_id)
        return [key] if key else []
    if aid.person_id is None:
        return []
    keys = keys_of_person.get(aid.person_id, [])
    if aid.category:
        same = [k for k in keys if len(k) == 2 and k[1] == aid.category]
        return same
    return keys
