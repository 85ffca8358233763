"""Unified social credit codes (统一社会信用代码, GB 32100-2015).

Eighteen characters from a 31-symbol alphabet (digits and capitals without I, O, S, V, Z):
registration authority, organisation type, six-digit administrative division, nine-character
organisation code and a MOD 31 check character.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUES = {c: i for i, c in enumerate(ALPHABET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


class UsccError(ValueError):
    """The code is malformed or its check character does not match."""


def check_character(first17: str) -> str:
    total = sum(_VALUES[c] * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate(raw: str) -> str:
    """Return the normalised code, or raise UsccError saying why."""
    value = raw.strip().upper()
    if len(value) != 18:
        raise UsccError(f"must be 18 characters, got {len(value)}")
    bad = sorted({c for c in value if c not in _VALUES})
    if bad:
        raise UsccError(f"characters not allowed: {''.join(bad)}")
    if not value[2:8].isdigit():
        raise UsccError("characters 3-8 (administrative division) must be digits")
    expected = check_character(value[:17])
    if value[17] != expected:
        raise UsccError(f"check character is {value[17]}, expected {expected}")
    return value


def make(first17: str) -> str:
    return first17 + check_character(first17)
