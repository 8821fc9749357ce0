"""Number spellings -> the form each endpoint expects (pure, no server)."""

from __future__ import annotations

import pytest

from didstore.client import InvalidNumberError, body_form, normalize, path_form
from didstore.client.numbers import search_form


@pytest.mark.parametrize(
    "raw",
    [
        "+919876543210",
        "919876543210",
        "%2B919876543210",
        "%252B919876543210",
        " +91 98765-43210 ",
        "%2b919876543210",
    ],
)
def test_every_spelling_normalises_to_e164(raw: str) -> None:
    assert normalize(raw) == "+919876543210"
    assert body_form(raw) == "+919876543210"
    assert path_form(raw) == "%2B919876543210"


@pytest.mark.parametrize("raw", ["", "+0123456", "abc", "+12", "+9198765432101234"])
def test_garbage_is_refused(raw: str) -> None:
    with pytest.raises(InvalidNumberError):
        normalize(raw)


def test_search_keeps_digits_only() -> None:
    assert search_form("%2B9180") == "9180"
    assert search_form("+91 80") == "9180"
