# GENERATED from _async/pager.py by scripts/unasync_client.py: do not edit.
"""Lazy, auto-paginating lists: iterating fetches the next page only when the previous one
is used up, so taking the first 10 items of a 2-per-page list costs 5 requests and taking
one item costs one. ``first_page()`` gives one page with its ``total``; ``pages()`` walks
page by page; ``to_list()`` collects everything."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, TypeVar

from didstore.client.core import ListOperation, Operation, PagerBase
from didstore.client.models import Page

T = TypeVar("T")


class Requester(Protocol):
    def request(self, op: Operation[T]) -> T: ...


class Pager(PagerBase[T]):
    """Iterate for every item across pages; ``first_page()`` for one page and its total."""

    def __init__(self, client: Requester, operation: ListOperation[T]) -> None:
        self._client = client
        self._operation = operation
        self._first: Page[T] | None = None

    def first_page(self) -> Page[T]:
        if self._first is None:
            self._first = self._client.request(self._operation.make(self._operation.start))
        return self._first

    @property
    def total(self) -> int:
        """How many items the server has. A sync pager fetches the first page if needed; an
        async one needs ``await pager.first_page()`` (or some iteration) first."""
        # scripts/unasync_client.py turns this call into ``self.first_page()`` in the sync
        # flavour, which fetches the page on demand.
        return self.first_page().total

    def pages(self) -> Iterator[Page[T]]:
        page: Page[T] | None = self.first_page()
        while page is not None:
            yield page
            if page.next_cursor is None:
                return
            page = self._client.request(self._operation.make(page.next_cursor))

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page.items

    def to_list(self) -> list[T]:
        return [item for item in self]
