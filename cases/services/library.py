"""The disease-cost library in the database: loaded from the versioned file, corrected in the admin."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from cases.lib import disease_library
from cases.models import DiseaseEntry

# What a reload may overwrite: everything an entry says, unless a case worker corrected it.
_FIELDS = ("icd10", "name_zh", "name_en", "synonyms", "lists", "unit", "cost_low", "cost_typical", "cost_high",
           "source", "year", "confidence", "library_version")  # fmt: skip


def _values(entry: disease_library.Entry) -> dict:
    return {
        "icd10": "|".join(entry.icd10),
        "name_zh": entry.name_zh,
        "name_en": entry.name_en,
        "synonyms": "|".join(entry.synonyms_zh),
        "lists": "|".join(entry.lists),
        "unit": entry.unit,
        "cost_low": entry.cost_low,
        "cost_typical": entry.cost_typical,
        "cost_high": entry.cost_high,
        "source": entry.source,
        "year": entry.year,
        "confidence": entry.confidence,
        "library_version": disease_library.VERSION,
    }


@transaction.atomic
def library_load(*, path: Path | None = None, force: bool = False) -> Counter:
    """Create or update every entry of the file; entries a case worker edited are kept unless `force`.

    Idempotent: a second load of the same file changes nothing. Entries no longer in the file stay
    (cases may point to them) and are counted as `not_in_file`.
    """
    entries = disease_library.load(path) if path else disease_library.load()
    existing = {e.key: e for e in DiseaseEntry.objects.all()}
    counts: Counter = Counter()
    new = []
    for entry in entries:
        values = _values(entry)
        row = existing.pop(entry.key, None)
        if row is None:
            new.append(DiseaseEntry(key=entry.key, **values))
            counts["created"] += 1
        elif row.edited_at is not None and not force:
            counts["kept_case_worker_edit"] += 1
        elif any(getattr(row, f) != v for f, v in values.items()):
            for field, value in values.items():
                setattr(row, field, value)
            row.edited_at = None
            row.save()
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    bulk_create_with_history(new, DiseaseEntry)  # each with its first history row
    counts["not_in_file"] = len(existing)
    return counts


def library_entries() -> list[DiseaseEntry]:
    """Every entry of the library, loading the shipped file first if the database has none yet."""
    rows = list(DiseaseEntry.objects.order_by("pk"))
    if not rows:
        library_load()
        rows = list(DiseaseEntry.objects.order_by("pk"))
    return rows


def entry_of(row: DiseaseEntry) -> disease_library.Entry:
    """A database row as the library's own record, for the pure look-ups and the normaliser."""
    return disease_library.Entry(
        key=row.key,
        icd10=tuple(p.strip() for p in row.icd10.split("|") if p.strip()),
        name_zh=row.name_zh,
        name_en=row.name_en,
        synonyms_zh=tuple(s.strip() for s in row.synonyms.split("|") if s.strip()),
        lists=tuple(s for s in row.lists.split("|") if s),
        unit=row.unit,
        cost_low=row.cost_low,
        cost_typical=row.cost_typical,
        cost_high=row.cost_high,
        source=row.source,
        year=row.year or 0,
        confidence=row.confidence,
    )


def library_stamp(rows: list[DiseaseEntry]) -> str:
    """The file's version and a digest of the rows as they are now, case workers' edits included.

    Verification records it; when it changes, the nightly run verifies every case again.
    """
    digest = hashlib.sha256()
    for row in sorted(rows, key=lambda r: r.key):
        digest.update(repr(tuple(getattr(row, f) for f in ("key", *_FIELDS[:-1]))).encode())
    return f"{disease_library.VERSION}@{digest.hexdigest()[:8]}"
