"""The exchange parser on hostile input: it answers with field errors, never with a crash."""

import copy
import datetime as dt
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.lib import exchange
from tests.factories import BASE_CASE

TODAY = dt.date(2026, 11, 23)
TZ = dt.timezone(dt.timedelta(hours=8))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12) | st.decimals(allow_nan=False, places=3),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


def paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from paths(value, (*prefix, key))


VALID = {**BASE_CASE, "ref": "X-1", "channel": "crowdfunding", "raiser": {"name": "王大伟", "relation": "parent"}}
ALL_PATHS = [p for p in paths(VALID) if p]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(ALL_PATHS), json_values)
def test_any_field_replaced_by_any_json_value_gives_a_case_or_field_errors(path, value):
    payload = copy.deepcopy(VALID)
    target = payload
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    payload = exchange.loads(json.dumps(payload, default=str))
    try:
        exchange.parse_case(payload, today=TODAY, tz=TZ)
    except exchange.LineError as exc:
        assert exc.problems and all(field and reason for field, reason in exc.problems)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_any_json_value_as_a_whole_program_line_gives_field_errors(value):
    obj = value if isinstance(value, dict) else {"kind": "program", "value": value}
    try:
        exchange.parse_program(obj)
    except exchange.LineError as exc:
        assert exc.problems


def test_json_numbers_are_read_exactly():
    assert exchange.loads('{"amount": 0.1}')["amount"] == Decimal("0.1")


def test_chinese_words_for_the_codes_are_understood():
    payload = {**VALID, "patient": {**VALID["patient"], "sex": "女"}, "raiser": {"name": "王大伟", "relation": "父亲"},
               "household": {"size": "4", "annual_income": "2万", "dibao_status": "低保"},
               "insurance": {"basic": "新农合"}, "consent": {"data_sharing": "是", "public_disclosure": 1},
               "request": {"amount": "¥200,000"}}  # fmt: skip
    case = exchange.parse_case(exchange.loads(json.dumps(payload)), today=TODAY, tz=TZ)
    assert (case.patient.sex, case.raiser.relation, case.dibao_status, case.insurance_basic) == (
        "F", "parent", "dibao", "resident")  # fmt: skip
    assert (case.annual_income, case.request_amount) == (Decimal("20000.00"), Decimal("200000.00"))
    assert case.consent_data_sharing and case.consent_public_disclosure


def test_an_unknown_word_still_names_the_codes_the_format_allows():
    payload = {**VALID, "insurance": {"basic": "商业保险"}}
    with pytest.raises(exchange.LineError) as caught:
        exchange.parse_case(exchange.loads(json.dumps(payload)), today=TODAY, tz=TZ)
    assert caught.value.problems == [("insurance.basic", "'商业保险' is not one of employee, resident, none")]
