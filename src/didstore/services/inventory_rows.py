"""Inventory rows: one import row checked and converted to column values, and CSV input."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from didstore.domain.e164 import classify_real_number
from didstore.domain.errors import InvalidInput
from didstore.domain.money import currency, whole_units_to_minor

CSV_COLUMNS = (
    "e164",
    "region",
    "setup_fee",
    "monthly_fee",
    "currency",
    "country",
    "capabilities",
    "aadhaar_verification_required",
    "tags",
    "provider",
    "is_trial_number",
    "minimum_commitment_months",
)
CAPABILITIES = ("voice", "sms", "mms", "fax")


def _bool(value: object, what: str) -> bool:
    if isinstance(value, bool):
        return value
    if value is None or value == "":
        return False
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "y"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "0", "no", "n"):
        return False
    raise InvalidInput(f"{what} must be true or false, got {value!r}")


def _capabilities(value: object) -> dict[str, bool]:
    if value is None or value == "":
        return {"voice": True, "sms": False, "mms": False, "fax": False}
    if isinstance(value, Mapping):
        unknown = set(value) - set(CAPABILITIES)
        if unknown:
            raise InvalidInput(f"unknown capabilities: {', '.join(sorted(map(str, unknown)))}")
        return {c: _bool(value.get(c, False), f"capabilities.{c}") for c in CAPABILITIES}
    if isinstance(value, str):
        names = {p.strip().lower() for p in value.replace("|", ",").replace(";", ",").split(",")}
        names.discard("")
        unknown = names - set(CAPABILITIES)
        if unknown:
            raise InvalidInput(f"unknown capabilities: {', '.join(sorted(unknown))}")
        return {c: c in names for c in CAPABILITIES}
    raise InvalidInput("capabilities must be an object or a list such as 'voice,sms'")


def _tags(value: object) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [
            t.strip() for t in value.replace(";", ",").replace("|", ",").split(",") if t.strip()
        ]
    if isinstance(value, list) and all(isinstance(t, str) for t in value):
        return list(value)
    raise InvalidInput("tags must be a list of strings")


def _int(value: object, what: str) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise InvalidInput(f"{what} must be a whole number")
    try:
        number = int(str(value).strip())
    except ValueError as exc:
        raise InvalidInput(f"{what} must be a whole number, got {value!r}") from exc
    if number < 0:
        raise InvalidInput(f"{what} must be >= 0")
    return number


def validate_row(raw: Mapping[str, Any]) -> dict[str, Any]:
    """One inventory row, checked and converted to column values (raises ``InvalidInput``)."""
    if not isinstance(raw, Mapping):
        raise InvalidInput("each row must be an object")
    number, region_code, kind = classify_real_number(raw.get("e164"))
    country = raw.get("country")
    if country not in (None, "") and (
        not isinstance(country, str) or country.strip().upper() != region_code
    ):
        raise InvalidInput(f"country {country!r} does not match the number ({region_code})")
    if "currency" not in raw or raw.get("currency") in (None, ""):
        raise InvalidInput("currency is required")
    cur = currency(raw.get("currency"))
    for fee in ("setup_fee", "monthly_fee"):
        if raw.get(fee) in (None, ""):
            raise InvalidInput(f"{fee} is required")
    region = raw.get("region")
    if region in (None, ""):
        region = _region_of(number.value)
    if not isinstance(region, str):
        raise InvalidInput("region must be a string")
    provider = raw.get("provider") or ""
    if not isinstance(provider, str):
        raise InvalidInput("provider must be a string")
    caps = _capabilities(raw.get("capabilities"))
    return {
        "e164": number.value,
        "country": region_code,
        "region": region.strip()[:100],
        "setup_fee_minor": whole_units_to_minor(raw.get("setup_fee"), cur, "setup_fee"),
        "monthly_fee_minor": whole_units_to_minor(raw.get("monthly_fee"), cur, "monthly_fee"),
        "currency": cur.code,
        "tags": _tags(raw.get("tags")),
        "aadhaar_verification_required": _bool(
            raw.get("aadhaar_verification_required"), "aadhaar_verification_required"
        ),
        "is_trial_number": _bool(raw.get("is_trial_number"), "is_trial_number"),
        "minimum_commitment_months": _int(
            raw.get("minimum_commitment_months"), "minimum_commitment_months"
        ),
        "provider": provider[:100],
        "number_type": kind,
        **caps,
    }


def _region_of(e164: str) -> str:
    """The region a number's prefix belongs to, for rows given without one. The geocoder's
    data is ~100 MB of memory once loaded: imported here, when a row needs it, never at
    start-up (a server that is only given regions never loads it)."""
    from phonenumbers import geocoder, parse

    return str(geocoder.description_for_number(parse(e164, None), "en"))


def read_csv(data: bytes | str) -> list[dict[str, Any]]:
    """CSV with a header row naming the columns (``CSV_COLUMNS``; unknown columns ignored)."""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"CSV is not UTF-8 text: {exc.reason} at byte {exc.start}") from None
    if "\x00" in text:
        raise InvalidInput("CSV must not contain NUL bytes")
    reader = csv.DictReader(io.StringIO(text))
    try:
        if reader.fieldnames is None or "e164" not in [f.strip() for f in reader.fieldnames]:
            raise InvalidInput(
                "CSV needs a header row with at least: e164, setup_fee, monthly_fee, currency"
            )
        return [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader]
    except csv.Error as exc:
        raise InvalidInput(f"CSV is malformed: {exc}") from None
