"""Lazy, auto-paginating lists: iterating fetches the next page only when the previous one
is used up, so taking the first 10 items of a 2-per-page list costs 5 requests and taking
one item costs one. ``first_page()`` gives one page with its ``total``; ``pages()`` walks
page by page; ``to_list()`` collects everything."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol, TypeVar

from didstore.client.core import ListOperation, Operation, PagerBase
from didstore.client.models import Page

T = TypeVar("T")


class Requester(Protocol):
    async def request(self, op: Operation[T]) -> T: ...


class AsyncPager(PagerBase[T]):
    """Iterate for every item across pages; ``first_page()`` for one page and its total."""

    def __init__(self, client: Requester, operation: ListOperation[T]) -> None:
        self._client = client
        self._operation = operation
        self._first: Page[T] | None = None

    async def first_page(self) -> Page[T]:
        if self._first is None:
            self._first = await self._client.request(self._operation.make(self._operation.start))
        return self._first

    @property
    def total(self) -> int:
        """How many items the server has. A sync pager fetches the first page if needed; an
        async one needs ``await pager.first_page()`` (or some iteration) first."""
        # scripts/unasync_client.py turns this call into ``self.first_page()`` in the sync
        # flavour, which fetches the page on demand.
        return self._fetched_first_page().total

    async def pages(self) -> AsyncIterator[Page[T]]:
        page: Page[T] | None = await self.first_page()
        while page is not None:
            yield page
            if page.next_cursor is None:
                return
            page = await self._client.request(self._operation.make(page.next_cursor))

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item

    async def to_list(self) -> list[T]:
        return [item async for item in self]
