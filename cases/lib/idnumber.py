"""Resident identity numbers (公民身份号码, GB 11643-1999).

Eighteen characters: six of address code, eight of birth date (YYYYMMDD), three of sequence
(odd for men, even for women) and one ISO 7064 MOD 11-2 check character (0-9 or X).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cases.lib.regions import PERMIT_PREFIXES, PROVINCES

_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK_CHARS = "10X98765432"


class IdNumberError(ValueError):
    """The number is not a valid resident identity number; the message says why."""


@dataclass(frozen=True)
class IdNumber:
    value: str
    province: str
    birth_date: dt.date
    sex: str  # "M" or "F"
    is_residence_permit: bool


def check_character(first17: str) -> str:
    """The MOD 11-2 check character for the first seventeen digits."""
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalise(raw: str) -> str:
    return raw.strip().replace(" ", "").upper()


def parse(raw: str, *, today: dt.date | None = None) -> IdNumber:
    """Validate and decode a resident identity number, or raise IdNumberError saying why."""
    value = normalise(raw)
    if len(value) != 18:
        raise IdNumberError(f"must be 18 characters, got {len(value)}")
    if not value[:17].isdigit() or not value[:17].isascii():
        raise IdNumberError("the first 17 characters must be digits")
    if not (value[17].isdigit() or value[17] == "X"):
        raise IdNumberError("the last character must be a digit or X")
    expected = check_character(value[:17])
    if value[17] != expected:
        raise IdNumberError(f"check character is {value[17]}, expected {expected}")
    prefix = value[:2]
    is_permit = prefix in PERMIT_PREFIXES
    if prefix not in PROVINCES and not is_permit:
        raise IdNumberError(f"unknown province code {prefix}")
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise IdNumberError(f"birth date {value[6:14]} is not a real date") from None
    today = today or dt.date.today()
    if birth > today:
        raise IdNumberError(f"birth date {birth.isoformat()} is in the future")
    if birth.year < 1890:
        raise IdNumberError(f"birth date {birth.isoformat()} is implausibly early")
    sex = "M" if int(value[16]) % 2 else "F"
    return IdNumber(value=value, province=prefix, birth_date=birth, sex=sex, is_residence_permit=is_permit)


def is_valid(raw: str) -> bool:
    try:
        parse(raw)
    except IdNumberError:
        return False
    return True


def make(*, address: str, birth_date: dt.date, sequence: int) -> str:
    """Build a valid number (for sample data and tests): six-digit address, birth date, 0-999."""
    first17 = f"{address}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


def mask(value: str | None) -> str:
    """Keep the first four and last four characters: 1101**********002X."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str:
    """Keep the first three and last four digits of the number as dialled in China: 138****5678."""
    if not value:
        return ""
    value = normalise_phone(value)
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_account(value: str | None) -> str:
    """Keep the last four characters of a bank account: ************1234."""
    if not value:
        return ""
    value = "".join(value.split())
    if len(value) <= 4:
        return "*" * len(value)
    return "*" * (len(value) - 4) + value[-4:]


def mask_name(value: str | None) -> str:
    """The first character and two stars, whatever the length (张**, 欧**), as the foundation
    portal shows names: neither the given name nor its length is told."""
    value = (value or "").strip()
    return value[:1] + "**" if value else ""


def normalise_phone(raw: str) -> str:
    """The number as dialled inside China, so that one phone written several ways hashes alike.

    Drops spaces and dashes, and the country code +86 (or 86 in front of an eleven-digit mobile).
    """
    value = raw.strip().replace(" ", "").replace("-", "")
    if value.startswith("+86"):
        return value[3:]
    if value.startswith("86") and len(value) == 13:
        return value[2:]
    return value
