"""Labelled evaluation set of free-text diagnoses for the ICD-10 diagnosis normaliser.

``eval_set.csv`` holds diagnoses written the way hospitals and families write them, each
labelled with the WHO ICD-10 (2019) 3-character category a coder would assign. README.md
says how it was made and which labelling rules it follows.

The set must stay apart from what the normaliser is trained on (the disease library's standard
names and synonyms). ``overlapping`` finds the rows whose text is, after light normalisation,
identical to a training name, so a benchmark can drop or report them.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

EVAL_SET = Path(__file__).with_name("eval_set.csv")
# Written blind, after the normaliser was built, by someone who saw neither it, the library nor
# EVAL_SET (README: "A blind set").
FRESH_SET = Path(__file__).with_name("fresh_set.csv")
# Written blind once more, while the normaliser was being improved on the others, by someone who
# saw none of them, the library or the normaliser; run only for reporting (README: "A blind set").
BLIND_SET = Path(__file__).with_name("blind_set.csv")
# A fourth hand, blind likewise, written while the terms file (cases/data/icd10_terms.csv) was added.
PANEL_SET = Path(__file__).with_name("panel_set.csv")
# A fifth, written blind in two parts by two more hands (cancers and blood; the rest) in session 7.
WARD_SET = Path(__file__).with_name("ward_set.csv")
# A sixth, written like the fifth by two more hands in session 7, after the changes the fifth's dev
# half suggested; run once whole as its first measurement.
ROUTE_SET = Path(__file__).with_name("route_set.csv")
# A seventh, written like the fifth by two more hands in session 8 while the normaliser learnt to read
# names written out whole; nothing was tuned on it: run once whole, at the end, as its only measurement.
INTAKE_SET = Path(__file__).with_name("intake_set.csv")
SETS = {
    "eval": EVAL_SET, "fresh": FRESH_SET, "blind": BLIND_SET, "panel": PANEL_SET, "ward": WARD_SET, "route": ROUTE_SET,
    "intake": INTAKE_SET,
}  # fmt: skip
COLUMNS = ("text", "icd10_category", "writer", "variation")
WRITERS = ("hospital", "family")


@dataclass(frozen=True)
class Example:
    text: str
    icd10_category: str
    writer: str
    variation: str


def load_eval_set(path: Path | str = EVAL_SET) -> list[Example]:
    """Read the evaluation set; raises ValueError on a malformed header or writer."""
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ValueError(f"{path}: expected columns {COLUMNS}, got {reader.fieldnames}")
        examples = [Example(**{column: row[column] for column in COLUMNS}) for row in reader]
    for number, example in enumerate(examples, start=2):
        if example.writer not in WRITERS:
            raise ValueError(f"{path}:{number}: unknown writer {example.writer!r}")
    return examples


_IGNORED = re.compile(r"[\s\W_]+", re.UNICODE)


def normalise_for_overlap(text: str) -> str:
    """NFKC, case-folded, with whitespace and punctuation removed (no script conversion)."""
    return _IGNORED.sub("", unicodedata.normalize("NFKC", text).casefold())


def overlapping(examples: Iterable[Example], training_names: Iterable[str]) -> list[Example]:
    """The examples whose text equals a training name once both are normalised."""
    names = {normalise_for_overlap(name) for name in training_names}
    names.discard("")
    return [example for example in examples if normalise_for_overlap(example.text) in names]
