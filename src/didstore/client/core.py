"""What one API call is, independent of how it is sent: an :class:`Operation` (method,
path, query, body, parser), a :class:`ListOperation` for paginated lists, and how a query
and an answer body are read. Shared by the sync and async clients, which only send them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx

from didstore.client.models import Page, ResponseInfo

T = TypeVar("T")

Params = dict[str, Any]
QueryPairs = list[tuple[str, str | int | float | bool | None]]


@dataclass(frozen=True, slots=True)
class Operation(Generic[T]):
    """One API call: what to send and how to read the answer."""

    method: str
    path: str
    parse: Callable[[Any, ResponseInfo], T]
    params: Params | None = None
    json: Any = None


@dataclass(frozen=True, slots=True)
class ListOperation(Generic[T]):
    """A paginated list: ``make(cursor)`` describes the request for one page; ``start`` is
    the first cursor (a page number, or an offset for limit/offset endpoints)."""

    make: Callable[[int], Operation[Page[T]]]
    start: int


class PagerBase(Generic[T]):
    """State both pager flavours share: the first page, once fetched."""

    _first: Page[T] | None

    def _fetched_first_page(self) -> Page[T]:
        """The first page if it was fetched already (what an async ``total`` can offer)."""
        if self._first is None:
            raise RuntimeError("await pager.first_page() before reading pager.total")
        return self._first


def clean_params(params: Params | None) -> QueryPairs | None:
    """Drop unset values; lists repeat the key; booleans go as ``true``/``false``."""
    if not params:
        return None
    pairs: QueryPairs = []
    for key, value in params.items():
        if value is None:
            continue
        values = value if isinstance(value, list | tuple) else [value]
        for v in values:
            if isinstance(v, bool):
                pairs.append((key, "true" if v else "false"))
            else:
                pairs.append((key, str(v)))
    return pairs


def info(response: httpx.Response) -> ResponseInfo:
    return ResponseInfo(status_code=response.status_code, headers=response.headers)


def body_of(response: httpx.Response) -> Any:
    """The decoded JSON body, or ``None`` for an empty one (204)."""
    if not response.content.strip():
        return None
    try:
        return response.json()
    except ValueError:
        return response.text
