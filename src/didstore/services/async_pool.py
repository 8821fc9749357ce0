"""Async psycopg pools for the event-loop fast paths (ADR 0009), one per event loop.

A pool belongs to the event loop that first used it; a call from another loop (a test client
that starts a loop per request) gets a pool of its own. Only PostgreSQL: SQLite stays on the
sync paths (ADR 0002). Connections are autocommit (a read is one round trip) and parse JSON
columns with orjson, as the sync hot-path engine does (``db/engine.py``).
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from psycopg import AsyncConnection
from psycopg.types.json import set_json_loads
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Engine

POOL_MIN = 2
POOL_MAX = 8


def _conninfo(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


async def _configure(conn: AsyncConnection[Any]) -> None:
    set_json_loads(orjson.loads, conn)


class LoopPool:
    """``await get()`` gives this loop's pool; ``opened`` tells whether any was opened."""

    def __init__(self, engine: Engine, name: str, options: str = "") -> None:
        self.supported = engine.dialect.name == "postgresql"
        self._engine = engine
        self._name = name
        self._options = options
        self._pool: AsyncConnectionPool[AsyncConnection[Any]] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock: asyncio.Lock | None = None
        self.opened = False

    async def get(self) -> AsyncConnectionPool[AsyncConnection[Any]]:
        loop = asyncio.get_running_loop()
        if self._pool is not None and self._loop is loop:
            return self._pool
        if self._lock is None or self._loop is not loop:
            self._loop, self._lock, self._pool = loop, asyncio.Lock(), None
        async with self._lock:
            if self._pool is None:
                kwargs: dict[str, Any] = {"autocommit": True}
                if self._options:
                    kwargs["options"] = self._options
                pool: AsyncConnectionPool[AsyncConnection[Any]] = AsyncConnectionPool(
                    _conninfo(self._engine),
                    min_size=POOL_MIN,
                    max_size=POOL_MAX,
                    kwargs=kwargs,
                    configure=_configure,
                    open=False,
                    name=self._name,
                )
                await pool.open()
                self._pool = pool
                self.opened = True
            return self._pool

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None and self._loop is asyncio.get_running_loop():
            await pool.close()
