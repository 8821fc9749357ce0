"""E.164 numbers: one parser for every form a number arrives in.

Source: Vobiz numbers spec §2 and §9. Bodies carry ``+E164``; paths may carry a raw ``+``,
``%2B`` (percent-encoded once by the caller), ``%252B`` (encoded twice: a pre-encoded value
passed through ``encodeURIComponent``) or bare digits. The server stores ``+E164``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

import phonenumbers

from didstore.domain.errors import InvalidInput

_SHAPE = re.compile(r"^\+[1-9][0-9]{6,14}$")


@dataclass(frozen=True, slots=True)
class E164:
    """A syntactically valid E.164 number, always stored with its leading ``+``."""

    value: str

    @property
    def digits(self) -> str:
        return self.value[1:]

    def __str__(self) -> str:
        return self.value


def _shape(value: str, raw: str) -> E164:
    if not _SHAPE.match(value):
        raise InvalidInput(
            f"invalid phone number {raw!r}: expected E.164 such as +919876543210",
            field="e164",
        )
    return E164(value)


def from_body(raw: object) -> E164:
    """A number in a JSON body: ``+`` and digits (bare digits are accepted too)."""
    if not isinstance(raw, str):
        raise InvalidInput("e164 must be a string such as +919876543210", field="e164")
    value = raw.strip().replace(" ", "").replace("-", "")
    if value.isdigit():
        value = "+" + value
    return _shape(value, raw)


def from_path(segment: str) -> E164:
    """A number from a path segment that the HTTP server already percent-decoded once.

    A remaining ``%2B`` (the caller encoded twice) is decoded again; a literal ``+`` is
    never a space in a path; bare digits get their ``+`` back.
    """
    value = segment.strip()
    for _ in range(2):
        if "%" in value:
            value = unquote(value)
    if value.startswith(" "):
        value = "+" + value.lstrip()
    if value.isdigit():
        value = "+" + value
    return _shape(value, segment)


def search_digits(raw: str) -> str:
    """Digits of a search pattern. A query ``+`` typed by curl users decodes to a space."""
    return "".join(ch for ch in raw if ch.isdigit())


def validate_real_number(raw: object) -> tuple[E164, str]:
    """Check a number against the numbering plan (``phonenumbers``); return it and its ISO country.

    Used where numbers enter the system (inventory import), so that only real, dialable
    numbers are ever stocked.
    """
    number, region, _ = classify_real_number(raw)
    return number, region


def classify_real_number(raw: object) -> tuple[E164, str, str]:
    """``validate_real_number`` plus the number's type (``number_type``), from one parse."""
    number = from_body(raw)
    try:
        parsed = phonenumbers.parse(number.value, None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(f"not a phone number: {raw!r} ({exc})", field="e164") from exc
    # ``is_valid_number`` is "the number matches a type of its plan" (phonenumbers computes
    # ``number_type`` for it): asking for the type once answers both questions.
    kind = phonenumbers.number_type(parsed)
    if kind == phonenumbers.PhoneNumberType.UNKNOWN:
        raise InvalidInput(f"not a valid number in its numbering plan: {raw!r}", field="e164")
    formatted = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if formatted != number.value:
        raise InvalidInput(f"not in E.164 form: {raw!r} (did you mean {formatted}?)", field="e164")
    region = phonenumbers.region_code_for_number(parsed) or ""
    return number, region, _plivo_type(kind)


#: Plivo's number types (``type`` on search and list), from the numbering plan.
NUMBER_TYPES = ("local", "mobile", "tollfree", "national")


def number_type(value: str) -> str:
    """``tollfree``, ``mobile``, ``national`` (shared-cost, premium, personal, UAN numbers) or
    ``local`` (fixed lines, fixed-or-mobile plans such as the US, VoIP, and anything the
    numbering plan does not know)."""
    try:
        return _plivo_type(phonenumbers.number_type(phonenumbers.parse(value, None)))
    except phonenumbers.NumberParseException:
        return "local"


def _plivo_type(kind: int) -> str:
    t = phonenumbers.PhoneNumberType
    if kind == t.TOLL_FREE:
        return "tollfree"
    if kind == t.MOBILE:
        return "mobile"
    if kind in (t.FIXED_LINE, t.FIXED_LINE_OR_MOBILE, t.VOIP, t.UNKNOWN):
        return "local"
    return "national"
