"""Both SDK flavours behind one calling style, so every test runs once with ``Client`` and
once with ``AsyncClient`` against the same real server.

``Blocking`` drives a real ``AsyncClient`` from synchronous test code: every coroutine a call
returns is run to completion on one event loop, and an ``AsyncPager`` is iterated with
``__anext__`` on that loop. Nothing in the SDK is replaced; only the caller changes.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import httpx

from didstore.client import AsyncClient, AsyncPager, Client
from didstore.client._async.runner import Resource

FLAVOURS = ("sync", "async")


class BlockingPager:
    """A synchronous view of an ``AsyncPager`` (same laziness: one page per ``__anext__``)."""

    def __init__(self, pager: AsyncPager[Any], runner: asyncio.Runner) -> None:
        self._pager = pager
        self._runner = runner

    def _drain(self, iterator: Any) -> Iterator[Any]:
        while True:
            try:
                yield self._runner.run(iterator.__anext__())
            except StopAsyncIteration:
                return

    def __iter__(self) -> Iterator[Any]:
        return self._drain(self._pager.__aiter__())

    def pages(self) -> Iterator[Any]:
        return self._drain(self._pager.pages())

    def first_page(self) -> Any:
        return self._runner.run(self._pager.first_page())

    def to_list(self) -> list[Any]:
        return self._runner.run(self._pager.to_list())

    @property
    def total(self) -> int:
        return self._pager.total  # the async rule: known once the first page was fetched


class Blocking:
    """Wraps an ``AsyncClient`` or one of its resources; see the module docstring."""

    def __init__(self, target: Any, runner: asyncio.Runner) -> None:
        self._target = target
        self._runner = runner

    def _result(self, value: Any) -> Any:
        if inspect.isawaitable(value):
            value = self._runner.run(cast(Any, value))
        if isinstance(value, AsyncPager):
            return BlockingPager(value, self._runner)
        if isinstance(value, AsyncClient):  # with_options
            return Blocking(value, self._runner)
        return value

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if isinstance(value, Resource | AsyncClient):
            return Blocking(value, self._runner)
        if callable(value):
            return lambda *args, **kwargs: self._result(value(*args, **kwargs))
        return value

    def __enter__(self) -> Blocking:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class Flavour:
    """Makes clients of one flavour; ``close()`` closes them all (and the event loop)."""

    name: str
    runner: asyncio.Runner = field(default_factory=asyncio.Runner)
    made: list[Any] = field(default_factory=list)
    pools: list[httpx.Client | httpx.AsyncClient] = field(default_factory=list)

    @property
    def is_async(self) -> bool:
        return self.name == "async"

    def client(
        self,
        auth_id: str | None = None,
        auth_token: str | None = None,
        *,
        transport: Any = None,
        **options: Any,
    ) -> Client:
        """A client of this flavour (typed as ``Client``: the calls are the same). With a
        ``transport``, the client's ``httpx`` pool (made here, closed by :meth:`close`) sends
        through it. Retries wait the SDK's own backoff."""
        real: Client | AsyncClient
        if self.is_async:
            http_a = httpx.AsyncClient(transport=transport) if transport is not None else None
            real = AsyncClient(auth_id, auth_token, http_client=http_a, **options)
            self.pools += [http_a] if http_a is not None else []
        else:
            http_s = httpx.Client(transport=transport) if transport is not None else None
            real = Client(auth_id, auth_token, http_client=http_s, **options)
            self.pools += [http_s] if http_s is not None else []
        self.made.append(real)
        return cast(Client, Blocking(real, self.runner) if isinstance(real, AsyncClient) else real)

    def unwrap(self, client: Client) -> Client | AsyncClient:
        """The real SDK object behind what :meth:`client` returned."""
        return cast(Client | AsyncClient, getattr(client, "_target", client))

    def close(self) -> None:
        for real in self.made:
            if isinstance(real, AsyncClient):
                self.runner.run(real.close())
            else:
                real.close()
        for pool in self.pools:  # a client never closes a pool it was given
            if isinstance(pool, httpx.AsyncClient):
                self.runner.run(pool.aclose())
            else:
                pool.close()
        self.runner.close()
