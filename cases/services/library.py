"""The disease-cost library in the database: loaded from the versioned file, corrected in the admin."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from django.db import transaction

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
    for entry in entries:
        values = _values(entry)
        row = existing.pop(entry.key, None)
        if row is None:
            DiseaseEntry.objects.create(key=entry.key, **values)
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
    counts["not_in_file"] = len(existing)
    return counts
