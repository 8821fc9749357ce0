"""domain/fields.py: loosely typed request fields become values or a 400 naming the field."""

from __future__ import annotations

import pytest

from didstore.domain.errors import InvalidInput
from didstore.domain.fields import app_name, choice, flag, identifier, text, whole


def test_text_is_stripped_bounded_and_never_carries_nul() -> None:
    assert text("  hi  ", "name") == "hi"
    assert text(None, "name") is None
    with pytest.raises(InvalidInput, match="name is required"):
        text(None, "name", required=True)
    with pytest.raises(InvalidInput, match="must not be empty"):
        text("   ", "name", required=True)
    with pytest.raises(InvalidInput, match="longer than 3"):
        text("abcd", "name", max_len=3)
    with pytest.raises(InvalidInput, match="NUL"):
        text("a\x00b", "name")
    with pytest.raises(InvalidInput, match="must be a string") as caught:
        text(5, "name")
    assert caught.value.extra["field"] == "name"


@pytest.mark.parametrize(("raw", "parsed"), [(True, True), ("True", True), (" false ", False)])
def test_flags_accept_json_booleans_and_the_old_sdks_strings(raw: object, parsed: bool) -> None:
    assert flag(raw, "f") is parsed


@pytest.mark.parametrize("raw", ["yes", 1, 0.0])
def test_other_flag_values_are_refused(raw: object) -> None:
    with pytest.raises(InvalidInput, match="true or false"):
        flag(raw, "f")


@pytest.mark.parametrize(("raw", "parsed"), [(10, 10), (10.0, 10), ("10", 10), (None, None)])
def test_whole_numbers_in_their_three_spellings(raw: object, parsed: int | None) -> None:
    assert whole(raw, "n") == parsed


@pytest.mark.parametrize("raw", [True, 1.5, "ten", float("nan"), [1]])
def test_not_whole_numbers_are_refused(raw: object) -> None:
    with pytest.raises(InvalidInput, match="whole number"):
        whole(raw, "n")


def test_whole_numbers_are_bounded() -> None:
    with pytest.raises(InvalidInput, match="between 1 and 5"):
        whole(6, "n", minimum=1, maximum=5)


def test_choices_are_case_insensitive_and_canonical() -> None:
    assert choice(" POST ", "method", ["GET", "POST"]) == "POST"
    assert choice("post", "method", ["GET", "POST"]) == "POST"
    with pytest.raises(InvalidInput, match="one of GET, POST"):
        choice("PUT", "method", ["GET", "POST"])


def test_identifiers_are_uuids_in_canonical_form() -> None:
    assert identifier("6F9619FF-8B86-D011-B42D-00C04FC964FF", "id") == (
        "6f9619ff-8b86-d011-b42d-00c04fc964ff"
    )
    assert identifier("", "id") is None
    with pytest.raises(InvalidInput, match="UUID"):
        identifier("nope", "id")


def test_application_names_are_letters_digits_dash_underscore() -> None:
    assert app_name("ivr_main-2") == "ivr_main-2"
    with pytest.raises(InvalidInput, match="only letters"):
        app_name("ivr main")
