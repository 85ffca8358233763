import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cases.lib import idnumber
from cases.lib.regions import PROVINCES

VALID = "11010519491231002X"  # the standard's own example

addresses = st.sampled_from(sorted(PROVINCES)).map(lambda p: p + "0105")
births = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31))
valid_numbers = st.builds(
    lambda address, birth, seq: idnumber.make(address=address, birth_date=birth, sequence=seq),
    addresses,
    births,
    st.integers(min_value=0, max_value=999),
)
CHARACTERS = "0123456789X"


def test_it_accepts_the_standards_example_and_decodes_it():
    parsed = idnumber.parse(VALID)
    assert (parsed.province, parsed.birth_date, parsed.sex) == ("11", dt.date(1949, 12, 31), "F")


@given(valid_numbers)
def test_every_generated_number_is_valid(number):
    assert idnumber.is_valid(number)


@given(valid_numbers, st.integers(min_value=0, max_value=17), st.sampled_from(CHARACTERS))
def test_it_catches_every_single_character_change(number, position, replacement):
    changed = number[:position] + replacement + number[position + 1 :]
    if changed != number:
        assert not idnumber.is_valid(changed)


@given(valid_numbers, st.integers(min_value=0, max_value=16))
def test_it_catches_every_swap_of_neighbouring_characters(number, position):
    swapped = number[:position] + number[position + 1] + number[position] + number[position + 2 :]
    if swapped != number:
        assert not idnumber.is_valid(swapped)


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("11010519491231002", "18 characters"),
        ("1101051949123100AX", "digits"),
        ("110105194902300021", "not a real date"),
        ("990105194912310021", "province"),
    ],
)
def test_it_says_why_a_number_is_invalid(number, reason):
    # Give well-formed numbers a correct check character, so the reason tested is the one named.
    first17 = number[:17]
    candidate = first17 + idnumber.check_character(first17) if len(number) == 18 and first17.isdigit() else number
    with pytest.raises(idnumber.IdNumberError, match=reason):
        idnumber.parse(candidate)


def test_it_refuses_a_birth_date_in_the_future():
    number = idnumber.make(address="410105", birth_date=dt.date(2031, 1, 1), sequence=1)
    with pytest.raises(idnumber.IdNumberError, match="future"):
        idnumber.parse(number, today=dt.date(2026, 11, 23))


@pytest.mark.parametrize("prefix", ["81", "82", "83"])
def test_it_accepts_hong_kong_macao_and_taiwan_residence_permits(prefix):
    number = idnumber.make(address=prefix + "0000", birth_date=dt.date(1990, 5, 1), sequence=11)
    assert idnumber.parse(number).is_residence_permit


def test_masking_keeps_four_characters_at_each_end():
    assert idnumber.mask(VALID) == "1101**********002X"
    assert idnumber.mask_phone("13812345678") == "138****5678"
