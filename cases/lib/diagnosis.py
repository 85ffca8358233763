"""Free-text diagnoses, as hospitals and families write them, to a disease-library entry.

"右肺腺癌IV期", "急性髓系白血病（M2型）", "CML慢性期", "DLBCL", "腎衰竭": the text is folded
(traditional to simplified, full-width to half-width, Latin to upper case), stripped of what
says how far or how treated rather than what (stage, TNM, type in brackets, "术后", "晚期",
laterality, a named spread "骨转移"), then compared by character n-gram TF-IDF with every name
and synonym the library knows (scikit-learn). The best-matching entry wins; its cosine
similarity is the confidence. Below the threshold the caller flags the case `unknown_diagnosis`
for a case worker to pick the entry.

Pure Python plus scikit-learn and opencc; no Django.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

VERSION = "diagnosis-tfidf/1"
DEFAULT_THRESHOLD = 0.45

# What a diagnosis says about stage, type or treatment rather than which illness it is.
_NOISE = [
    re.compile(p)
    for p in (
        r"[(（\[【][^)）\]】]*[)）\]】]",  # anything in brackets: (M2型), （高危）, [复发]
        r"T[0-4X][A-D]?N[0-3X][A-C]?M[0-1X][A-C]?",  # TNM
        r"BCLC\s*[A-D0]?\s*期?",
        r"(?:[IVX]+|[ⅠⅡⅢⅣⅤ]+|[0-4])\s*[A-C]?\s*期",  # stage
        r"(?<![A-Z])[A-D]\s*期",
        r"(?:CKD)?[1-5]期",
        r"(?:[一二三四]|[ⅠⅡⅢⅣ])度",
        r"(?:术后|放化疗后|化疗后|放疗后|靶向治疗中|治疗后|维持治疗|复发|难治性?|晚期|早期|中期|终末期)",
        r"(?:伴|合并)[^，,。;；]*$",  # "伴纵隔淋巴结转移" and what follows
        r"(?<=[癌瘤])(?:[^，,。;；]{0,6})转移$",  # "肺癌骨转移": the named primary stands
        r"(?:总面积|面积)?\d+(?:\.\d+)?%",
        r"^(?:左|右|双)(?=[^侧])",  # laterality
    )
]
_SEPARATORS = re.compile(r"[\s,，。;；:：、/\\|+_\-–—·•]+")


@dataclass(frozen=True)
class Name:
    """One name the library knows for an entry (its standard name or a synonym)."""

    key: str
    text: str


@dataclass(frozen=True)
class Match:
    key: str
    confidence: float
    matched: str  # the library name it matched best


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def clean(text: str) -> str:
    """The part of a diagnosis that names the illness, folded for comparison."""
    value = unicodedata.normalize("NFKC", text or "")
    value = _t2s().convert(value).upper()
    for pattern in _NOISE:
        value = pattern.sub(" ", value)
    return _SEPARATORS.sub("", value)


class Normaliser:
    """Character n-gram TF-IDF nearest name: which library entry a free text means."""

    def __init__(self, names: Sequence[Name], *, threshold: float = DEFAULT_THRESHOLD) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.threshold = threshold
        self.names = [n for n in names if clean(n.text)]
        self._vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
        self._matrix = self._vectorizer.fit_transform([clean(n.text) for n in self.names])

    def match(self, text: str) -> Match | None:
        """The best entry for a text, with its confidence; None for an empty text."""
        return self.match_many([text])[0]

    def match_many(self, texts: Iterable[str]) -> list[Match | None]:
        texts = list(texts)
        cleaned = [clean(t) for t in texts]
        similarity = (self._vectorizer.transform(cleaned) @ self._matrix.T).toarray()
        out: list[Match | None] = []
        for row, value in zip(similarity, cleaned, strict=True):
            if not value or not row.size:
                out.append(None)
                continue
            best = int(np.argmax(row))
            out.append(Match(self.names[best].key, round(float(row[best]), 4), self.names[best].text))
        return out

    def known(self, match: Match | None) -> bool:
        return match is not None and match.confidence >= self.threshold
