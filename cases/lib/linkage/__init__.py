"""Identity resolution: which applications belong to the same patient.

A patient reaches Tongzhou through several channels and the records disagree (missing or mistyped
identity number, traditional characters or homophones in the name, day and month swapped, a new
phone). This module links them with a discriminatively trained Fellegi–Sunter model:

1. Normalise: names to simplified characters without spaces or dots, then to toneless pinyin
   (per unique character, cached); birth dates to YYYYMMDD integers; every other field to an
   integer code.
2. Block: each record gets a few keys (`blocking_keys`); records sharing a key are candidate pairs.
   Oversized blocks are dropped (counted in `stats`), so work stays near-linear.
3. Compare: each candidate pair gets one level per comparison (name exact / same sound / similar /
   different, with the name's frequency; birth date exact / day-month swapped / one digit / ...).
4. Score: a logistic regression over the one-hot levels. Training is self-supervised: among the
   candidate pairs where both records carry a valid identity number, the same hash is a match and
   different hashes a non-match; the identity features are left out of the training, so the model
   learns what the other fields say. The weight of the mistyped-number evidence (`id_partial`),
   which never occurs in those pairs, is then estimated as log(m/u) from confidently scored pairs.
   With too few labelled pairs the shipped default model (fitted the same way on synthetic data)
   is used.
5. Cluster: pairs at or above the threshold are linked, same identity hash always links, and a
   component holding two different identity hashes is split (cannot-link): each record joins the
   anchor it is best connected to. Pairs in the review band go to a case worker.

Pure Python plus numpy, pandas, scipy, scikit-learn, rapidfuzz, pypinyin and opencc; no Django.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import math
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

MODEL_VERSION = "tongzhou-linkage/1"
DEFAULT_MODEL_PATH = Path(__file__).with_name("default_model.json")

__all__ = [
    "MODEL_VERSION", "Record", "ReviewPair", "Resolution", "Model", "Resolver", "blocking_keys",
    "id_partial", "keyed_hash", "normalise_name", "name_pinyin", "compare_birth",
]  # fmt: skip


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """One application's identifying fields, with phone and identity number as keyed hashes."""

    key: int
    name: str
    birth_date: dt.date | None
    sex: str
    province: str
    city: str = ""
    phone_hash: str = ""
    id_hash: str = ""  # only for a valid identity number
    id_partial: str = ""  # only for an invalid one: see id_partial()
    hospital: str = ""
    category: str = ""  # ICD-10 category, 'C34'


@dataclass(frozen=True)
class ReviewPair:
    key_a: int
    key_b: int
    probability: float
    reasons: list[str]


@dataclass
class Resolution:
    cluster_of: dict[int, int]  # record key -> smallest key of its cluster
    review: list[ReviewPair]
    stats: dict[str, Any] = field(default_factory=dict)


def keyed_hash(value: str, key: bytes) -> str:
    """An opaque keyed hash (HMAC-SHA256, 24 hex characters) for a phone or identity number."""
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:24]


def id_partial(number: str) -> str:
    """Evidence kept from an INVALID identity number: region (6 digits) + birth digits (8).

    A typo changes one digit, so two partials of one person agree or differ in one digit, and the
    birth digits usually agree with the birth date given elsewhere. Returns "" when the number does
    not even have the shape of one (18 characters, 17 digits first).
    """
    value = (number or "").strip().replace(" ", "").upper()
    if len(value) != 18 or not value[:17].isdigit() or not value[:17].isascii():
        return ""
    return value[:14]


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------

_STRIP = re.compile(r"[\s·•・．.\-_,，、'\"()（）]+")
COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "上官",
        "司马",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "令狐",
        "司徒",
        "夏侯",
        "端木",
        "长孙",
        "宇文",
        "独孤",
        "南宫",
        "西门",
        "百里",
        "呼延",
        "轩辕",
        "万俟",
        "闻人",
        "澹台",
    ]
)
# Fuzzy pinyin: initials and finals that speakers of many dialects do not tell apart.
_FUZZY_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"))
_FUZZY_FINALS = (("ang", "an"), ("eng", "en"), ("ing", "in"))


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=200_000)
def normalise_name(name: str) -> str:
    """Simplified characters, no spaces, dots or punctuation; latin letters lower-cased."""
    return _t2s().convert(_STRIP.sub("", name or "")).lower()


@lru_cache(maxsize=50_000)
def _char_pinyin(char: str) -> str:
    from pypinyin import lazy_pinyin

    return lazy_pinyin(char)[0].lower()


def name_pinyin(name: str) -> str:
    """Toneless pinyin of a normalised name, syllables separated by spaces: 'zhang wei'."""
    return " ".join(_char_pinyin(c) for c in name)


@lru_cache(maxsize=20_000)
def _fuzzy_syllable(syllable: str) -> str:
    for long, short in _FUZZY_INITIALS:
        if syllable.startswith(long):
            syllable = short + syllable[len(long) :]
            break
    for long, short in _FUZZY_FINALS:
        if syllable.endswith(long):
            syllable = syllable[: -len(long)] + short
            break
    return syllable


def fuzzy_pinyin(pinyin: str) -> str:
    return " ".join(_fuzzy_syllable(s) for s in pinyin.split(" "))


def surname_pinyin(normalised: str, pinyin: str) -> str:
    syllables = pinyin.split(" ")
    count = 2 if normalised[:2] in COMPOUND_SURNAMES else 1
    return " ".join(syllables[:count])


# --------------------------------------------------------------------------------------------
# Birth dates
# --------------------------------------------------------------------------------------------

BIRTH_LEVELS = ("missing", "exact", "swapped", "one_digit", "same_year", "different")


def _ymd(value: dt.date | None) -> int:
    return value.year * 10000 + value.month * 100 + value.day if value else 0


def compare_birth(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Birth-date level per pair from YYYYMMDD integers (0 = missing): index into BIRTH_LEVELS."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    ya, ma, da = a // 10000, a // 100 % 100, a % 100
    yb, mb, db = b // 10000, b // 100 % 100, b % 100
    differing = np.zeros(len(a), dtype=np.int64)
    x, y = a.copy(), b.copy()
    for _ in range(8):
        differing += (x % 10) != (y % 10)
        x //= 10
        y //= 10
    level = np.full(len(a), 5, dtype=np.int8)
    level[ya == yb] = 4
    level[differing == 1] = 3
    level[(ya == yb) & (ma == db) & (da == mb) & (a != b)] = 2
    level[a == b] = 1
    level[(a == 0) | (b == 0)] = 0
    return level


# --------------------------------------------------------------------------------------------
# Columnar table
# --------------------------------------------------------------------------------------------


def _codes(values: Sequence[Any]) -> tuple[np.ndarray, list]:
    """Integer codes, 0 for empty/missing, with the list of distinct values (index = code - 1)."""
    import pandas as pd

    codes, uniques = pd.factorize(pd.Series(values, dtype=object).replace("", None), use_na_sentinel=True)
    return (codes + 1).astype(np.int32), list(uniques)


@dataclass
class _Table:
    """The records as integer columns; strings only in the small vocabularies."""

    keys: np.ndarray
    name: np.ndarray  # code of the normalised name
    pinyin: np.ndarray  # code into pinyin_vocab
    fuzzy: np.ndarray
    surname: np.ndarray
    birth: np.ndarray  # YYYYMMDD, 0 missing
    sex: np.ndarray
    province: np.ndarray
    city: np.ndarray
    phone: np.ndarray
    id_hash: np.ndarray
    id_partial: np.ndarray  # YYYYMMDD-like big int of the 14 digits, 0 missing
    hospital: np.ndarray
    category: np.ndarray
    pinyin_vocab: list[str]
    id_hash_vocab: list[str]
    province_vocab: list[str]

    def __len__(self) -> int:
        return len(self.keys)

    @classmethod
    def from_columns(cls, columns: Mapping[str, Sequence[Any]]) -> _Table:
        """Columns named like Record's fields; birth_date as date, 'YYYY-MM-DD' or None."""
        import pandas as pd

        name_codes, raw_names = _codes(list(columns["name"]))
        normalised = [normalise_name(str(n)) for n in raw_names]
        norm_codes, norm_uniques = pd.factorize(pd.Series(normalised, dtype=object))
        pinyins = [name_pinyin(n) for n in norm_uniques]
        py_codes, py_vocab = pd.factorize(pd.Series(pinyins, dtype=object))
        fz_codes, _ = pd.factorize(pd.Series([fuzzy_pinyin(p) for p in py_vocab], dtype=object))
        sn_codes, _ = pd.factorize(
            pd.Series([surname_pinyin(n, p) for n, p in zip(norm_uniques, pinyins, strict=True)], dtype=object)
        )
        # Chain the per-unique codes down to records; -1 (missing name) stays -1 via the appended slot.
        nn = np.append(norm_codes, -1)[name_codes - 1]
        pp = np.append(py_codes, -1)[nn]
        fuzzy = np.append(fz_codes, -1)[pp]
        surname = np.append(sn_codes, -1)[nn]

        birth = _birth_column(columns["birth_date"])
        sex_codes = np.array([1 if s == "M" else 2 if s == "F" else 0 for s in columns["sex"]], dtype=np.int8)
        province, province_vocab = _codes(list(columns["province"]))
        id_codes, id_vocab = _codes(list(columns.get("id_hash", [""] * len(birth))))
        partial = np.array([int(p) if p else 0 for p in columns.get("id_partial", [""] * len(birth))], dtype=np.int64)

        def optional(name: str) -> np.ndarray:
            return _codes(list(columns[name]))[0] if name in columns else np.zeros(len(birth), dtype=np.int32)

        return cls(
            keys=np.asarray(columns["key"], dtype=np.int64),
            name=(nn + 1).astype(np.int32),
            pinyin=(pp + 1).astype(np.int32),
            fuzzy=(fuzzy + 1).astype(np.int32),
            surname=(surname + 1).astype(np.int32),
            birth=birth,
            sex=sex_codes,
            province=province,
            city=optional("city"),
            phone=optional("phone_hash"),
            id_hash=id_codes,
            id_partial=partial,
            hospital=optional("hospital"),
            category=optional("category"),
            pinyin_vocab=list(py_vocab),
            id_hash_vocab=id_vocab,
            province_vocab=[str(p) for p in province_vocab],
        )

    @classmethod
    def from_records(cls, records: Sequence[Record]) -> _Table:
        names = (
            "key",
            "name",
            "birth_date",
            "sex",
            "province",
            "city",
            "phone_hash",
            "id_hash",
            "id_partial",
            "hospital",
            "category",
        )
        return cls.from_columns({n: [getattr(r, n) for r in records] for n in names})

    def pinyin_of(self, i: int) -> str:
        return self.pinyin_vocab[self.pinyin[i] - 1] if self.pinyin[i] else ""


def _birth_column(values: Iterable[Any]) -> np.ndarray:
    out = []
    for v in values:
        if v is None or v == "" or (isinstance(v, float) and math.isnan(v)):
            out.append(0)
        elif isinstance(v, dt.date):
            out.append(_ymd(v))
        else:
            s = str(v)
            out.append(int(s[0:4]) * 10000 + int(s[5:7]) * 100 + int(s[8:10]))
    return np.array(out, dtype=np.int64)


# --------------------------------------------------------------------------------------------
# Blocking
# --------------------------------------------------------------------------------------------


def _record_key_parts(
    pinyin: str, surname: str, birth: int, province: str, phone: str, id_hash: str, partial: str
) -> list[str]:
    keys = []
    compact = pinyin.replace(" ", "")
    if id_hash:
        keys.append("i:" + id_hash)
    if phone:
        keys.append("p:" + phone)
    if compact and birth:
        year, month, day = birth // 10000, birth // 100 % 100, birth % 100
        keys.append(f"n:{compact}:{year}")
        low, high = sorted((month, day))
        keys.append(f"d:{surname.replace(' ', '')}:{year}:{low:02d}{high:02d}")
    if compact and province:
        keys.append(f"m:{compact}:{province}")
    if partial:
        keys.append("x:" + partial[:6] + partial[8:14])  # region + birth without the century
    return keys


def blocking_keys(record: Record) -> list[str]:
    """Strings to store in an indexed column: records sharing one are candidates for each other.

    id hash; phone hash; name pinyin + birth year; surname pinyin + year + {month, day} (survives
    a day/month swap and a homophone in the given name); name pinyin + province (survives a wrong
    or missing birth date); region + birth digits of a mistyped identity number.
    """
    normalised = normalise_name(record.name)
    pinyin = name_pinyin(normalised)
    return _record_key_parts(
        pinyin, surname_pinyin(normalised, pinyin) if normalised else "", _ymd(record.birth_date),
        record.province, record.phone_hash, record.id_hash, record.id_partial,
    )  # fmt: skip


def _table_block_keys(t: _Table) -> list[tuple[str, np.ndarray]]:
    """Blocking keys column-wise: (kind, int64 key per record, -1 = none)."""
    n = len(t)
    year = t.birth // 10000
    month, day = t.birth // 100 % 100, t.birth % 100
    low, high = np.minimum(month, day), np.maximum(month, day)
    has_name = t.pinyin > 0
    has_birth = t.birth > 0
    none = np.int64(-1)
    kinds = [
        ("id", np.where(t.id_hash > 0, t.id_hash.astype(np.int64), none)),
        ("phone", np.where(t.phone > 0, t.phone.astype(np.int64), none)),
        ("name_year", np.where(has_name & has_birth, t.pinyin.astype(np.int64) * 10000 + year, none)),
        (
            "surname_date",
            np.where(
                has_name & has_birth, (t.surname.astype(np.int64) * 10000 + year) * 10000 + low * 100 + high, none
            ),
        ),
        ("name_province", np.where(has_name & (t.province > 0), t.pinyin.astype(np.int64) * 1000 + t.province, none)),
        ("id_partial", np.where(t.id_partial > 0, (t.id_partial // 10**8) * 10**6 + t.id_partial % 10**6, none)),
    ]
    assert all(len(k) == n for _, k in kinds)
    return kinds


def _pairs_within_groups(members: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All (i, j), i before j, within each group of `members` laid out at starts with sizes."""
    end_of_position = np.repeat(starts + sizes, sizes)
    position = np.arange(len(members))
    later = end_of_position - position - 1
    left_pos = np.repeat(position, later)
    offsets = np.arange(len(left_pos)) - np.repeat(np.cumsum(later) - later, later)
    right_pos = left_pos + 1 + offsets
    return members[left_pos], members[right_pos]


def candidate_pairs(t: _Table, max_block: int = 300) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Deduplicated candidate pairs (a < b, record positions) from all blocking keys."""
    n = len(t)
    encoded_parts = []
    info: dict[str, Any] = {}
    for kind, key in _table_block_keys(t):
        idx = np.flatnonzero(key >= 0)
        if not len(idx):
            continue
        order = idx[np.argsort(key[idx], kind="stable")]
        sorted_keys = key[order]
        boundaries = np.flatnonzero(np.diff(sorted_keys)) + 1
        starts = np.concatenate([[0], boundaries])
        sizes = np.diff(np.concatenate([starts, [len(order)]]))
        oversized = sizes > max_block
        keep = (sizes > 1) & ~oversized
        info[f"blocks_oversized_{kind}"] = int(oversized.sum())
        if not keep.any():
            continue
        # Re-lay the kept groups contiguously.
        members = order[_ranges(starts[keep], sizes[keep])]
        kept_sizes = sizes[keep]
        kept_starts = np.concatenate([[0], np.cumsum(kept_sizes)[:-1]])
        a, b = _pairs_within_groups(members, kept_starts, kept_sizes)
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        encoded_parts.append(lo.astype(np.int64) * n + hi)
        info[f"pairs_{kind}"] = int(len(encoded_parts[-1]))
    encoded = _sorted_unique(np.concatenate(encoded_parts)) if encoded_parts else np.zeros(0, dtype=np.int64)
    return (encoded // n).astype(np.int64), (encoded % n).astype(np.int64), info


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique by sorting (numpy 2.3+ hashes integer arrays, which is far slower here)."""
    values = np.sort(values)
    keep = np.ones(len(values), dtype=bool)
    keep[1:] = values[1:] != values[:-1]
    return values[keep]


def _ranges(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    total = int(sizes.sum())
    return np.repeat(starts - np.concatenate([[0], np.cumsum(sizes)[:-1]]), sizes) + np.arange(total)


# --------------------------------------------------------------------------------------------
# Comparisons
# --------------------------------------------------------------------------------------------

# Name frequency buckets by relative frequency of the pinyin name (most common first).
TF_EDGES = (1e-3, 3e-4, 1e-4, 3e-5)
NAME_LEVELS = tuple(
    [f"exact_tf{i}" for i in range(5)]
    + [f"sound_tf{i}" for i in range(5)]
    + ["fuzzy_sound", "similar", "same_surname", "different"]
)
SIMPLE_LEVELS = ("missing", "same", "different")
PARTIAL_LEVELS = ("na", "same", "one_digit", "consistent", "inconsistent")
COMPARISONS: dict[str, tuple[str, ...]] = {
    "name": NAME_LEVELS,
    "birth": BIRTH_LEVELS,
    "sex": SIMPLE_LEVELS,
    "phone": SIMPLE_LEVELS,
    "province": SIMPLE_LEVELS,
    "city": SIMPLE_LEVELS,
    "hospital": SIMPLE_LEVELS,
    "category": SIMPLE_LEVELS,
    "id_partial": PARTIAL_LEVELS,
}
TRAINED = ("name", "birth", "sex", "phone", "province", "city", "hospital", "category")
POST_HOC = ("id_partial",)


def _tf_bucket(freq: np.ndarray) -> np.ndarray:
    bucket = np.full(len(freq), 4, dtype=np.int8)
    for i, edge in reversed(list(enumerate(TF_EDGES))):
        bucket[freq >= edge] = i
    return bucket


def _simple(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    level = np.where(a == b, 1, 2).astype(np.int8)
    level[(a == 0) | (b == 0)] = 0
    return level


def _digits_differing(a: np.ndarray, b: np.ndarray, width: int) -> np.ndarray:
    count = np.zeros(len(a), dtype=np.int64)
    x, y = a.copy(), b.copy()
    for _ in range(width):
        count += (x % 10) != (y % 10)
        x //= 10
        y //= 10
    return count


def compare(t: _Table, a: np.ndarray, b: np.ndarray, name_freq: np.ndarray) -> dict[str, np.ndarray]:
    """Level index per comparison for the pairs (a[k], b[k]); name_freq per record."""
    from rapidfuzz import process
    from rapidfuzz.distance import JaroWinkler

    levels: dict[str, np.ndarray] = {}
    tf = _tf_bucket(np.maximum(name_freq[a], name_freq[b]))
    name = np.full(len(a), NAME_LEVELS.index("different"), dtype=np.int8)
    same_surname = (t.surname[a] == t.surname[b]) & (t.surname[a] > 0)
    name[same_surname] = NAME_LEVELS.index("same_surname")
    differ = t.fuzzy[a] != t.fuzzy[b]
    if differ.any():
        pa, pb = t.pinyin[a][differ], t.pinyin[b][differ]
        pair_code = pa.astype(np.int64) * (len(t.pinyin_vocab) + 1) + pb
        unique_codes, inverse = np.unique(pair_code, return_inverse=True)
        ua, ub = unique_codes // (len(t.pinyin_vocab) + 1), unique_codes % (len(t.pinyin_vocab) + 1)
        vocab = [""] + t.pinyin_vocab
        sim = process.cpdist(
            [vocab[i] for i in ua], [vocab[i] for i in ub], scorer=JaroWinkler.normalized_similarity, workers=-1
        )
        similar = np.zeros(len(a), dtype=bool)
        similar[np.flatnonzero(differ)] = np.asarray(sim)[inverse] >= 0.9
        name[similar] = NAME_LEVELS.index("similar")
    name[(t.fuzzy[a] == t.fuzzy[b]) & (t.fuzzy[a] > 0)] = NAME_LEVELS.index("fuzzy_sound")
    sound = (t.pinyin[a] == t.pinyin[b]) & (t.pinyin[a] > 0)
    name[sound] = NAME_LEVELS.index("sound_tf0") + tf[sound]
    exact = (t.name[a] == t.name[b]) & (t.name[a] > 0)
    name[exact] = NAME_LEVELS.index("exact_tf0") + tf[exact]
    levels["name"] = name
    levels["birth"] = compare_birth(t.birth[a], t.birth[b])
    levels["sex"] = _simple(t.sex[a], t.sex[b])
    levels["phone"] = _simple(t.phone[a], t.phone[b])
    levels["province"] = _simple(t.province[a], t.province[b])
    levels["city"] = _simple(t.city[a], t.city[b])
    levels["hospital"] = _simple(t.hospital[a], t.hospital[b])
    levels["category"] = _simple(t.category[a], t.category[b])
    levels["id_partial"] = _compare_partial(t, a, b)
    return levels


def _compare_partial(t: _Table, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A mistyped identity number against the other record's partial, or its birth date."""
    pa, pb = t.id_partial[a], t.id_partial[b]
    level = np.zeros(len(a), dtype=np.int8)
    both = (pa > 0) & (pb > 0)
    if both.any():
        d = _digits_differing(pa[both], pb[both], 14)
        level[both] = np.where(d == 0, 1, np.where(d == 1, 2, 4))
    for mine, other in ((a, b), (b, a)):
        p, other_birth = t.id_partial[mine], t.birth[other]
        one = (p > 0) & (t.id_partial[other] == 0) & (other_birth > 0)
        if one.any():
            birth_digits = p[one] % 10**8
            level_birth = compare_birth(birth_digits, other_birth[one])
            level[one] = np.where(level_birth == 1, 3, np.where(np.isin(level_birth, (2, 3)), 3, 4))
    return level


# --------------------------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------------------------


@dataclass
class Model:
    """Log-odds weights per comparison level plus an intercept; JSON round-trips with a version."""

    intercept: float
    weights: dict[str, list[float]]  # comparison -> weight per level (COMPARISONS order)
    name_frequency: dict[str, float] = field(default_factory=dict)  # pinyin -> relative frequency
    trained_on: dict[str, Any] = field(default_factory=dict)
    version: str = MODEL_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "intercept": self.intercept,
            "levels": {c: list(COMPARISONS[c]) for c in self.weights},
            "weights": self.weights,
            "name_frequency": self.name_frequency,
            "trained_on": self.trained_on,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Model:
        if data.get("version") != MODEL_VERSION:
            raise ValueError(f"model version {data.get('version')!r}, expected {MODEL_VERSION!r}")
        for comparison, levels in data.get("levels", {}).items():
            if tuple(levels) != COMPARISONS.get(comparison):
                raise ValueError(f"levels of {comparison} differ from this code's")
        return cls(
            intercept=float(data["intercept"]),
            weights={k: [float(w) for w in v] for k, v in data["weights"].items()},
            name_frequency={k: float(v) for k, v in data.get("name_frequency", {}).items()},
            trained_on=dict(data.get("trained_on", {})),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Model:
        return cls.from_dict(json.loads(text))

    def log_odds(self, levels: Mapping[str, np.ndarray]) -> np.ndarray:
        total = np.full(len(next(iter(levels.values()))), self.intercept, dtype=np.float64)
        for comparison, weights in self.weights.items():
            total += np.asarray(weights)[levels[comparison]]
        return total


def _one_hot(levels: Mapping[str, np.ndarray], comparisons: Sequence[str]):
    from scipy import sparse

    n = len(levels[comparisons[0]])
    offsets, offset = {}, 0
    for c in comparisons:
        offsets[c] = offset
        offset += len(COMPARISONS[c])
    cols = np.concatenate([levels[c].astype(np.int64) + offsets[c] for c in comparisons])
    rows = np.tile(np.arange(n), len(comparisons))
    return sparse.csr_matrix((np.ones(len(cols), dtype=np.float32), (rows, cols)), shape=(n, offset)), offsets


def _train(
    levels: Mapping[str, np.ndarray], labels: np.ndarray, *, max_rows: int, seed: int = 0
) -> tuple[float, dict[str, list[float]]]:
    from sklearn.linear_model import LogisticRegression

    rows = np.arange(len(labels))
    if len(rows) > max_rows:
        rows = np.random.default_rng(seed).choice(rows, size=max_rows, replace=False)
    x, offsets = _one_hot({c: levels[c][rows] for c in TRAINED}, TRAINED)
    clf = LogisticRegression(C=10.0, max_iter=1000)
    clf.fit(x, labels[rows])
    coef = clf.coef_[0]
    weights = {c: [float(w) for w in coef[offsets[c] : offsets[c] + len(COMPARISONS[c])]] for c in TRAINED}
    return float(clf.intercept_[0]), weights


def _post_hoc_weights(levels: Mapping[str, np.ndarray], log_odds: np.ndarray, comparison: str) -> list[float]:
    """log(m/u) per level, m from pairs scored as near-certain matches, u from near-certain non-matches."""
    level = levels[comparison]
    k = len(COMPARISONS[comparison])
    match, non = log_odds > 4.6, log_odds < -4.6  # p > 0.99, p < 0.01
    m = np.bincount(level[match], minlength=k) + 1.0
    u = np.bincount(level[non], minlength=k) + 1.0
    weights = np.log((m / m.sum()) / (u / u.sum()))
    weights[0] = 0.0  # not applicable
    return [float(w) for w in np.clip(weights, -8, 8)]


@lru_cache(maxsize=1)
def default_model() -> Model:
    """Fitted by this same procedure on 100,000 synthetic applications (benchmarks/identity)."""
    return Model.from_json(DEFAULT_MODEL_PATH.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------------------------
# Reasons
# --------------------------------------------------------------------------------------------

_REASONS = {
    ("birth", "exact"): "same birth date",
    ("birth", "swapped"): "day and month swapped",
    ("birth", "one_digit"): "birth dates differ by one digit",
    ("birth", "same_year"): "different birth date, same year",
    ("birth", "different"): "different birth date",
    ("sex", "different"): "different sex",
    ("phone", "same"): "same phone",
    ("phone", "different"): "different phone",
    ("province", "different"): "different province",
    ("city", "same"): "same city",
    ("city", "different"): "different city",
    ("hospital", "same"): "same hospital",
    ("category", "same"): "same diagnosis category",
    ("category", "different"): "different diagnosis category",
    ("id_partial", "same"): "same mistyped identity number",
    ("id_partial", "one_digit"): "identity numbers differ by one digit",
    ("id_partial", "consistent"): "mistyped identity number agrees with birth date",
    ("id_partial", "inconsistent"): "mistyped identity number disagrees with birth date",
}


def _reasons(t: _Table, a: int, b: int, levels: Mapping[str, np.ndarray], k: int) -> list[str]:
    out = []
    name_level = NAME_LEVELS[levels["name"][k]]
    pinyin = t.pinyin_of(a)
    if name_level.startswith("exact"):
        out.append("same name" + (" (common name)" if name_level[-1] in "01" else ""))
    elif name_level.startswith("sound"):
        out.append(f"names sound alike ({pinyin})")
    elif name_level == "fuzzy_sound":
        out.append(f"names sound nearly alike ({pinyin} / {t.pinyin_of(b)})")
    elif name_level == "similar":
        out.append(f"similar names ({pinyin} / {t.pinyin_of(b)})")
    elif name_level == "same_surname":
        out.append("same surname, different given name")
    else:
        out.append("different names")
    for comparison in ("birth", "sex", "phone", "province", "city", "hospital", "category", "id_partial"):
        reason = _REASONS.get((comparison, COMPARISONS[comparison][levels[comparison][k]]))
        if reason:
            out.append(reason)
    return out


# --------------------------------------------------------------------------------------------
# Resolver
# --------------------------------------------------------------------------------------------


@dataclass
class ScoredPairs:
    """Probabilities of scored pairs, with their reasons in words on demand (they cost a little each)."""

    table: _Table
    a: np.ndarray
    b: np.ndarray
    levels: Mapping[str, np.ndarray]
    probability: list[float]
    identity_known: np.ndarray  # both records carry a valid identity number: it decided

    def reasons(self, k: int) -> list[str]:
        words = _reasons(self.table, int(self.a[k]), int(self.b[k]), self.levels, k)
        if self.identity_known[k]:
            same = self.probability[k] == 1.0
            return ["same identity number" if same else "different identity numbers", *words]
        return words


class Resolver:
    """Links applications of one patient: self-trained scoring, threshold, cannot-link clustering."""

    def __init__(
        self,
        threshold: float = 0.5,
        review_band: tuple[float, float] = (0.2, 0.8),
        *,
        model: Model | None = None,
        max_block: int = 300,
        min_labelled_pairs: int = 500,
        max_training_rows: int = 400_000,
        local_frequency_from: int = 20_000,
    ) -> None:
        self.threshold = threshold
        self.review_band = review_band
        self.model = model
        self.max_block = max_block
        self.min_labelled_pairs = min_labelled_pairs
        self.max_training_rows = max_training_rows
        self.local_frequency_from = local_frequency_from

    # -- public API ------------------------------------------------------------------------

    def fit(self, records: Sequence[Record]) -> Resolver:
        table = _Table.from_records(records)
        self._prepare(table, stats={}, refit=True)
        return self

    def resolve(self, records: Sequence[Record]) -> Resolution:
        """Cluster the records; trains on them first when no model was given or fitted."""
        started = time.perf_counter()
        table = _Table.from_records(records)
        stats: dict[str, Any] = {"seconds_table": round(time.perf_counter() - started, 3)}
        return self.resolve_table(table, stats=stats)

    def resolve_columns(self, columns: Mapping[str, Sequence[Any]]) -> Resolution:
        """As resolve(), from columns named like Record's fields (the batch path: no objects)."""
        started = time.perf_counter()
        table = _Table.from_columns(columns)
        return self.resolve_table(table, stats={"seconds_table": round(time.perf_counter() - started, 3)})

    def score(self, record: Record, candidates: Sequence[Record]) -> list[tuple[int, float, list[str]]]:
        """(candidate key, probability of the same person, reasons) for each candidate."""
        if not candidates:
            return []
        scored = self.score_pairs([record, *candidates], [(0, k) for k in range(1, len(candidates) + 1)])
        return [
            (candidate.key, p, scored.reasons(k))
            for k, (candidate, p) in enumerate(zip(candidates, scored.probability, strict=True))
        ]

    def score_pairs(self, records: Sequence[Record], pairs: Sequence[tuple[int, int]]) -> ScoredPairs:
        """The probability that each pair (positions into `records`) is one person, in one pass.

        The batch form of score(): one table for all records, so scoring many new cases against
        their candidates costs one vectorised comparison rather than one table per case.
        """
        model = self.model or default_model()
        table = _Table.from_records(records)
        a = np.fromiter((p[0] for p in pairs), dtype=np.int64, count=len(pairs))
        b = np.fromiter((p[1] for p in pairs), dtype=np.int64, count=len(pairs))
        levels = compare(table, a, b, self._frequencies(table, model, local=False))
        probability = _sigmoid(model.log_odds(levels)) if len(pairs) else np.zeros(0)
        ids_a, ids_b = table.id_hash[a], table.id_hash[b]
        known = (ids_a > 0) & (ids_b > 0)
        probability[known & (ids_a == ids_b)] = 1.0
        probability[known & (ids_a != ids_b)] = 0.0
        return ScoredPairs(table, a, b, levels, [round(float(p), 6) for p in probability], known)

    def blocking_keys(self, record: Record) -> list[str]:
        return blocking_keys(record)

    # -- batch -----------------------------------------------------------------------------

    def resolve_table(self, table: _Table, stats: dict[str, Any]) -> Resolution:
        a, b, levels, log_odds = self._prepare(table, stats, refit=self.model is None)
        t0 = time.perf_counter()
        ids_a, ids_b = table.id_hash[a], table.id_hash[b]
        same_id = (ids_a > 0) & (ids_a == ids_b)
        cannot = (ids_a > 0) & (ids_b > 0) & (ids_a != ids_b)
        probability = _sigmoid(log_odds)
        probability[same_id] = 1.0
        linked = (probability >= self.threshold) & ~cannot
        cluster, split = _cluster(len(table), a[linked], b[linked], probability[linked], table.id_hash)
        keys = table.keys
        smallest = np.full(int(cluster.max()) + 1 if len(cluster) else 0, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(smallest, cluster, keys)
        cluster_key = smallest[cluster]
        stats["seconds_cluster"] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()
        lo, hi = self.review_band
        review_idx = np.flatnonzero((probability >= lo) & (probability < hi) & ~cannot & ~same_id)
        review = [
            ReviewPair(
                int(keys[a[k]]),
                int(keys[b[k]]),
                round(float(probability[k]), 4),
                _reasons(table, int(a[k]), int(b[k]), levels, int(k)),
            )
            for k in review_idx
        ]
        stats.update(
            records=len(table),
            linked_pairs=int(linked.sum()),
            cannot_link_pairs=int(cannot.sum()),
            components_split=split,
            clusters=int(len(_sorted_unique(cluster))),
            review_pairs=len(review),
            seconds_review=round(time.perf_counter() - t0, 3),
        )
        self.last_pairs = (a, b, probability)  # for benchmarks (blocking recall, threshold sweeps)
        return Resolution(
            cluster_of=dict(zip(keys.tolist(), cluster_key.tolist(), strict=True)), review=review, stats=stats
        )

    def _frequencies(self, table: _Table, model: Model | None, *, local: bool) -> np.ndarray:
        if local:
            counts = np.bincount(table.pinyin, minlength=len(table.pinyin_vocab) + 1).astype(np.float64)
            return counts[table.pinyin] / len(table)
        table_freq = (model.name_frequency if model else {}) or {}
        floor = min(table_freq.values()) / 2 if table_freq else 0.0
        vocab = np.array([0.0] + [table_freq.get(p, floor) for p in table.pinyin_vocab])
        return vocab[table.pinyin]

    def _prepare(self, table: _Table, stats: dict[str, Any], *, refit: bool):
        t0 = time.perf_counter()
        a, b, info = candidate_pairs(table, self.max_block)
        stats.update(candidate_pairs=int(len(a)), seconds_blocking=round(time.perf_counter() - t0, 3), blocking=info)
        t0 = time.perf_counter()
        local = len(table) >= self.local_frequency_from
        freq = self._frequencies(table, None if local else (self.model or default_model()), local=local)
        levels = compare(table, a, b, freq)
        stats["seconds_compare"] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()
        if refit:
            ids_a, ids_b = table.id_hash[a], table.id_hash[b]
            labelled = (ids_a > 0) & (ids_b > 0)
            labels = (ids_a[labelled] == ids_b[labelled]).astype(np.int8)
            positives = int(labels.sum())
            stats.update(labelled_pairs=int(labelled.sum()), labelled_matches=positives)
            if (
                positives >= self.min_labelled_pairs // 5
                and len(labels) - positives >= self.min_labelled_pairs // 5
                and len(labels) >= self.min_labelled_pairs
            ):
                intercept, weights = _train(
                    {c: levels[c][labelled] for c in TRAINED}, labels, max_rows=self.max_training_rows
                )
                model = Model(intercept=intercept, weights=weights)
                for c in POST_HOC:
                    model.weights[c] = [0.0] * len(COMPARISONS[c])
                partial_odds = model.log_odds(levels)
                for c in POST_HOC:
                    model.weights[c] = _post_hoc_weights(levels, partial_odds, c)
                model.name_frequency = _top_frequencies(table)
                model.trained_on = {
                    "records": len(table),
                    "labelled_pairs": int(labelled.sum()),
                    "labelled_matches": positives,
                }
                stats["model"] = "self-trained"
            else:
                model = default_model()
                stats["model"] = "default (too few labelled pairs)"
            self.model = model
        stats["seconds_train"] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()
        log_odds = self.model.log_odds(levels)
        stats["seconds_score"] = round(time.perf_counter() - t0, 3)
        return a, b, levels, log_odds


def _top_frequencies(table: _Table, limit: int = 3000) -> dict[str, float]:
    counts = np.bincount(table.pinyin, minlength=len(table.pinyin_vocab) + 1)[1:]
    top = np.argsort(-counts)[:limit]
    return {table.pinyin_vocab[i]: round(float(counts[i]) / len(table), 7) for i in top if counts[i] > 0}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -50, 50)))


def _cluster(n: int, a: np.ndarray, b: np.ndarray, p: np.ndarray, id_hash: np.ndarray) -> tuple[np.ndarray, int]:
    """Connected components, then split any component holding two different identity hashes."""
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    graph = sparse.coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    label = label.astype(np.int64)
    has_id = id_hash > 0
    # Components with more than one distinct id hash.
    comp_ids = (
        np.unique(np.stack([label[has_id], id_hash[has_id]], axis=1), axis=0)
        if has_id.any()
        else np.zeros((0, 2), dtype=np.int64)
    )
    comps, counts = np.unique(comp_ids[:, 0], return_counts=True) if len(comp_ids) else (np.zeros(0), np.zeros(0))
    conflicted = comps[counts > 1]
    if not len(conflicted):
        return label, 0
    next_label = int(label.max()) + 1
    in_conflict = np.isin(label, conflicted)
    edge_mask = in_conflict[a]
    ea, eb, ep = a[edge_mask], b[edge_mask], p[edge_mask]
    neighbours: dict[int, list[tuple[int, float]]] = {}
    for x, y, w in zip(ea.tolist(), eb.tolist(), ep.tolist(), strict=True):
        neighbours.setdefault(x, []).append((y, w))
        neighbours.setdefault(y, []).append((x, w))
    for comp in conflicted.tolist():
        members = np.flatnonzero(label == comp).tolist()
        anchor: dict[int, int] = {m: int(id_hash[m]) for m in members if id_hash[m] > 0}
        strength: dict[int, float] = {m: 1.0 for m in anchor}
        # Best-first: repeatedly attach the unassigned record with the strongest edge to an assigned one
        # (a maximum spanning forest grown from the anchors), so each record follows its best link.
        import heapq

        heap: list[tuple[float, int, int]] = []
        for m in anchor:
            for y, w in neighbours.get(m, []):
                if y not in anchor:
                    heapq.heappush(heap, (-w, y, m))
        while heap:
            negw, y, via = heapq.heappop(heap)
            if y in anchor:
                continue
            anchor[y] = anchor[via]
            strength[y] = -negw
            for z, w in neighbours.get(y, []):
                if z not in anchor:
                    heapq.heappush(heap, (-w, z, y))
        by_hash: dict[int, int] = {}
        for m in members:
            h = anchor.get(m)
            if h is None:
                label[m] = next_label  # unreachable from any anchor: on its own
                next_label += 1
                continue
            if h not in by_hash:
                by_hash[h] = next_label
                next_label += 1
            label[m] = by_hash[h]
    return label, int(len(conflicted))
