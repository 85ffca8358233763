"""The duplicate-aid ledger: illness episodes as rows the database guards.

Episodes are computed from cases (`matching.lib.episodes`) and saved here, each named by its
first case so that re-grouping updates rather than replaces it. Every case, award and aid entry
points to its episode. An award raises its episode's `awarded` under a row lock, and a check
constraint refuses any total past the episode's award limit.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q

from cases.errors import CaseError
from cases.models import AidRecord, Case
from cases.services.sql import execute_update as _execute_update
from matching.lib.episodes import EpisodeNeed
from matching.models import Award, Episode

ZERO = Decimal("0.00")
_FIELDS = ("person_id", "categories", "carrier_id", "asked", "received_outside", "awarded", "award_limit")


def _values(episode: EpisodeNeed) -> dict:
    outside = episode.received - episode.awarded
    return {
        "person_id": episode.person_id,
        "categories": ",".join(episode.categories)[:128],
        "carrier_id": episode.carrier_id,
        "asked": episode.asked,
        "received_outside": outside,
        "awarded": episode.awarded,
        # Awards already made stay valid when outside aid arrives later; no new one may pass the need.
        "award_limit": max(episode.awarded, episode.asked - outside),
    }


def episodes_save(result: list[EpisodeNeed], *, person_ids: Iterable[int] | None = None) -> dict[str, int]:
    """Write computed episodes (of everyone, or of some persons) and point cases, awards and aid at them."""
    anchors = {e.anchor_id for e in result}
    everyone = person_ids is None  # then no id lists in queries: SQLite takes at most 32,766 parameters
    scope = Episode.objects.all()
    if not everyone:
        scope = Episode.objects.filter(Q(person_id__in=list(person_ids)) | Q(anchor_id__in=anchors))
    existing = {row["anchor_id"]: row for row in scope.values("id", "anchor_id", *_FIELDS)}

    created = [Episode(anchor_id=e.anchor_id, **_values(e)) for e in result if e.anchor_id not in existing]
    Episode.objects.bulk_create(created, batch_size=1000)
    changed = [
        (*values.values(), existing[e.anchor_id]["id"])
        for e in result
        if e.anchor_id in existing
        for values in [_values(e)]
        if any(existing[e.anchor_id][k] != v for k, v in values.items())
    ]
    _execute_update(Episode, _FIELDS, changed)

    saved = Episode.objects.all() if everyone else Episode.objects.filter(anchor_id__in=anchors)
    pk_of = dict(saved.values_list("anchor_id", "id"))
    episode_of_case = {case_id: pk_of[e.anchor_id] for e in result for case_id in e.all_case_ids}
    episode_of_aid = {aid_id: pk_of[e.anchor_id] for e in result for aid_id in e.aid_ids}
    cases, awards, aids = Case.objects.all(), Award.objects.all(), AidRecord.objects.all()
    if not everyone:
        cases = cases.filter(pk__in=list(episode_of_case))
        awards = awards.filter(case_id__in=list(episode_of_case))
        aids = aids.filter(Q(pk__in=list(episode_of_aid)) | Q(episode__in=scope))
    moved = _repoint(cases, "id", episode_of_case) + _repoint(awards, "case_id", episode_of_case)
    moved += _repoint(aids, "id", episode_of_aid)
    stale = [row["id"] for anchor, row in existing.items() if anchor not in anchors]
    for start in range(0, len(stale), 5000):
        Episode.objects.filter(pk__in=stale[start : start + 5000]).delete()
    return {"episodes_created": len(created), "episodes_changed": len(changed), "episodes_removed": len(stale),
            "ledger_links_moved": moved}  # fmt: skip


def _repoint(queryset, key: str, target: dict[int, int]) -> int:
    """Set `episode` on each row to target[row.key] (None when absent), writing only what changed."""
    rows = [
        (target.get(row[key]), row["id"])
        for row in queryset.values("id", key, "episode_id")
        if row["episode_id"] != target.get(row[key])
    ]
    _execute_update(queryset.model, ("episode_id",), rows)
    return len(rows)


def episode_award(*, anchor_id: int, amount: Decimal) -> Episode:
    """Add an award to its episode's ledger; the database refuses it past the episode's need."""
    episode = Episode.objects.select_for_update().get(anchor_id=anchor_id)
    try:
        with transaction.atomic():
            # Computed in Python on the locked row: exact decimals on every database.
            Episode.objects.filter(pk=episode.pk).update(awarded=episode.awarded + amount)
    except IntegrityError as exc:
        raise CaseError(f"{amount} would take the illness episode past its remaining need {episode.need}") from exc
    episode.awarded += amount
    return episode
