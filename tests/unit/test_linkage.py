"""Identity resolution (cases.lib.linkage): behaviour case workers and the intake rely on."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from cases.lib import idnumber
from cases.lib.linkage import (
    MODEL_VERSION,
    Model,
    Record,
    Resolver,
    blocking_keys,
    default_model,
    id_partial,
    keyed_hash,
)

KEY = b"test-key"
BORN = dt.date(1978, 3, 9)


def phone(value: str) -> str:
    return keyed_hash(value, KEY)


def ident(value: str) -> str:
    return keyed_hash(value, KEY)


def record(key: int, name: str = "张伟", **fields) -> Record:
    values = {"birth_date": BORN, "sex": "M", "province": "41", "city": "郑州市", "phone_hash": phone("13800000001")}
    values.update(fields)
    return Record(key=key, name=name, **values)


def test_traditional_homophone_and_spaced_names_of_one_person_link():
    # given
    records = [record(1, "张伟"), record(2, "張偉"), record(3, "张玮", phone_hash=""), record(4, "张 伟", city="")]

    # when
    resolution = Resolver().resolve(records)

    # then
    assert {resolution.cluster_of[k] for k in (1, 2, 3, 4)} == {1}


def test_day_and_month_swapped_links():
    # given
    records = [
        record(1, "李秀英", sex="F", birth_date=dt.date(1980, 3, 7)),
        record(2, "李秀英", sex="F", birth_date=dt.date(1980, 7, 3), city=""),
    ]

    # when
    resolution = Resolver().resolve(records)

    # then
    assert resolution.cluster_of[2] == 1


def test_two_zhang_wei_born_the_same_day_with_different_ids_never_merge():
    # given: two men called 张伟 born on one day, plus an application without a number that
    # resembles both
    first = idnumber.make(address="410102", birth_date=BORN, sequence=11)
    second = idnumber.make(address="410102", birth_date=BORN, sequence=13)
    records = [
        record(1, id_hash=ident(first)),
        record(2, id_hash=ident(second)),
        record(3),
        record(4, id_hash=ident(first), phone_hash=phone("13900000002")),
    ]

    # when
    resolution = Resolver().resolve(records)

    # then
    assert resolution.cluster_of[1] != resolution.cluster_of[2]
    assert resolution.cluster_of[4] == resolution.cluster_of[1]
    assert resolution.cluster_of[3] in {resolution.cluster_of[1], resolution.cluster_of[2]}


def test_different_people_with_a_common_name_stay_apart():
    # given: same name, different birth date, province and phone
    records = [
        record(1),
        record(2, birth_date=dt.date(1990, 11, 2), province="44", city="广州市", phone_hash=phone("13700000003")),
    ]

    # when
    resolution = Resolver().resolve(records)

    # then
    assert resolution.cluster_of[2] == 2


def test_a_mistyped_identity_number_still_links_on_the_other_fields():
    # given: one digit of the number changed, so the check fails and only a partial is kept
    valid = idnumber.make(address="410102", birth_date=BORN, sequence=11)
    typo = valid[:15] + str((int(valid[15]) + 1) % 10) + valid[16:]
    assert not idnumber.is_valid(typo)
    records = [record(1, id_hash=ident(valid)), record(2, "張偉", id_partial=id_partial(typo), phone_hash="")]

    # when
    resolution = Resolver().resolve(records)
    scored = Resolver().score(records[0], [records[1]])

    # then
    assert resolution.cluster_of[2] == 1
    assert "mistyped identity number agrees with birth date" in scored[0][2]


def test_id_partial_keeps_region_and_birth_digits_only():
    assert id_partial("41010219780309011X") == "41010219780309"
    assert id_partial("4101") == ""


def test_blocking_keys_of_one_persons_variants_intersect():
    # given
    base = record(1, "王秀英", sex="F", birth_date=dt.date(1966, 4, 10))
    variants = [
        record(2, "王秀英", sex="F", birth_date=dt.date(1966, 10, 4), phone_hash=""),  # swapped
        record(3, "王琇英", sex="F", birth_date=dt.date(1966, 4, 10), phone_hash=""),  # homophone
        record(4, "王 秀英", sex="F", birth_date=None, phone_hash=""),  # space, no birth date
        record(5, "汪秀英", sex="F", birth_date=dt.date(1966, 4, 10), phone_hash="x"),  # surname homophone
    ]

    # then
    for variant in variants:
        assert set(blocking_keys(base)) & set(blocking_keys(variant)), variant


def test_score_gives_probabilities_and_readable_reasons():
    # given
    new = record(1, "张伟", birth_date=dt.date(1978, 3, 9))
    candidates = [
        record(2, "張偉", birth_date=dt.date(1978, 9, 3), phone_hash=phone("13900000009")),
        record(3, "李娜", sex="F", birth_date=dt.date(1990, 1, 1), province="11", city="北京市", phone_hash=phone("1")),
    ]

    # when
    result = Resolver().score(new, candidates)

    # then
    (key_a, p_a, reasons_a), (key_b, p_b, reasons_b) = result
    assert (key_a, key_b) == (2, 3)
    assert p_a > 0.5 > p_b
    assert "day and month swapped" in reasons_a
    assert "different phone" in reasons_a
    assert any(r.startswith("names sound alike (zhang wei)") or r.startswith("same name") for r in reasons_a)
    assert "different names" in reasons_b


def test_score_uses_the_identity_number_as_decisive():
    number = idnumber.make(address="410102", birth_date=BORN, sequence=11)
    other = idnumber.make(address="410102", birth_date=BORN, sequence=13)
    new = record(1, id_hash=ident(number))

    result = Resolver().score(new, [record(2, "李娜", id_hash=ident(number)), record(3, id_hash=ident(other))])

    assert result[0][1] == 1.0 and result[0][2][0] == "same identity number"
    assert result[1][1] == 0.0 and result[1][2][0] == "different identity numbers"


def test_score_of_a_hundred_candidates_is_fast():
    candidates = [record(k, "张伟" if k % 2 else "张玮", birth_date=BORN + dt.timedelta(days=k)) for k in range(2, 102)]
    resolver = Resolver()
    resolver.score(record(1), candidates[:2])  # warm the caches

    started = time.perf_counter()
    result = resolver.score(record(1), candidates)

    assert len(result) == 100
    assert time.perf_counter() - started < 0.5


def test_model_round_trips_through_json_with_its_version():
    # given
    model = default_model()

    # when
    again = Model.from_json(json.dumps(model.to_dict()))

    # then
    assert again.to_dict() == model.to_dict()
    assert again.version == MODEL_VERSION
    with pytest.raises(ValueError, match="version"):
        Model.from_dict({**model.to_dict(), "version": "other/0"})


def test_uncertain_pairs_go_to_review_with_reasons():
    # given: same name and birth year, birth dates one digit apart, nothing else in common
    records = [
        record(1, "张伟", birth_date=dt.date(1978, 3, 9), city="", phone_hash=""),
        record(2, "张伟", birth_date=dt.date(1978, 3, 8), city="", phone_hash="", province="41"),
    ]

    # when
    resolution = Resolver(review_band=(0.01, 0.99)).resolve(records)

    # then
    assert [(r.key_a, r.key_b) for r in resolution.review] == [(1, 2)]
    assert "birth dates differ by one digit" in resolution.review[0].reasons
