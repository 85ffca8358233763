"""Illness episodes and the need each still has.

An episode is the cases of one person for one illness: ICD-10 categories that are the same or
related (a cancer and its spread, the stages of one blood cancer: `cases.lib.icd10.related`),
each application within `gap` of the episode's others. It carries one need: the largest amount
any of its cases asks for, less every aid already on the episode (money raised, aid recorded,
awards from every foundation, the drugs a PAP gave). One case, the carrier, holds that need; the
others point to it and hold none, so no cost is counted twice.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from cases.lib.icd10 import is_spread, related

ZERO = Decimal("0.00")
# Treatment of one serious illness often runs for two years (chemotherapy, then targeted drugs).
DEFAULT_GAP = dt.timedelta(days=730)


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

    @property
    def day(self) -> dt.date:
        # Applications, not diagnoses, are what is close in time: a second hospital may date the
        # same illness from its own first visit.
        return self.submitted_at.date()


@dataclass(frozen=True)
class AidRow:
    amount: Decimal
    case_id: int | None
    person_id: int | None
    category: str
    on: dt.date | None = None
    id: int = 0


@dataclass(frozen=True)
class EpisodeNeed:
    carrier_id: int | None  # None when every case of the episode was rejected
    case_ids: tuple[int, ...]  # live cases; rejected ones ask for nothing
    asked: Decimal
    received: Decimal  # everything: money raised, aid recorded, awards
    person_id: int = 0
    anchor_id: int = 0  # the episode's first case, rejected or not: a stable name for it
    all_case_ids: tuple[int, ...] = ()
    awarded: Decimal = ZERO
    categories: tuple[str, ...] = ()
    aid_ids: tuple[int, ...] = ()  # aid entries that belong to this episode

    @property
    def need(self) -> Decimal:
        return max(ZERO, self.asked - self.received)


@dataclass
class _Group:
    rows: list[CaseRow] = field(default_factory=list)
    categories: set[str] = field(default_factory=set)
    first: dt.date = dt.date.max
    last: dt.date = dt.date.min

    def add(self, row: CaseRow) -> None:
        self.rows.append(row)
        self.categories.add(row.category)
        self.first, self.last = min(self.first, row.day), max(self.last, row.day)

    def takes(self, row: CaseRow, gap: dt.timedelta) -> bool:
        if not self.first - gap <= row.day <= self.last + gap:
            return False
        # A secondary tumour joins any cancer, but never bridges two: a primary cancer joins an
        # episode through the episode's own primaries, when it has any.
        primaries = [c for c in self.categories if not is_spread(c)]
        anchors = primaries if primaries and not is_spread(row.category) else self.categories
        return any(related(row.category, c) for c in anchors)


def group(cases: list[CaseRow], *, gap: dt.timedelta = DEFAULT_GAP) -> list[list[CaseRow]]:
    """Cases grouped into episodes, each group in date order.

    A case joins the person's episode with the same category if one is close in time, else one
    with a related category, else starts a new one. A case without a code cannot be tied to an
    illness: it is an episode of its own.
    """
    by_person: dict[int, list[CaseRow]] = defaultdict(list)
    result: list[list[CaseRow]] = []
    for row in cases:
        if row.category:
            by_person[row.person_id].append(row)
        else:
            result.append([row])
    for rows in by_person.values():
        groups: list[_Group] = []
        for row in sorted(rows, key=lambda r: (r.day, r.submitted_at, r.id)):
            fits = [g for g in groups if g.takes(row, gap)]
            if fits:
                min(fits, key=lambda g: (row.category not in g.categories, row.day - g.last)).add(row)
            else:
                groups.append(_Group())
                groups[-1].add(row)
        result.extend(g.rows for g in groups)
    return result


def episodes(
    cases: list[CaseRow], aids: list[AidRow], *, gap: dt.timedelta = DEFAULT_GAP, with_rejected: bool = False
) -> list[EpisodeNeed]:
    """Episodes with their need; rejected cases ask for nothing but what they received still counts.

    An episode of rejected cases only has no carrier and no need; it is left out unless
    `with_rejected`, which the ledger needs since awards made before a rejection stay on it.
    """
    groups = group(cases, gap=gap)
    aid_totals, aid_ids = _aid_by_group(groups, aids)
    result = []
    for index, rows in enumerate(groups):
        live = [r for r in rows if not r.rejected]
        if not live and not with_rejected:
            continue
        # The carrier is the case matching can serve (not blocked), else the earliest.
        carrier = min(live, key=lambda r: (r.blocked, r.submitted_at, r.id)) if live else None
        awarded = sum((r.awarded for r in rows), ZERO)
        result.append(
            EpisodeNeed(
                carrier_id=carrier.id if carrier else None,
                case_ids=tuple(r.id for r in live),
                asked=_asked(live, carrier),
                received=sum((r.raised for r in rows), ZERO) + awarded + aid_totals[index],
                person_id=rows[0].person_id,
                anchor_id=min(r.id for r in rows),
                all_case_ids=tuple(r.id for r in rows),
                awarded=awarded,
                categories=tuple(sorted({r.category for r in rows if r.category})),
                aid_ids=tuple(aid_ids[index]),
            )
        )
    return result


def _asked(live: list[CaseRow], carrier: CaseRow | None) -> Decimal:
    """The largest amount asked under the carrier's own ICD-10 category.

    Cases filed under a related category (a cancer's spread, say) share the episode's need and
    what it received, but do not raise it: no code the illness is filed under is ever proposed
    more than was asked under that code.
    """
    if carrier is None:
        return ZERO
    return max(r.request_amount for r in live if r.category == carrier.category)


def _aid_by_group(groups: list[list[CaseRow]], aids: list[AidRow]) -> tuple[dict[int, Decimal], dict[int, list[int]]]:
    """What recorded aid each episode has received.

    Linked to a case: that case's episode. Linked to a person with a code: the episode of that
    illness closest in time to the aid. With no code: every episode of the person, since it may
    have paid any of them and counting it twice only errs against paying twice.
    """
    group_of_case = {row.id: index for index, rows in enumerate(groups) for row in rows}
    groups_of_person: dict[int, list[int]] = defaultdict(list)
    for index, rows in enumerate(groups):
        groups_of_person[rows[0].person_id].append(index)
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    owners: dict[int, list[int]] = defaultdict(list)
    for aid in aids:
        if aid.case_id is not None:
            targets = [group_of_case[aid.case_id]] if aid.case_id in group_of_case else []
        elif aid.person_id is None:
            targets = []
        elif not aid.category:
            targets = groups_of_person.get(aid.person_id, [])
        else:
            fitting = [
                i for i in groups_of_person.get(aid.person_id, [])
                if any(related(aid.category, row.category) for row in groups[i])
            ]  # fmt: skip
            targets = [min(fitting, key=lambda i: _distance(groups[i], aid.on))] if fitting else []
        for index in targets:
            totals[index] += aid.amount
        if targets:  # the entry belongs to the latest episode it counts against
            owners[max(targets, key=lambda i: groups[i][-1].day)].append(aid.id)
    return totals, owners


def _distance(rows: list[CaseRow], day: dt.date | None) -> int:
    if day is None:
        return 0
    first, last = rows[0].day, rows[-1].day
    return 0 if first <= day <= last else min(abs((day - first).days), abs((day - last).days))
