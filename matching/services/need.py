"""Remaining need per illness episode, counting every channel's aid."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db.models import Q, Sum

from cases.choices import BLOCKING_FLAGS, CaseStatus, Flag
from cases.lib.icd10 import category
from cases.models import AidRecord, Case, CaseFlag
from cases.services.events import event_log
from cases.services.sql import execute_update
from cases.services.verification import flags_sync, status_refresh
from matching.lib.episodes import AidRow, CaseRow, EpisodeNeed, episodes
from matching.models import Award
from matching.services.ledger import episodes_save
from matching.services.proposals import proposals_supersede

ZERO = Decimal("0.00")
PRIORITY_PLACES = Decimal("0.0001")


def episode_rows(*, person_ids: list[int] | None = None) -> tuple[list[CaseRow], list[AidRow]]:
    """Load what episode computation needs, for some persons or for everyone."""
    cases = Case.objects.all()
    aids = AidRecord.objects.all()
    if person_ids is not None:
        cases = cases.filter(person_id__in=person_ids)
        aids = aids.filter(Q(person_id__in=person_ids) | Q(case__person_id__in=person_ids))
    awarded = dict(
        Award.objects.filter(case__in=cases)
        .values("case_id")
        .annotate(total=Sum("amount"))
        .values_list("case_id", "total")
    )
    blocked = set(
        CaseFlag.objects.filter(case__in=cases, code__in=BLOCKING_FLAGS, overridden_at__isnull=True).values_list(
            "case_id", flat=True
        )
    )
    # An amount far above what is plausible (the illness's highest out-of-pocket, a PAP program's
    # terms) asks, for matching, only that much, until a case worker overrides the flag.
    inflated = set(
        CaseFlag.objects.filter(case__in=cases, code=Flag.TARGET_EXCEEDS_COST, overridden_at__isnull=True).values_list(
            "case_id", flat=True
        )
    )
    case_rows = [
        CaseRow(
            id=c["id"],
            person_id=c["person_id"],
            category=category(c["icd10"]) if c["icd10"] else "",
            submitted_at=c["submitted_at"],
            request_amount=min(c["request_amount"], c["amount_bound"])
            if c["id"] in inflated and c["amount_bound"] is not None
            else c["request_amount"],
            raised=c["campaign__raised"] or ZERO,
            awarded=awarded.get(c["id"], ZERO),
            blocked=c["id"] in blocked,
            rejected=c["status"] == CaseStatus.REJECTED,
        )
        for c in cases.values(
            "id", "person_id", "icd10", "submitted_at", "request_amount", "amount_bound", "campaign__raised", "status"
        )
    ]
    aid_rows = [
        AidRow(
            amount=a["amount"],
            case_id=a["case_id"],
            person_id=a["person_id"],
            category=a["icd10"][:3],
            on=a["date"],
            id=a["id"],
        )  # fmt: skip
        for a in aids.values("id", "amount", "case_id", "person_id", "icd10", "date")
    ]
    return case_rows, aid_rows


def priority_of(*, tier: str, need: Decimal, annual_income: Decimal) -> Decimal:
    """Tier weight plus the burden of the need against a year's household income (0..1)."""
    weight = Decimal(str(settings.MATCHING_TIER_WEIGHTS.get(tier, 0)))
    burden = min(Decimal(1), need / max(annual_income, Decimal(1)))
    return (weight + Decimal(str(settings.MATCHING_BURDEN_WEIGHT)) * burden).quantize(PRIORITY_PLACES)


def ledger_scope(person_ids: list[int]) -> list[int]:
    """These persons and those now holding cases of their episodes: re-grouping must see both sides."""
    moved_to = Case.objects.filter(episode__person_id__in=person_ids).values_list("person_id", flat=True)
    return sorted({*person_ids, *moved_to})


def need_compute_all(*, batch_size: int = 1000, person_ids: list[int] | None = None) -> dict[str, int]:
    """Recompute need, carrier and priority of every case (or some persons'); flag duplicate applications."""
    if person_ids is not None:
        person_ids = ledger_scope(person_ids)
    case_rows, aid_rows = episode_rows(person_ids=person_ids)
    result = episodes(case_rows, aid_rows, with_rejected=True)
    ledger = episodes_save(result, person_ids=person_ids)
    carrier_of: dict[int, EpisodeNeed] = {}
    for episode in result:
        for case_id in episode.case_ids:
            carrier_of[case_id] = episode

    cases = Case.objects.filter(person_id__in=person_ids) if person_ids is not None else Case.objects.all()
    cases = cases.select_related("household").only(
        "id", "ref", "need", "priority", "duplicate_of_id", "status", "tier", "household__annual_income"
    )
    changed: list[Case] = []
    duplicates_changed = with_need = 0
    for case in cases.iterator(chunk_size=batch_size):
        episode = carrier_of.get(case.id)
        if episode is None:  # rejected
            need, duplicate_of, priority = ZERO, None, None
        elif episode.carrier_id == case.id:
            need, duplicate_of = episode.need, None
            priority = priority_of(tier=case.tier, need=need, annual_income=case.household.annual_income)
        else:
            need, duplicate_of, priority = ZERO, episode.carrier_id, None
        if duplicate_of != case.duplicate_of_id:
            duplicates_changed += 1
            _duplicate_flag_sync(case=case, carrier_id=duplicate_of)
        with_need += need > 0
        if (case.need, case.duplicate_of_id, case.priority) != (need, duplicate_of, priority):
            case.need, case.duplicate_of_id, case.priority = need, duplicate_of, priority
            changed.append(case)
    _need_write(changed)
    return {
        "episodes": sum(1 for e in result if e.carrier_id is not None),
        "episodes_with_need": with_need,
        **ledger,
        "duplicates_changed": duplicates_changed,
        "need_changed": len(changed),
    }


def _need_write(cases: list[Case]) -> None:
    execute_update(
        Case, ("need", "duplicate_of_id", "priority"), [(c.need, c.duplicate_of_id, c.priority, c.pk) for c in cases]
    )


def _duplicate_flag_sync(*, case: Case, carrier_id: int | None) -> None:
    raised = {}
    if carrier_id is not None:
        carrier_ref = Case.objects.filter(pk=carrier_id).values_list("ref", flat=True).first()
        raised[Flag.DUPLICATE_APPLICATION] = f"same person and illness as case {carrier_ref}, which carries the need"
    flags = flags_sync(case=case, raised=raised, owned=frozenset({Flag.DUPLICATE_APPLICATION}))
    previous = case.status
    status_refresh(case=case, flags=flags)
    if case.status != previous:
        Case.objects.filter(pk=case.pk).update(status=case.status)
        event_log(case=case, code=f"case.{case.status}", actor_label="system:nightly",
                  data={"from": previous, "duplicate_of": carrier_id})  # fmt: skip


def need_refresh(*, person_ids: list[int], reason: str) -> dict[str, int]:
    """After persons changed (a merge, a split): their episodes and need anew, their open proposals withdrawn."""
    counts = need_compute_all(person_ids=person_ids)
    proposals_supersede(cases=Case.objects.filter(person_id__in=person_ids), reason=reason)
    return counts


def episodes_refresh(*, person_ids: list[int]) -> list[EpisodeNeed]:
    """Recompute and save the episodes of some persons, as of now (awards included)."""
    person_ids = ledger_scope(person_ids)
    case_rows, aid_rows = episode_rows(person_ids=person_ids)
    result = episodes(case_rows, aid_rows, with_rejected=True)
    episodes_save(result, person_ids=person_ids)
    return result


def episode_need_for_case(*, case: Case) -> EpisodeNeed | None:
    """The episode a case belongs to, with its need as of now, saved to the ledger."""
    for episode in episodes_refresh(person_ids=[case.person_id]):
        if case.id in episode.case_ids:
            return episode
    return None
