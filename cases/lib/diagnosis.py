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

# English as hospitals mix it in, to the Chinese the library names use (whole words, upper case).
_ENGLISH = {
    "LUNG": "肺", "BRONCHUS": "肺", "LIVER": "肝", "HEPATOCELLULAR": "肝", "HEPATIC": "肝", "GASTRIC": "胃",
    "STOMACH": "胃", "ESOPHAGEAL": "食管", "OESOPHAGEAL": "食管", "COLON": "结肠", "SIGMOID": "结肠",
    "RECTAL": "直肠", "RECTUM": "直肠", "COLORECTAL": "结直肠", "BREAST": "乳腺", "CERVICAL": "宫颈",
    "CERVIX": "宫颈", "NASOPHARYNGEAL": "鼻咽", "THYROID": "甲状腺", "PANCREATIC": "胰腺", "OVARIAN": "卵巢",
    "BLADDER": "膀胱", "KIDNEY": "肾", "RENAL": "肾", "BRAIN": "脑", "PROSTATE": "前列腺", "BONE": "骨",
    "CARCINOMA": "癌", "CANCER": "癌", "ADENOCARCINOMA": "癌", "SQUAMOUS": "", "CELL": "", "TUMOR": "瘤",
    "TUMOUR": "瘤", "LEUKEMIA": "白血病", "LEUKAEMIA": "白血病", "LYMPHOMA": "淋巴瘤", "ACUTE": "急性",
    "CHRONIC": "慢性", "MYELOID": "髓系", "MYELOGENOUS": "髓系", "LYMPHOBLASTIC": "淋巴细胞",
    "LYMPHOCYTIC": "淋巴细胞", "MULTIPLE": "多发性", "MYELOMA": "骨髓瘤", "STAGE": "", "TYPE": "",
    "EXTENSIVE": "", "LIMITED": "", "FAILURE": "衰竭", "DISEASE": "病", "HEART": "心脏", "CONGENITAL": "先天性",
}  # fmt: skip
_ENGLISH_WORD = re.compile(r"[A-Z]{3,}")
_ENGLISH_STAGE = re.compile(r"STAGE\s*(?:[IVX]+|[0-4])[A-C]?\d?")
_CA = re.compile(r"(?<![A-Z])CA(?![A-Z])")  # "肺Ca": cancer
# How a tumour is built says nothing about where it is: 右肺鳞状细胞癌 and 肺腺癌 are both lung cancer.
_HISTOLOGY = [
    (re.compile(p), r)
    for p, r in (
        (r"肝细胞癌", "肝癌"),
        (r"胆管细胞癌", "胆管癌"),
        (r"恶性肿瘤", "癌"),
        (r"(?:浸润性|微浸润|原位|中央型|周围型|[低中高]分化|分化差)", ""),
        (
            r"(?:鳞状细胞|鳞状|鳞|腺|导管|小叶|印戒细胞|[黏粘]液|乳头状|滤泡状|髓样|未分化|透明细胞|"
            r"大细胞神经内分泌|神经内分泌|非小细胞|小细胞)癌",
            "癌",
        ),
        (r"(?:[上中下]叶|主支气管|支气管)", ""),
        (r"胃(?:窦|体|底|角)", "胃"),
    )
]


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
    value = _ENGLISH_STAGE.sub(" ", value)
    value = _ENGLISH_WORD.sub(lambda m: _ENGLISH.get(m.group(), m.group()), value)
    value = _CA.sub("癌", value)
    for pattern in _NOISE:
        value = pattern.sub(" ", value)
    value = _SEPARATORS.sub("", value)
    for pattern, replacement in _HISTOLOGY:
        value = pattern.sub(replacement, value)
    return value


class Normaliser:
    """Character n-gram TF-IDF nearest name: which library entry a free text means."""

    def __init__(self, names: Sequence[Name], *, threshold: float = DEFAULT_THRESHOLD) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.threshold = threshold
        # A name that says only "cancer" once its histology is folded away (印戒细胞癌) names no organ.
        self.names = [n for n in names if len(clean(n.text)) > 1]
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
