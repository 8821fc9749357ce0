"""One number, three spellings: the forms each endpoint expects (numbers spec §2, §9).

Callers may pass ``+919876543210``, ``919876543210``, ``%2B919876543210`` (or even the
double-encoded ``%252B…``). JSON bodies carry ``+E164``; path segments carry ``%2B`` + digits,
which every server spelling accepts and no proxy can turn into a space.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

_SHAPE = re.compile(r"^\+[1-9][0-9]{6,14}$")


class InvalidNumberError(ValueError):
    """The value is not a phone number in any accepted form; raised before any request."""


def normalize(value: str) -> str:
    """Any accepted spelling -> ``+E164`` (raises :class:`InvalidNumberError`)."""
    if not isinstance(value, str):
        raise InvalidNumberError(f"phone number must be a string, got {type(value).__name__}")
    text = value.strip()
    for _ in range(2):  # %2B, or %252B from a caller who encoded twice
        if "%" in text:
            text = unquote(text)
    text = re.sub(r"[\s\-().]", "", text)
    if text.isdigit():
        text = "+" + text
    if not _SHAPE.match(text):
        raise InvalidNumberError(
            f"invalid phone number {value!r}: expected E.164 such as +919876543210"
        )
    return text


def body_form(value: str) -> str:
    """The JSON-body form: ``+919876543210``."""
    return normalize(value)


def path_form(value: str) -> str:
    """The path-segment form: ``%2B919876543210``."""
    return "%2B" + normalize(value)[1:]


def search_form(value: str) -> str:
    """A (partial) number for a ``search`` query: digits only (the server matches digits)."""
    text = value.strip()
    if "%" in text:
        text = unquote(text)
    return "".join(ch for ch in text if ch.isdigit())
