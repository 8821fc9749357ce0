"""Lazy, auto-paginating lists: iterating fetches the next page only when the previous one
is used up, so ``itertools.islice(pager, 10)`` costs one request."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Generic, TypeVar

from didstore.client.core import ListOperation, Operation
from didstore.client.models import Page

T = TypeVar("T")


class Pager(Generic[T]):
    """Iterate for every item across pages; ``first_page()`` for one page and its total."""

    def __init__(
        self, run: Callable[[Operation[Page[T]]], Page[T]], operation: ListOperation[T]
    ) -> None:
        self._run = run
        self._operation = operation
        self._first: Page[T] | None = None

    def first_page(self) -> Page[T]:
        if self._first is None:
            self._first = self._run(self._operation.make(self._operation.start))
        return self._first

    @property
    def total(self) -> int:
        return self.first_page().total

    def pages(self) -> Iterator[Page[T]]:
        page: Page[T] | None = self.first_page()
        while page is not None:
            yield page
            if page.next_cursor is None:
                return
            page = self._run(self._operation.make(page.next_cursor))

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page.items

    def to_list(self) -> list[T]:
        return list(self)


class AsyncPager(Generic[T]):
    """``async for item in pager``; ``await pager.first_page()`` for one page."""

    def __init__(
        self,
        run: Callable[[Operation[Page[T]]], Awaitable[Page[T]]],
        operation: ListOperation[T],
    ) -> None:
        self._run = run
        self._operation = operation
        self._first: Page[T] | None = None

    async def first_page(self) -> Page[T]:
        if self._first is None:
            self._first = await self._run(self._operation.make(self._operation.start))
        return self._first

    async def pages(self) -> AsyncIterator[Page[T]]:
        page: Page[T] | None = await self.first_page()
        while page is not None:
            yield page
            if page.next_cursor is None:
                return
            page = await self._run(self._operation.make(page.next_cursor))

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item

    async def to_list(self) -> list[T]:
        return [item async for item in self]
