"""Bulk import and export in the exchange format (shared/exchange-format.md)."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import DataError, IntegrityError, transaction
from django.utils import timezone

from cases.errors import CaseError
from cases.lib import exchange, money
from cases.models import Case, CaseFlag
from cases.services.intake import aid_record, blacklist_add, case_submit, cases_create
from cases.tasks import verify_cases
from matching.choices import ProposalStatus, RunStatus
from matching.models import Award, MatchRun, Proposal
from matching.services.programs import foundation_upsert, program_upsert


@dataclass
class Rejection:
    line: int
    ref: str | None
    reason: str

    def __str__(self) -> str:
        ref = f" (ref {self.ref})" if self.ref else ""
        return f"line {self.line}{ref}: {self.reason}"


@dataclass
class ImportReport:
    counts: Counter = field(default_factory=Counter)
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return sum(n for key, n in self.counts.items() if not key.endswith(".rejected"))


logger = logging.getLogger(__name__)
ACTOR = "import:exchange"

# Lines stored per transaction; each line still has its own savepoint, so a bad line costs only
# itself. Committing in batches rather than per line is what makes large files fast on SQLite.
IMPORT_BATCH = 500


def _batches(items: Iterable, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def import_lines(
    lines: Iterable[str],
    *,
    user=None,
    report: ImportReport | None = None,
    on_line: Callable[[int], None] | None = None,
) -> ImportReport:
    """Store every valid line, each on its own; collect the others with their line and reason."""
    importer = _Importer(report=report if report is not None else ImportReport(), user=user)
    for batch in _batches(enumerate(lines, start=1), IMPORT_BATCH):
        with transaction.atomic():
            importer.batch(batch, on_line=on_line)
        # Verify what changed, on a worker (in this process when no broker is configured).
        if importer.touched:
            # After commit even when a caller wraps the import in its own transaction.
            transaction.on_commit(lambda ids=importer.touched: verify_cases.delay(ids))
            importer.touched = []
    return importer.report


class _Importer:
    """Lines in file order. Runs of new cases are stored together (cases_create); every other line,
    and any run the database refuses as a whole, line by line, each in its own savepoint."""

    def __init__(self, *, report: ImportReport, user):
        self.report, self.user = report, user
        self.touched: list[int] = []  # cases stored or changed in the current batch
        self.today, self.tz = timezone.localdate(), timezone.get_current_timezone()

    def reject(self, number: int, kind: str, ref: str | None, reason: str) -> None:
        self.report.rejections.append(Rejection(number, ref, reason))
        self.report.counts[f"{kind}.rejected"] += 1

    def batch(self, batch: list[tuple[int, str]], *, on_line) -> None:
        entries = []
        for number, line in batch:
            if on_line:
                on_line(len(line.encode()) + 1)
            obj = self.read(number, line) if line.strip() else None
            if obj is not None:
                entries.append((number, obj))
        refs = {obj["ref"] for _, obj in entries if obj.get("kind") == "case" and isinstance(obj.get("ref"), str)}
        known = set(Case.objects.filter(ref__in=refs).values_list("ref", flat=True))
        run: list[tuple[int, exchange.CaseInput]] = []
        for number, obj in entries:
            ref = obj.get("ref")
            if obj.get("kind") == "case" and isinstance(ref, str) and ref not in known:
                try:
                    run.append((number, exchange.parse_case(obj, today=self.today, tz=self.tz)))
                    known.add(ref)
                except exchange.LineError as exc:
                    self.reject(number, "case", exc.ref or ref, str(exc))
                continue
            self.flush(run)  # an earlier line may be what this one refers to
            run = []
            self.guarded(number, obj.get("kind") if isinstance(obj.get("kind"), str) else "invalid",
                         ref if isinstance(ref, str) else None, lambda obj=obj: self.store(obj))  # fmt: skip
        self.flush(run)

    def read(self, number: int, line: str) -> dict | None:
        """The line's object, or None after rejecting it."""
        try:
            obj = exchange.loads(line)
        except json.JSONDecodeError as exc:
            reason = f"not valid JSON: {exc.msg} at column {exc.colno}"
        except (ValueError, RecursionError) as exc:  # numbers too long to convert, nesting too deep
            reason = f"not readable JSON: {str(exc)[:200]}"
        else:
            if isinstance(obj, dict):
                return obj
            reason = "a line must be a JSON object with a kind"
        self.reject(number, "invalid", None, reason)
        return None

    def flush(self, run: list[tuple[int, exchange.CaseInput]]) -> None:
        if not run:
            return
        try:
            with transaction.atomic():
                cases, errors = cases_create(items=[data for _, data in run], user=self.user, actor_label=ACTOR)
        except (IntegrityError, DataError):
            # Refused as a whole: store line by line, so only the offending lines are rejected.
            for number, data in run:
                self.guarded(number, "case", data.ref, lambda data=data: self.store_case(data))
            return
        self.touched.extend(case.pk for case in cases)
        line_of = {data.ref: number for number, data in run}
        for error in errors:
            self.reject(line_of[error.ref], "case", error.ref, str(error))
        self.report.counts["case.created"] += len(cases)

    def guarded(self, number: int, kind: str, ref: str | None, store: Callable[[], tuple[str, str]]) -> None:
        try:
            with transaction.atomic():
                kind, outcome = store()
        except exchange.LineError as exc:
            return self.reject(number, kind, exc.ref or ref, str(exc))
        except CaseError as exc:
            return self.reject(number, kind, ref, str(exc))
        except (IntegrityError, DataError) as exc:
            return self.reject(number, kind, ref, f"refused by the database: {exc}")
        except Exception:
            # A defect of ours must not cost the sender the other lines of the batch.
            logger.exception("import: line %s (ref %s) failed", number, ref)
            return self.reject(number, kind, ref, "internal error while storing this line; it has been logged")
        self.report.counts[f"{kind}.{outcome}"] += 1

    def store_case(self, data: exchange.CaseInput) -> tuple[str, str]:
        case, outcome = case_submit(data=data, user=self.user, actor_label=ACTOR)
        if outcome != "unchanged":
            self.touched.append(case.pk)
        return "case", outcome

    def store(self, obj: dict) -> tuple[str, str]:
        kind = obj.get("kind")
        if kind == "foundation":
            _, outcome = foundation_upsert(data=exchange.parse_foundation(obj))
        elif kind == "program":
            _, outcome = program_upsert(data=exchange.parse_program(obj))
        elif kind == "case":
            return self.store_case(exchange.parse_case(obj, today=self.today, tz=self.tz))
        elif kind == "aid":
            _, outcome = aid_record(data=exchange.parse_aid(obj, today=self.today))
        elif kind == "blacklist":
            _, outcome = blacklist_add(data=exchange.parse_blacklist(obj, today=self.today))
        else:
            raise exchange.LineError([("kind", f"{kind!r} is not one of {', '.join(exchange.KINDS)}")])
        return kind, outcome


def _money(value: Decimal | None) -> str | None:
    return None if value is None else money.fmt(value)


def _number(value: Decimal | None) -> float | None:
    # Scores and priorities are weights, not money: plain JSON numbers are what readers expect.
    return None if value is None else float(value)


def case_results() -> Iterator[dict[str, Any]]:
    flags: dict[int, list[str]] = {}
    for case_id, code in (
        CaseFlag.objects.filter(overridden_at__isnull=True).order_by("case_id", "code").values_list("case_id", "code")
    ):
        flags.setdefault(case_id, []).append(code)
    rows = Case.objects.order_by("id").values(
        "id", "ref", "status", "risk_score", "icd10", "tier", "expected_cost", "expected_oop", "need",
        "person__public_id", "duplicate_of__ref", "priority",
    )  # fmt: skip
    for c in rows.iterator(chunk_size=2000):
        yield {
            "kind": "case_result",
            "ref": c["ref"],
            "status": c["status"],
            "flags": flags.get(c["id"], []),
            "risk_score": _number(c["risk_score"]),
            "icd10": c["icd10"] or None,
            "tier": c["tier"] or None,
            "expected_cost": _money(c["expected_cost"]),
            "expected_oop": _money(c["expected_oop"]),
            "need": _money(c["need"]),
            "person": c["person__public_id"],
            "duplicate_of": c["duplicate_of__ref"],
            "priority": _number(c["priority"]),
        }


def latest_run() -> MatchRun | None:
    return MatchRun.objects.filter(status=RunStatus.SUCCEEDED).order_by("-started_at").first()


def proposals() -> Iterator[dict[str, Any]]:
    """The open proposals of the latest successful run: the ones that stand together.

    Accepted ones are exported as awards, declined ones no longer stand: neither is counted twice.
    """
    run = latest_run()
    if run is None:
        return
    rows = (
        Proposal.objects.filter(run=run, status=ProposalStatus.OPEN)
        .order_by("id")
        .values("case__ref", "program__ref", "amount", "priority", "reason", "run_id", "status")
    )
    for p in rows.iterator(chunk_size=2000):
        yield {
            "kind": "proposal",
            "case": p["case__ref"],
            "program": p["program__ref"],
            "amount": money.fmt(p["amount"]),
            "priority": float(p["priority"]),
            "reason": p["reason"],
            "run": p["run_id"],
            "status": p["status"],
        }


def awards() -> Iterator[dict[str, Any]]:
    rows = Award.objects.order_by("id").values("case__ref", "program__ref", "amount", "status")
    for a in rows.iterator(chunk_size=2000):
        yield {
            "kind": "award",
            "case": a["case__ref"],
            "program": a["program__ref"],
            "amount": money.fmt(a["amount"]),
            "status": a["status"],
        }


EXPORTERS: dict[str, Callable[[], Iterator[dict[str, Any]]]] = {
    "case_result": case_results,
    "proposal": proposals,
    "award": awards,
}


def export_lines(*, kinds: Iterable[str]) -> Iterator[str]:
    for kind in kinds:
        for obj in EXPORTERS[kind]():
            yield json.dumps(obj, ensure_ascii=False)
