from urllib.parse import quote

import pytest
from hypothesis import given

from didstore.domain.e164 import from_body, from_path, search_digits, validate_real_number
from didstore.domain.errors import InvalidInput
from tests.strategies import e164_digits


@given(e164_digits)
def test_every_path_form_of_a_number_parses_to_the_same_e164(digits: str) -> None:
    plus = "+" + digits
    forms = [plus, digits, quote(plus, safe=""), quote(quote(plus, safe=""), safe="")]
    # The HTTP server decodes a path once before we see it.
    decoded_once = [forms[0], forms[1], "+" + digits, quote(plus, safe="")]
    assert {from_path(f).value for f in decoded_once} == {plus}


@given(e164_digits)
def test_body_accepts_plus_and_bare_digits(digits: str) -> None:
    assert from_body("+" + digits).value == "+" + digits
    assert from_body(digits).value == "+" + digits


@pytest.mark.parametrize(
    "bad", ["", "+", "abc", "+0123456789", "+12", "+1234567890123456", "12a4567"]
)
def test_malformed_numbers_are_rejected(bad: str) -> None:
    with pytest.raises(InvalidInput):
        from_path(bad)


def test_body_number_must_be_a_string() -> None:
    with pytest.raises(InvalidInput):
        from_body(919876543210)


def test_search_keeps_digits_only_so_a_decoded_plus_is_harmless() -> None:
    assert search_digits(" 9180") == "9180"
    assert search_digits("+1 415") == "1415"


def test_validation_uses_the_numbering_plan() -> None:
    number, country = validate_real_number("+14155550100")
    assert (number.value, country) == ("+14155550100", "US")
    with pytest.raises(InvalidInput):
        validate_real_number("+10000000000")  # right shape, not a real NANP number
    with pytest.raises(InvalidInput):
        validate_real_number(None)
