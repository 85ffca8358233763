"""A tumour named by where it is and how it behaves: "（乙状结肠）中分化腺癌" is C18.7.

Most serious-illness applications are cancers, and a cancer is written as a site and a behaviour,
in any order and with any amount of histology, stage and treatment between them:
"（右肺上叶）穿刺活检：腺癌 cT2aN1M0", "外婆肺上长了个瘤子，穿刺说是恶性的", "肛管鳞状细胞癌",
"肝转移癌（原发灶不明）". ICD-10 codes these by the same two things (chapter II is a table of
sites by behaviour), so a reader that knows the sites reads texts no list of names holds.

``cases/data/neoplasm_sites.csv`` lists the sites (terms as hospitals, families and Taiwan or Hong
Kong hospitals write them) with their malignant, in situ, benign, uncertain and secondary codes.
:func:`read` finds the behaviour words and the site each one belongs to:

- the primary site is the one nearest a malignant word in its clause (before it first, as Chinese
  writes "肺腺癌"; else after it, as pathology writes "腺癌（右肺上叶）"), never a site named as a
  spread ("骨转移", "转移至肝");
- a text that names only spreads and says the primary is unknown is coded to the first spread's
  secondary code (C77-C79); one that names no site at all and says the primary is unknown, C80;
- type words that decide the code themselves (leukaemia, lymphoma, myeloma, the blastomas,
  melanoma, glioma…) are left to the model: "胃MALT淋巴瘤" is C88, not C16.

It returns a :class:`Reading` or None. The normaliser weighs it against its model
(``cases/lib/diagnosis.py``). Pure Python; no Django.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cases.lib import disease_library, icd10, sounds

SITES_PATH = Path(__file__).resolve().parent.parent / "data" / "neoplasm_sites.csv"
SITES_COLUMNS = ("site", "terms", "malignant", "in_situ", "benign", "uncertain", "secondary")
BEHAVIOURS = ("malignant", "in_situ", "benign", "uncertain", "secondary")


class SitesError(disease_library.LibraryError):
    """A row of the sites file that cannot be used: the row, the field and why."""


@dataclass(frozen=True)
class Site:
    key: str
    terms: tuple[str, ...]
    malignant: str
    in_situ: str
    benign: str
    uncertain: str
    secondary: str

    def code(self, behaviour: str) -> str:
        return getattr(self, behaviour)


@dataclass(frozen=True)
class Reading:
    """What the words say: a code, the behaviour it was read as and the site term that gave it."""

    code: str
    behaviour: str  # one of BEHAVIOURS, or "unknown_primary" (C80)
    term: str  # the site as written (folded), "" for C80


def load_sites(path: Path | str = SITES_PATH) -> tuple[Site, ...]:
    path = Path(path)
    sites = []
    for row, value in disease_library.data_rows(path, SITES_COLUMNS, SitesError):
        terms = tuple(t.strip().upper() for t in value["terms"].split("|") if t.strip())
        if not terms:
            raise SitesError("no term", path=path, row=row, field="terms")
        for behaviour in BEHAVIOURS:
            code = value[behaviour]
            if code and not icd10.is_who_code(code):
                raise SitesError(f"{code!r} is not a WHO ICD-10 code", path=path, row=row, field=behaviour)
        if not value["malignant"]:
            raise SitesError("empty", path=path, row=row, field="malignant")
        sites.append(Site(value["site"], terms, *(value[b] for b in BEHAVIOURS)))
    return tuple(sites)


@functools.lru_cache(maxsize=2)
def _lexicon() -> tuple[dict[str, Site], re.Pattern]:
    by_term: dict[str, Site] = {}
    for site in load_sites():
        for term in site.terms:
            by_term.setdefault(term, site)  # the first row naming a term keeps it
    # longest first, so that 肾上腺 is not read as 肾, nor 乙状结肠 as 结肠; Latin terms as whole words
    alternatives = [
        rf"(?<![A-Z]){re.escape(t)}(?![A-Z])" if re.search(r"[A-Z]", t) else re.escape(t)
        for t in sorted(by_term, key=len, reverse=True)
    ]
    return by_term, re.compile("|".join(alternatives))


# Words whose characters name a site but which say how a tumour is built, or another tissue:
# 甲状腺乳头状癌 is not a cancer of the nipple (乳头), 尿路上皮癌（膀胱） not of the urinary tract.
_NOT_SITES = re.compile(
    r"乳头状|尿路上皮|移行细胞|鳞状上皮|腺上皮|基底节区?|骨髓|小叶(?=癌)|导管(?=[内原]?[^管]{0,2}癌)|"
    r"神经内分泌|淋巴管|血管(?=肉瘤|瘤)|印戒细胞|脑膜(?=炎)|头颈部?|全身|多处|多发|软?骨(?=肉瘤)|子宫内膜样|肝样|肠型"
)
_OVARY = re.compile(r"卵巢|输卵管")


def _masked(word: str, folded: str) -> str:
    """A word that is not a site, hidden; endometrioid (子宫内膜样) names the endometrium unless an ovary
    or a tube is named: "子宫内膜样腺癌 全子宫切除术后" is C54.1, "卵巢子宫内膜样癌" C56."""
    if word == "子宫内膜样" and not _OVARY.search(folded):
        return "子宫内膜#"
    return "#" * len(word)


# Type words that decide the code themselves (the library's entries name them): left to the model.
_TYPES = re.compile(
    r"白血|淋巴瘤|淋巴组织|霍奇金|骨髓瘤|浆细胞|母细胞瘤|黑色?素瘤|胶质|星形细胞|少突|室管膜|髓母|组织细胞|"
    r"骨髓增生|MDS|MALT|DLBCL|NHL|LCH|间皮瘤|绒毛膜|葡萄胎|滋养细胞|胸腺瘤|"
    r"神经纤维瘤|错构瘤|卡波西|KAPOSI"
)
# A behaviour that is certainly malignant. "瘤" alone is not (脑瘤 may be benign); "恶性" with it is.
_MALIGNANT = re.compile(
    r"癌|肉瘤|恶性(?=肿瘤|瘤|的|$|[，,。；;）)])|(?<=转移)瘤|(?:精原细胞|无性细胞|卵黄囊|内胚窦|未成熟畸胎)瘤"
)
# "转移癌", "转移性腺癌", "转移瘤": the word names a spread, not a primary
_OF_SPREAD = re.compile(r"转移性?[^，,。；;]{0,2}$")
_IN_SITU = re.compile(r"原位|CIN\s*(?:3|III|Ⅲ)|高级别鳞状上皮内病变|HSIL")
_BENIGN = re.compile(r"良性|腺瘤|肌瘤|纤维瘤|脂肪瘤|血管瘤|神经鞘瘤|脑膜瘤|乳头状瘤|畸胎瘤")
# Benign tumours that ICD-10 codes by their kind wherever they are.
_BENIGN_TYPES = [
    (re.compile(p), code)
    for p, code in (
        (r"子宫[^，,。；;]{0,6}?(?:平滑)?肌瘤|宫体肌瘤|子宫腺肌瘤", "D25.9"),
        (r"淋巴管瘤", "D18.1"),
        (r"(?<!淋巴)血管瘤", "D18.0"),
        (r"脂肪瘤", "D17.9"),
    )
]
_UNCERTAIN = re.compile(r"交界性|低度恶性潜能|动态未定|性质未定")
# A site named as where the tumour spread: "骨转移", "转移至肝", "肝多发转移", "肝转移癌".
_SPREAD_AFTER = re.compile(r"^[^，,。；;（）()癌瘤肿]{0,4}?转移")
_SPREAD_BEFORE = re.compile(r"(?:转移至|转移到|转移于|侵犯|累及|浸润)[^，,。；;]{0,3}$")
_UNKNOWN_PRIMARY = re.compile(
    r"原发(?:灶|部位|病灶)?(?:不明|未明|不详|未知|待查|待定|未找到|找不到|不清|说不清)|"
    r"(?:不清楚?|说不清|找不到|不知道|不明)[^，,。]{0,4}原发|CUP(?![A-Z])"
)
_CLAUSE = re.compile(r"[，,。；;\n]")


# Any word that says how a tumour behaves: without one, a text names no tumour for this reader.
_ANY_BEHAVIOUR = re.compile(
    "|".join(p.pattern for p in (_MALIGNANT, _IN_SITU, _UNCERTAIN, _BENIGN, *(r for r, _ in _BENIGN_TYPES)))
)


def read(folded: str) -> Reading | None:
    """The site and behaviour a folded text names (see Normaliser.fold), or None when it does not say both.

    ``folded`` is the text after script folding and English-to-Chinese: upper case, simplified,
    brackets and punctuation kept (they mark clauses and asides).
    """
    if not folded or _TYPES.search(folded) or not _ANY_BEHAVIOUR.search(folded):
        return None  # most texts at intake name no tumour: no site scan for them
    by_term, pattern = _lexicon()
    folded = _sound_repaired(folded)
    # words the English put apart: "INTRAHEPATIC CHOLANGIOCARCINOMA" folds to "肝内 胆管癌"
    folded = re.sub(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])", "", folded)
    masked = _NOT_SITES.sub(lambda m: _masked(m.group(), folded), folded)
    sites = []  # (start, end, site, is_spread)
    for found in pattern.finditer(masked):
        start, end = found.span()
        spread = bool(_SPREAD_AFTER.match(masked[end:]) or _SPREAD_BEFORE.search(masked[:start]))
        sites.append((start, end, by_term[found.group()], spread))
    malignant = [m.start() for m in _MALIGNANT.finditer(masked)]
    if malignant:
        primaries = [s for s in sites if not s[3]]
        own = [p for p in malignant if not _OF_SPREAD.search(masked[max(0, p - 5) : p])]
        for position in own:
            site = _nearest(masked, primaries, position)
            if site is not None:
                behaviour = "in_situ" if _IN_SITU.search(masked) and site[2].in_situ else "malignant"
                return Reading(site[2].code(behaviour), behaviour, folded[site[0] : site[1]])
        # only spreads named: coded to the spread when the primary is said to be unknown, or when every
        # malignant word is the spread's own ("脑转移瘤", "淋巴结转移癌"); not when a primary is named
        # in words the sites do not hold ("鼻烟癌肝转移": a misspelt primary)
        if own and not _UNKNOWN_PRIMARY.search(masked):
            return None
        spreads = [s for s in sites if s[3] and s[2].secondary]
        if spreads:
            first = spreads[0]
            return Reading(first[2].secondary, "secondary", folded[first[0] : first[1]])
        return Reading("C80.9", "unknown_primary", "") if not sites else None
    for words, code in _BENIGN_TYPES:
        found = words.search(folded)
        if found:
            return Reading(code, "benign", found.group())
    for behaviour, words in (("in_situ", _IN_SITU), ("uncertain", _UNCERTAIN), ("benign", _BENIGN)):
        for found in words.finditer(masked):
            candidates = [s for s in sites if s[2].code(behaviour)]
            inside = [s for s in candidates if found.start() <= s[0] and s[1] <= found.end()]  # 脑膜瘤
            site = inside[0] if inside else _nearest(masked, candidates, found.start())
            if site is not None:
                return Reading(site[2].code(behaviour), behaviour, folded[site[0] : site[1]])
    return None


@functools.lru_cache(maxsize=2)
def _by_sound() -> dict[tuple[str, ...], str]:
    """Chinese site terms of two to four characters by their syllables (the first term keeps a sound)."""
    by_term, _ = _lexicon()
    out: dict[tuple[str, ...], str] = {}
    for term in by_term:
        if 2 <= len(term) <= 4 and all("\u4e00" <= c <= "\u9fff" for c in term):
            out.setdefault(tuple(sounds.syllable(c) for c in term), term)
    return out


def _sound_repaired(folded: str) -> str:
    """A site typed as its homophone just before a malignant word, written as the site: "直长癌" is
    直肠癌, "姨腺癌" 胰腺癌. Only there, where a site is expected, so no other words are rewritten."""
    if not _MALIGNANT.search(folded):
        return folded
    by_sound = _by_sound()
    _, pattern = _lexicon()
    written = [found.span() for found in pattern.finditer(folded)]  # sites spelt right stay as they are
    out = folded
    for found in _MALIGNANT.finditer(folded):
        end = found.start()
        if any(start < end and end - 4 < stop for start, stop in written):
            continue  # "前列腺腺癌": 前列腺 is there, "腺腺" is not 涎腺
        for length in (4, 3, 2):
            chunk = folded[max(end - length, 0) : end]
            if len(chunk) < length or not all("\u4e00" <= c <= "\u9fff" for c in chunk):
                continue
            readings = itertools.product(*(sounds.syllables(c) for c in chunk))  # 长: chang or zhang
            term = next((by_sound[r] for r in itertools.islice(readings, 64) if r in by_sound), None)
            if term is not None:
                out = out[: end - length] + term + out[end:]  # one syllable a character: same length
                break
    return out


def _nearest(text: str, sites: Sequence[tuple], position: int):
    """The site of a behaviour word at ``position``: in its clause, the nearest before it, else after it."""
    clause_start = max((m.end() for m in _CLAUSE.finditer(text, 0, position)), default=0)
    following = _CLAUSE.search(text, position)
    clause_end = following.start() if following else len(text)
    before = [s for s in sites if clause_start <= s[0] and s[1] <= position]
    if before:
        return max(before, key=lambda s: s[1])
    after = [s for s in sites if position <= s[0] and s[1] <= clause_end]
    if after:
        return min(after, key=lambda s: s[0])
    # "外婆肺上长了个瘤子，穿刺说是恶性的": the only site named before, in an earlier clause
    earlier = [s for s in sites if s[1] <= clause_start]
    return earlier[-1] if len({s[2].key for s in earlier}) == 1 else None
