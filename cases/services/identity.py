"""Recognising people: keyed hashes of identity numbers and phones, and the person a case belongs to.

The first version recognises a person by exact valid identity number only; probabilistic
resolution replaces `person_for_case` later without changing its callers.

Hashes are HMAC-SHA256 under settings.ID_HASH_KEYS. New hashes use the first (current) key; a
lookup tries every configured key, so rows hashed before a rotation are still found until
`manage.py rotate_keys` has rehashed them.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

from cases.lib import idnumber
from cases.models import Case, Person


def _hmac(key: str, value: str) -> str:
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()


def id_hash(number: str) -> str:
    """The hash of a normalised identity number under the current key: what new rows store."""
    if not number:
        return ""
    return _hmac(settings.ID_HASH_KEYS[0], idnumber.normalise(number))


def id_hashes(number: str) -> list[str]:
    """The hashes of an identity number under every configured key, current first: what lookups match."""
    if not number:
        return []
    value = idnumber.normalise(number)
    return [_hmac(key, value) for key in settings.ID_HASH_KEYS]


def id_hash_rotating() -> bool:
    """Whether more than one key is configured: stored hashes may then be under different keys."""
    return len(settings.ID_HASH_KEYS) > 1


def phone_hash(phone: str) -> str:
    """The hash of a phone as dialled in China (+86, spaces and dashes dropped); empty without a phone."""
    value = idnumber.normalise_phone(phone) if phone else ""
    if not value:
        return ""
    return _hmac(settings.ID_HASH_KEYS[0], value)


def person_for_case(*, case: Case) -> Person:
    """The person this case's patient is: found by valid identity number, else this case's own."""
    number = case.patient_id_number
    if number and idnumber.is_valid(number):
        hashes = id_hashes(number)
        person = Person.objects.filter(id_hash__in=hashes).first()
        if person is None:
            person, _ = Person.objects.get_or_create(
                id_hash=hashes[0],
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
