"""Chinese names of ICD-10 codes beyond the disease-cost library: "早产儿视网膜病变" is H35.1.

The library prices about a hundred and thirty illnesses; aid applications name many more (a
newborn's hypoxic-ischaemic encephalopathy, polycythaemia vera, silicosis, a drug-induced liver
injury). A case for one of those still needs its ICD-10 code: foundations' programs are matched by
code, and a case worker reads the code before the text. ``cases/data/icd10_terms.csv`` lists WHO
codes with the names hospitals, families and Taiwan or Hong Kong hospitals write for them.

The normaliser (``cases/lib/diagnosis.py``) reads a text against these names when its model, trained
on the library, has nothing as close, or when the text writes one of them out whole and the model is
unsure: the code, with the library entry that covers it when one does (so the amount can be
checked), else the code alone. Pure Python; no Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cases.lib import disease_library, icd10

TERMS_PATH = Path(__file__).resolve().parent.parent / "data" / "icd10_terms.csv"
TERMS_COLUMNS = ("code", "names")


class TermsError(disease_library.LibraryError):
    """A row of the terms file that cannot be used: the row, the field and why."""


@dataclass(frozen=True)
class Term:
    code: str  # a WHO ICD-10 code as the library writes codes: C88.0, P91.6, J62
    names: tuple[str, ...]


def load_terms(path: Path | str = TERMS_PATH) -> tuple[Term, ...]:
    """The file's codes and names; a row with an unknown code or a name another row holds stops the load."""
    path = Path(path)
    terms: list[Term] = []
    seen: dict[str, tuple[str, int]] = {}
    for row, raw in disease_library.data_rows(path, TERMS_COLUMNS, TermsError):
        code = raw["code"]
        if not icd10.is_who_code(code):
            message = f"{code!r} is not a WHO ICD-10 code written as C88.0"
            raise TermsError(message, path=path, row=row, field="code")
        names = tuple(dict.fromkeys(n.strip() for n in raw["names"].split("|") if n.strip()))
        if not names:
            raise TermsError("no name", path=path, row=row, field="names")
        for name in names:
            key = "".join(name.split()).casefold()
            if key in seen and seen[key][0] != code:
                other, line = seen[key]
                raise TermsError(f"{name!r} already names {other} (row {line})", path=path, row=row, field="names")
            seen[key] = (code, row)
        terms.append(Term(code, names))
    return tuple(terms)
