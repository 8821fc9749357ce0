"""Query-parameter conventions shared by the compatible routes (spec §9)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import QueryParams

from didstore.domain.errors import InvalidInput

_TRUE = ("true", "1", "yes")

#: Largest ``page`` (and row offset) a list accepts: beyond it the SQL OFFSET would not fit a
#: 64-bit integer on either database, and no real list is that long. Past it is a 400.
MAX_PAGE = 1_000_000_000
MAX_OFFSET = 10**12
_FALSE = ("false", "0", "no")


def parse_bool(value: str | None, name: str, default: bool) -> bool:
    """``true/True/1`` and ``false/False/0``: the newer SDK sends ``true``, the old ``True``."""
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise InvalidInput(f"{name} must be true or false, got {value!r}", field=name)


@dataclass(frozen=True, slots=True)
class Paging:
    page: int
    per_page: int


def paging(
    page: int | None,
    per_page: int | None,
    *,
    default: int,
    maximum: int,
    limit: int | None = None,
    offset: int | None = None,
) -> Paging:
    """``page``/``per_page`` (1-indexed); legacy ``limit``/``offset`` map onto them when no
    ``page`` is given. ``per_page`` above the maximum is capped (the echo shows the cap)."""
    if page is None and (limit is not None or offset is not None):
        size = limit if limit is not None else default
        if size < 1:
            raise InvalidInput("limit must be at least 1", field="limit")
        if offset is not None and offset < 0:
            raise InvalidInput("offset must be >= 0", field="offset")
        check_offset(offset)
        size = min(size, maximum)
        return Paging((offset or 0) // size + 1, size)
    page = 1 if page is None else page
    size = default if per_page is None else per_page
    if page < 1:
        raise InvalidInput("page must be at least 1", field="page")
    check_page(page)
    if size < 1:
        raise InvalidInput("per_page must be at least 1", field="per_page")
    return Paging(page, min(size, maximum))


def check_page(page: int | None, name: str = "page") -> None:
    """A page number past ``MAX_PAGE`` is refused (400) rather than sent to the database."""
    if page is not None and page > MAX_PAGE:
        raise InvalidInput(f"{name} must be at most {MAX_PAGE}", field=name)


def check_offset(offset: int | None, name: str = "offset") -> None:
    """A row offset past ``MAX_OFFSET`` is refused (400) rather than sent to the database."""
    if offset is not None and offset > MAX_OFFSET:
        raise InvalidInput(f"{name} must be at most {MAX_OFFSET}", field=name)


def digits_param(value: str | None, name: str) -> str | None:
    """A number fragment: digits, optionally with ``+`` (or the space a raw ``+`` decodes to)."""
    if value is None:
        return None
    cleaned = value.strip().lstrip("+").replace(" ", "").replace("-", "")
    if cleaned == "":
        return None
    if not cleaned.isdigit():
        raise InvalidInput(f"{name} must contain digits only, got {value!r}", field=name)
    if len(cleaned) > 15:
        raise InvalidInput(f"{name} is longer than an E.164 number", field=name)
    return cleaned


def prefixes(values: list[str]) -> tuple[str, ...]:
    """``exclude``: comma lists and/or repeated parameters, de-duplicated, ``+`` optional."""
    found: list[str] = []
    for value in values:
        for part in value.split(","):
            digits = digits_param(part, "exclude")
            if digits and digits not in found:
                found.append(digits)
    return tuple(found)


def country_param(value: str | None) -> str | None:
    if value is None or value.strip() == "":
        return None
    code = value.strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise InvalidInput(f"country must be an ISO 3166 alpha-2 code such as IN, got {value!r}")
    return code


_INT: TypeAdapter[int] = TypeAdapter(int)


def query_ints(query: QueryParams, *names: str) -> list[int | None]:
    """Optional integer query parameters read by hand, for hot routes that skip FastAPI's
    per-request parameter machinery (ADR 0009). Same answers as an ``int | None = None``
    parameter: the last value wins, pydantic's lax parsing (``" 7"``, ``"2.0"``, ``"1_0"``),
    and one 400 listing every bad parameter in order, with pydantic's messages."""
    values: list[int | None] = []
    problems: list[dict[str, Any]] = []
    for name in names:
        raw = query.get(name)
        if raw is None:
            values.append(None)
            continue
        try:
            values.append(_INT.validate_python(raw))
        except ValidationError as exc:
            values.append(None)
            for err in exc.errors():
                problems.append(
                    {"type": err["type"], "loc": ("query", name), "msg": err["msg"], "input": raw}
                )
    if problems:
        raise RequestValidationError(problems)
    return values


def query_parameters(*specs: tuple[str, str]) -> list[dict[str, Any]]:
    """OpenAPI entries for parameters a hot route reads by hand: (name, "integer"|"string")."""
    return [
        {"name": name, "in": "query", "required": False, "schema": {"type": kind}}
        for name, kind in specs
    ]


def path_parameters(*names: str) -> list[dict[str, Any]]:
    """OpenAPI entries for path parameters a hot route reads by hand (all strings)."""
    return [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in names
    ]


OWNED_LIST_INTS = ("page", "per_page", "limit", "offset")


@dataclass(frozen=True, slots=True)
class OwnedListQuery:
    """The owned-number list's parameters (``GET /Account/{id}/numbers``), checked."""

    page: int
    per_page: int
    search: str | None
    include_subaccounts: bool


def owned_list_query(query: QueryParams, ints: list[int | None]) -> OwnedListQuery:
    """``ints`` is ``query_ints(query, *OWNED_LIST_INTS)`` (read first by the route, before
    authentication, so a malformed integer answers 400 as FastAPI's validation did)."""
    page, per_page, limit, offset = ints
    paged = paging(page, per_page, default=25, maximum=100, limit=limit, offset=offset)
    return OwnedListQuery(
        paged.page,
        paged.per_page,
        digits_param(query.get("search"), "search"),
        parse_bool(query.get("include_subaccounts"), "include_subaccounts", True),
    )
