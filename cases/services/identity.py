"""Recognising people: keyed hashes of identity numbers, and the person a case belongs to.

The first version recognises a person by exact valid identity number only; probabilistic
resolution replaces `person_for_case` later without changing its callers.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

from cases.lib import idnumber
from cases.models import Case, Person


def id_hash(number: str) -> str:
    """HMAC-SHA256 of a normalised identity number: lets us match without comparing raw values."""
    if not number:
        return ""
    key = settings.ID_HASH_KEY.encode()
    return hmac.new(key, idnumber.normalise(number).encode(), hashlib.sha256).hexdigest()


def person_for_case(*, case: Case) -> Person:
    """The person this case's patient is: found by valid identity number, else this case's own."""
    number = case.patient_id_number
    if number and idnumber.is_valid(number):
        person, created = Person.objects.get_or_create(
            id_hash=id_hash(number),
            defaults={
                "name": case.patient_name,
                "birth_date": case.patient_birth_date,
                "sex": case.patient_sex,
                "province": case.patient_province,
                "id_number": idnumber.normalise(number),
            },
        )
        return person
    current = getattr(case, "person", None) if case.person_id else None
    if current is not None and current.id_hash is None and not current.cases.exclude(pk=case.pk).exists():
        # The case already has a person of its own (no identity number): keep it, update the details.
        for name, value in (("name", case.patient_name), ("birth_date", case.patient_birth_date),
                            ("sex", case.patient_sex), ("province", case.patient_province)):  # fmt: skip
            setattr(current, name, value)
        current.save(update_fields=["name", "birth_date", "sex", "province"])
        return current
    return Person.objects.create(
        name=case.patient_name,
        birth_date=case.patient_birth_date,
        sex=case.patient_sex,
        province=case.patient_province,
    )
