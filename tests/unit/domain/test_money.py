from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from didstore.domain.errors import InvalidInput
from didstore.domain.money import currency, to_fixed, to_minor, to_units, whole_units_to_minor


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(["INR", "USD", "JPY", "KWD"]))
def test_minor_units_round_trip_through_the_wire_form(minor: int, code: str) -> None:
    cur = currency(code)
    assert to_minor(str(to_units(minor, cur)), cur) == minor


def test_currency_exponents_come_from_iso_4217() -> None:
    assert currency("inr").exponent == 2
    assert currency("JPY").exponent == 0
    assert currency("KWD").exponent == 3


@pytest.mark.parametrize("bad", ["XYZ", "", "US", 12, None, "INRR"])
def test_unknown_currencies_are_refused(bad: object) -> None:
    with pytest.raises(InvalidInput):
        currency(bad)


def test_more_precision_than_the_currency_allows_is_refused() -> None:
    with pytest.raises(InvalidInput):
        to_minor("1.005", currency("USD"))
    with pytest.raises(InvalidInput):
        to_minor("1.5", currency("JPY"))
    assert to_minor("12.50", currency("USD")) == 1250


@pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity", True, [1]])
def test_non_numbers_are_refused(bad: object) -> None:
    with pytest.raises(InvalidInput):
        to_minor(bad, currency("USD"))


def test_fees_are_whole_units_and_non_negative() -> None:
    inr = currency("INR")
    assert whole_units_to_minor(300, inr, "monthly_fee") == 30000
    assert whole_units_to_minor("100.0", inr, "setup_fee") == 10000
    with pytest.raises(InvalidInput):
        whole_units_to_minor("99.5", inr, "setup_fee")
    with pytest.raises(InvalidInput):
        whole_units_to_minor(-1, inr, "setup_fee")


def test_wire_units_are_ints_when_whole() -> None:
    usd = currency("USD")
    assert to_units(1200, usd) == 12 and isinstance(to_units(1200, usd), int)
    assert to_units(1250, usd) == 12.5
    assert to_units(-150, usd) == -1.5
    assert to_fixed(2390683, usd) == str(Decimal("23906.83000"))
