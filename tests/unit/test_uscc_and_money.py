from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cases.lib import money, uscc

VALID_CODES = ["91350100M000100Y43", "91110000802100433B"]


@pytest.mark.parametrize("code", VALID_CODES)
def test_it_accepts_real_unified_social_credit_codes(code):
    assert uscc.validate(code.lower()) == code


@given(st.sampled_from(VALID_CODES), st.integers(min_value=0, max_value=17), st.sampled_from(uscc.ALPHABET))
def test_it_catches_every_single_character_change_in_a_credit_code(code, position, replacement):
    changed = code[:position] + replacement + code[position + 1 :]
    if changed != code:
        with pytest.raises(uscc.UsccError):
            uscc.validate(changed)


def test_it_names_characters_the_standard_does_not_allow():
    with pytest.raises(uscc.UsccError, match="not allowed: I"):
        uscc.validate("91350100I000100Y43")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12000.50", Decimal("12000.50")),
        (Decimal("0.1"), Decimal("0.10")),
        (5, Decimal("5.00")),
        ("1,200", Decimal("1200.00")),
    ],
)
def test_money_is_parsed_exactly(raw, expected):
    assert money.parse(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("-1", "negative"),
        ("1.005", "two decimals"),
        (0.1, "binary float"),
        ("abc", "not a decimal"),
        ("NaN", "finite"),
        (True, "decimal"),
    ],
)
def test_money_refuses_bad_amounts_with_a_reason(raw, reason):
    with pytest.raises(money.MoneyError, match=reason):
        money.parse(raw)
