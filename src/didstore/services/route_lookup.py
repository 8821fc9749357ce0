"""The route lookup on the event loop: an async psycopg pool for PostgreSQL (ADR 0009).

``GET /api/v1/admin/routes/{e164}`` runs once per inbound call. Through the sync service it
costs a thread-pool hop and SQLAlchemy's execution machinery per request; here the same
statement (``routing._ROUTE_SELECT``, compiled once for the server's dialect) runs as a
prepared statement on an autocommit connection of an async pool, and the row goes through
the same ``routing.route_from_row`` (hence ``domain.routing.route_reason``) as the sync path.
Only PostgreSQL: SQLite has no async driver worth using (ADR 0002) and stays on the sync path.

The pool belongs to the event loop that first used it; a call from another loop (a test
client that starts a loop per request) gets a pool of its own.
"""

from __future__ import annotations

import asyncio
from datetime import UTC
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Engine

from didstore.clock import Clock
from didstore.domain.e164 import E164
from didstore.domain.errors import NotFound
from didstore.services.routing import _ROUTE_SELECT, Route, route_from_row

POOL_MIN = 2
POOL_MAX = 8


def _conninfo(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


class AsyncRouteLookup:
    """``route(e164)`` answering exactly what ``RoutingService.route`` answers, without
    leaving the event loop. ``supported`` is False on SQLite (callers use the sync path)."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.clock = clock
        self.supported = engine.dialect.name == "postgresql"
        self._engine = engine
        self._sql = ""
        self._defaults: dict[str, Any] = {}
        if self.supported:
            compiled = _ROUTE_SELECT.compile(dialect=engine.dialect)
            self._sql = str(compiled)
            self._defaults = dict(compiled.construct_params({"e164": ""}))
        self._pool: AsyncConnectionPool[AsyncConnection[Any]] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock: asyncio.Lock | None = None

    async def _get_pool(self) -> AsyncConnectionPool[AsyncConnection[Any]]:
        loop = asyncio.get_running_loop()
        if self._pool is not None and self._loop is loop:
            return self._pool
        if self._lock is None or self._loop is not loop:
            self._loop, self._lock, self._pool = loop, asyncio.Lock(), None
        async with self._lock:
            if self._pool is None:
                pool: AsyncConnectionPool[AsyncConnection[Any]] = AsyncConnectionPool(
                    _conninfo(self._engine),
                    min_size=POOL_MIN,
                    max_size=POOL_MAX,
                    # No plan_cache_mode=force_custom_plan here: it exists for substring
                    # searches; an equality on a unique key wants the cached generic plan
                    # (re-planning the 3-table join every call measured 4x slower).
                    kwargs={"autocommit": True},
                    open=False,
                    name="didstore-route-lookup",
                )
                await pool.open()
                self._pool = pool
            return self._pool

    async def route(self, e164: E164) -> Route:
        """Where a call to ``e164`` goes (NotFound when the number is unknown)."""
        pool = await self._get_pool()
        params = {**self._defaults, "e164": e164.value}
        async with pool.connection() as conn:
            cursor = await conn.execute(self._sql, params, prepare=True)
            row = await cursor.fetchone()
        if row is None:
            raise NotFound("number not found")
        cooldown = row[2]
        if cooldown is not None:  # stored as naive UTC (db/types.py UTCDateTime)
            row = (*row[:2], cooldown.replace(tzinfo=UTC), *row[3:])
        return route_from_row(tuple(row), self.clock.now())

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None and self._loop is asyncio.get_running_loop():
            await pool.close()
