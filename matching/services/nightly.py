"""The nightly pipeline: verify pending cases, resolve identities, verify again the cases whose
person changed, compute need, match.

One run at a time, held by the database (a partial unique index on running runs). Each step
is idempotent, so a run that died can simply be run again.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from cases.choices import CaseStatus
from cases.models import Case, CheckResult
from cases.services.identity import identities_resolve_all, persons_prune
from cases.services.intake import aid_link_persons
from cases.services.verification import cases_verify_chunked, current_stamp
from matching.choices import RunStatus
from matching.models import MatchRun, Program
from matching.services.need import need_compute_all
from matching.services.proposals import proposals_make, proposals_supersede

logger = logging.getLogger(__name__)


class RunAlreadyInProgress(Exception):
    pass


def run_start(*, trigger: str) -> MatchRun:
    """Claim the single running slot, first failing a run that has been running too long."""
    stale_before = timezone.now() - timedelta(minutes=settings.NIGHTLY_STALE_AFTER_MINUTES)
    MatchRun.objects.filter(status=RunStatus.RUNNING, started_at__lt=stale_before).update(
        status=RunStatus.FAILED, finished_at=timezone.now(), error="abandoned: still running after the stale limit"
    )
    try:
        with transaction.atomic():
            return MatchRun.objects.create(trigger=trigger)
    except IntegrityError:
        raise RunAlreadyInProgress("another nightly run is in progress") from None


def cases_to_verify() -> tuple[list[int], set[int], str, dict[str, int]]:
    """Pending cases; cases verified under another library, normaliser, formula or model (a case
    worker edited the library, a new model was trained); and cases whose person has a newer
    application, which changes what the risk score counts. Returns the ids, those of the last kind,
    the current stamp and a count for each reason."""
    stamp = current_stamp()
    newest_other = (
        Case.objects.filter(person_id=OuterRef("person_id"))
        .exclude(pk=OuterRef("pk"))
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    risk_at = CheckResult.objects.filter(case=OuterRef("pk"), check_code="risk").values("checked_at")[:1]
    pending = set(Case.objects.filter(status=CaseStatus.PENDING).values_list("id", flat=True))
    verified = Case.objects.exclude(status__in=(CaseStatus.PENDING, CaseStatus.REJECTED))  # a rejection stands
    stale = set(verified.exclude(verified_with=stamp).values_list("id", flat=True))
    newer = set(
        verified.filter(verified_with=stamp)
        .annotate(newest_other=Subquery(newest_other), risk_at=Subquery(risk_at))
        .filter(newest_other__gt=F("risk_at"))
        .values_list("id", flat=True)
    )
    reasons = {"pending": len(pending), "stale_versions": len(stale), "newer_application": len(newer)}
    return sorted(pending | stale | newer), newer, stamp, reasons


def step_verify(*, progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    ids, newer, stamp, reasons = cases_to_verify()
    # Read again with each chunk: a case that intake verified meanwhile is skipped.
    still = Q(status=CaseStatus.PENDING) | ~Q(verified_with=stamp) | Q(id__in=newer)
    verified, failed = cases_verify_chunked(ids, actor_label="system:nightly", still=still, progress=progress)
    return {**reasons, "verified": verified, "failed": failed}


def step_resolve_identities() -> dict[str, int]:
    """Re-resolve every case to its person (the model refitted on tonight's data) and link aid to persons."""
    counts = identities_resolve_all()
    return {**counts, "aid_linked": aid_link_persons()}


def nightly_run(*, trigger: str, progress: Callable[[str, int, int], None] | None = None) -> MatchRun:
    """Run the whole pipeline once and record it; raises RunAlreadyInProgress if one is running."""
    run = run_start(trigger=trigger)

    def timed(name: str, step: Callable[[], dict[str, int]], *, reports_progress: bool = False) -> None:
        started = time.monotonic()
        counts = step()
        run.step_timings[name] = round(time.monotonic() - started, 3)
        run.counts.update({f"{name}.{k}": v for k, v in counts.items()})
        run.save(update_fields=["step_timings", "counts"])
        if progress and not reports_progress:
            progress(name, 1, 1)

    verify_progress = (lambda done, total: progress("verify", done, total)) if progress else None
    try:
        timed("verify", lambda: step_verify(progress=verify_progress), reports_progress=True)
        timed("resolve", step_resolve_identities)
        # cases whose person gained or lost an application tonight: their risk counts it
        timed("reverify", step_verify)
        with transaction.atomic():
            # Need and proposals are computed on one state: accepting an award locks its program,
            # so none can land between the need this run computes and the proposals it makes.
            list(Program.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
            timed("need", need_compute_all)
            timed("match", lambda: proposals_make(run=run))
        timed("prune", lambda: {"persons_deleted": persons_prune()})
    except BaseException:  # an interrupted run must not hold the slot until it goes stale
        _run_finish(run, RunStatus.FAILED, error=traceback.format_exc()[-4000:])
        logger.exception("nightly run %s failed", run.pk)
        raise
    if not _run_finish(run, RunStatus.SUCCEEDED):
        proposals_supersede(run=run, reason=f"run {run.pk} was declared abandoned while it ran")
        raise RuntimeError(f"nightly run {run.pk} was declared abandoned while it ran; its proposals are withdrawn")
    return run


def _run_finish(run: MatchRun, status: str, error: str = "") -> bool:
    """Close the run if it is still the running one (a stale takeover may have failed it meanwhile)."""
    run.status, run.error, run.finished_at = status, error, timezone.now()
    return bool(
        MatchRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=status, error=error, finished_at=run.finished_at
        )
    )
