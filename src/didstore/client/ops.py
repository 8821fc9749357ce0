"""Every endpoint as an :class:`Operation`: method, path (canonical casing per numbers spec
§1.3), query, body and how to read the answer. The sync and async clients run the same
operations, so both speak exactly the same wire.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

from didstore.client import numbers as nf
from didstore.client.core import ListOperation, Operation, Params
from didstore.client.models import (
    Ack,
    Model,
    Page,
    ResponseInfo,
)

M = TypeVar("M", bound=Model)


def seg(value: str) -> str:
    """An id as one path segment."""
    return quote(str(value), safe="")


def account(auth_id: str) -> str:
    return f"/api/v1/Account/{seg(auth_id)}"


def account_lc(auth_id: str) -> str:
    """Lowercase ``account``: cancel-release, assign-subaccount and health (spec §1.3)."""
    return f"/api/v1/account/{seg(auth_id)}"


def number_path(auth_id: str, number: str, *, lowercase: bool = False) -> str:
    base = account_lc(auth_id) if lowercase else account(auth_id)
    return f"{base}/numbers/{nf.path_form(number)}"


def model(cls: type[M]) -> Callable[[Any, ResponseInfo], M]:
    def parse(body: Any, http: ResponseInfo) -> M:
        return cls.from_dict(body, http)

    return parse


def models(cls: type[M], key: str) -> Callable[[Any, ResponseInfo], list[M]]:
    """A list of ``cls`` under ``key`` of the answer (an unpaginated listing)."""

    def parse(body: Any, http: ResponseInfo) -> list[M]:
        items = body.get(key, []) if isinstance(body, dict) else []
        return [model(cls)(item, http) for item in items]

    return parse


def ack(body: Any, http: ResponseInfo) -> Ack:
    return Ack.from_dict(body if isinstance(body, dict) else {}, http)


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def paged(
    cls: type[M], items_key: str, size_key: str = "per_page"
) -> Callable[[Any, ResponseInfo], Page[M]]:
    """Page-numbered lists: ``{<items_key>: [...], page, <size_key>, total}``."""

    def parse(body: Any, http: ResponseInfo) -> Page[M]:
        data = body if isinstance(body, dict) else {}
        rows = data.get(items_key) or []
        items = [cls.from_dict(r, http) for r in rows]
        page, size, total = (
            _int(data.get("page"), 1),
            _int(data.get(size_key)),
            _int(data.get("total")),
        )
        more = bool(items) and size > 0 and page * size < total
        return Page(
            items=items,
            page=page,
            per_page=size,
            total=total,
            next_cursor=page + 1 if more else None,
            raw=data,
            http=http,
        )

    return parse


def meta_paged(cls: type[M]) -> Callable[[Any, ResponseInfo], Page[M]]:
    """The operator's page-numbered lists: ``{meta: {page, per_page, total}, objects}``."""

    def parse(body: Any, http: ResponseInfo) -> Page[M]:
        data = body if isinstance(body, dict) else {}
        found = data.get("meta")
        meta: dict[str, Any] = found if isinstance(found, dict) else {}
        page = paged(cls, "objects")({**meta, "objects": data.get("objects")}, http)
        page.raw = data
        return page

    return parse


def offset_paged(cls: type[M], total_key: str) -> Callable[[Any, ResponseInfo], Page[M]]:
    """limit/offset lists: ``{meta: {limit, offset, <total_key>}, objects: [...]}``."""

    def parse(body: Any, http: ResponseInfo) -> Page[M]:
        data = body if isinstance(body, dict) else {}
        found = data.get("meta")
        meta: dict[str, Any] = found if isinstance(found, dict) else {}
        items = [cls.from_dict(r, http) for r in data.get("objects") or []]
        limit, offset = _int(meta.get("limit")), _int(meta.get("offset"))
        total = _int(meta.get(total_key))
        end = offset + len(items)
        return Page(
            items=items,
            page=offset // limit + 1 if limit else 1,
            per_page=limit,
            total=total,
            next_cursor=end if items and end < total else None,
            raw=data,
            http=http,
        )

    return parse


def page_list(
    path: str,
    parse: Callable[[Any, ResponseInfo], Page[M]],
    params: Params,
    *,
    page: int | None,
    per_page: int | None,
    limit: int | None = None,
    offset: int | None = None,
    size_param: str = "per_page",
) -> ListOperation[M]:
    """A page-numbered list; legacy ``limit``/``offset`` map onto ``per_page``/``page``."""
    size = per_page
    start = page or 1
    if page is None and (limit is not None or offset is not None):
        size = limit or per_page or 25
        start = (offset or 0) // size + 1

    def make(cursor: int) -> Operation[Page[M]]:
        query = {**params, "page": cursor, size_param: size}
        return Operation("GET", path, parse, params=query)

    return ListOperation(make, start)


def offset_list(
    path: str,
    parse: Callable[[Any, ResponseInfo], Page[M]],
    params: Params,
    *,
    limit: int | None,
    offset: int | None,
) -> ListOperation[M]:
    def make(cursor: int) -> Operation[Page[M]]:
        return Operation("GET", path, parse, params={**params, "limit": limit, "offset": cursor})

    return ListOperation(make, offset or 0)


def body(**fields: Any) -> dict[str, Any]:
    """A JSON body without the unset fields (they are omitted, never sent as null)."""
    return {k: v for k, v in fields.items() if v is not None}
