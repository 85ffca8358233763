"""Key rotation: every encrypted number under the current encryption key, every keyed hash under the
current hash key.

To rotate, put the new key first in FIELD_ENCRYPTION_KEYS or ID_HASH_KEYS and keep the old one after
it; everything still reads and matches meanwhile. Then run `manage.py rotate_keys`; once it has
finished, the old key can go.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from django.db import models, transaction

from cases.models import AidRecord, BlacklistEntry, Case, CrowdfundingCampaign, Person
from cases.services.identity import id_hash, phone_hash

# Rows per transaction: one select and one bulk update each, so a large table never holds one long lock.
BATCH_SIZE = 500


@dataclass(frozen=True)
class Rotation:
    """One model: its encrypted fields, and how to compute its hash fields from the decrypted values."""

    model: type[models.Model]
    encrypted: tuple[str, ...]
    hashed: tuple[str, ...]
    hashes: Callable[[models.Model], dict[str, str | None]]

    @property
    def label(self) -> str:
        return self.model._meta.model_name


def _person_hashes(person: Person) -> dict[str, str | None]:
    # A person without a valid number has no hash (NULL, so that the unique constraint allows many).
    return {"id_hash": id_hash(person.id_number) if person.id_hash else None}


def _case_hashes(case: Case) -> dict[str, str | None]:
    return {"patient_id_hash": id_hash(case.patient_id_number), "patient_phone_hash": phone_hash(case.patient_phone)}


def _campaign_hashes(campaign: CrowdfundingCampaign) -> dict[str, str | None]:
    return {"raiser_id_hash": id_hash(campaign.raiser_id_number)}


def _aid_hashes(record: AidRecord) -> dict[str, str | None]:
    # A record stored before numbers were kept has its hash only: it cannot be computed again.
    return {
        "patient_id_hash": id_hash(record.patient_id_number) if record.patient_id_number else record.patient_id_hash
    }


def _blacklist_hashes(entry: BlacklistEntry) -> dict[str, str | None]:
    return {"id_hash": id_hash(entry.id_number)}


ROTATIONS = (
    Rotation(Person, ("id_number",), ("id_hash",), _person_hashes),
    Rotation(Case, ("patient_id_number", "patient_phone"), ("patient_id_hash", "patient_phone_hash"), _case_hashes),
    Rotation(CrowdfundingCampaign, ("raiser_id_number", "raiser_phone"), ("raiser_id_hash",), _campaign_hashes),
    Rotation(AidRecord, ("patient_id_number",), ("patient_id_hash",), _aid_hashes),
    Rotation(BlacklistEntry, ("id_number",), ("id_hash",), _blacklist_hashes),
)


def keys_rotation_size() -> int:
    """How many rows keys_rotate goes through (for a progress bar)."""
    return sum(rotation.model.objects.count() for rotation in ROTATIONS)


def keys_rotate(*, batch_size: int = BATCH_SIZE, on_rows: Callable[[int], None] | None = None) -> Counter:
    """Re-encrypt every encrypted value with the current key and recompute every stored hash.

    Idempotent: a second run changes no hash (it writes fresh tokens under the same key). Returns
    counts per model: rows gone through, rows whose hashes changed, and aid records whose hash
    could not be recomputed because the number it was made from was never stored.
    """
    counts: Counter = Counter()
    for rotation in ROTATIONS:
        last_pk = 0
        while True:
            with transaction.atomic():
                fields = (*rotation.encrypted, *rotation.hashed)
                rows = list(rotation.model.objects.only(*fields).filter(pk__gt=last_pk).order_by("pk")[:batch_size])
                if not rows:
                    break
                _batch_rotate(rotation, rows, counts)
            last_pk = rows[-1].pk
            if on_rows:
                on_rows(len(rows))
    return counts


def _batch_rotate(rotation: Rotation, rows: list[models.Model], counts: Counter) -> None:
    for row in rows:
        new = rotation.hashes(row)
        if any(getattr(row, field) != value for field, value in new.items()):
            counts[f"{rotation.label}.rehashed"] += 1
        for field, value in new.items():
            setattr(row, field, value)
        if isinstance(row, AidRecord) and row.patient_id_hash and not row.patient_id_number:
            counts[f"{rotation.label}.without_number"] += 1
    # Saving the encrypted fields encrypts them again, with the current key.
    rotation.model.objects.bulk_update(rows, [*rotation.encrypted, *rotation.hashed])
    counts[f"{rotation.label}.rows"] += len(rows)
