"""Validation of loosely-typed request fields (the SDKs send open enums and any JSON).

Each helper raises ``InvalidInput`` naming the field, so a bad body is a clear 400.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

from didstore.domain.errors import InvalidInput

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,200}$")


def text(value: object, field: str, *, max_len: int = 2000, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise InvalidInput(f"{field} is required", field=field)
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be a string", field=field)
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"{field} must not be empty", field=field)
    if len(value) > max_len:
        raise InvalidInput(f"{field} is longer than {max_len} characters", field=field)
    no_nul(value, field)
    return value


def no_nul(value: str, field: str) -> str:
    """Text never carries NUL bytes: PostgreSQL cannot store them, and no name or URL needs one."""
    if "\x00" in value:
        raise InvalidInput(f"{field} must not contain NUL (\\x00) characters", field=field)
    return value


def flag(value: object, field: str) -> bool | None:
    """JSON booleans, plus the strings the old SDK may send (``"True"``)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise InvalidInput(f"{field} must be true or false", field=field)


def whole(value: object, field: str, *, minimum: int = 0, maximum: int = 1_000_000) -> int | None:
    """An integer (``10``, ``10.0`` or ``"10"``), within bounds."""
    if value is None:
        return None
    bad = InvalidInput(f"{field} must be a whole number", field=field)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise bad
    try:
        number = float(value)
    except ValueError:
        raise bad from None
    if number != number or not number.is_integer():
        raise bad
    result = int(number)
    if not minimum <= result <= maximum:
        raise InvalidInput(f"{field} must be between {minimum} and {maximum}", field=field)
    return result


def choice(value: object, field: str, allowed: Iterable[str]) -> str | None:
    """A case-insensitive enum value, returned in its canonical (listed) spelling."""
    if value is None:
        return None
    options = list(allowed)
    if isinstance(value, str):
        for option in options:
            if value.strip().lower() == option.lower():
                return option
    raise InvalidInput(f"{field} must be one of {', '.join(options)}", field=field)


def identifier(value: object, field: str) -> str | None:
    """A UUID (credential, IP-ACL and URI references)."""
    raw = text(value, field, max_len=36)
    if raw is None or raw == "":
        return None
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise InvalidInput(f"{field} must be a UUID", field=field) from None


def app_name(value: object, field: str = "app_name") -> str:
    """Application names: letters, digits, ``-`` and ``_`` (entities spec §2)."""
    name = text(value, field, max_len=200, required=True)
    assert name is not None
    if not _NAME.match(name):
        raise InvalidInput(f"{field} may contain only letters, digits, '-' and '_'", field=field)
    return name
