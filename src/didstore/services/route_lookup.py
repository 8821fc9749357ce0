"""The route lookup on the event loop: an async psycopg pool for PostgreSQL (ADR 0009).

``GET /api/v1/admin/routes/{e164}`` runs once per inbound call. Through the sync service it
costs a thread-pool hop and SQLAlchemy's execution machinery per request; here the same
statement (``routing._ROUTE_SELECT``, compiled once for the server's dialect) runs as a
prepared statement on an autocommit connection of an async pool, and the row goes through
the same ``routing.route_from_row`` (hence ``domain.routing.route_reason``) as the sync path.
Only PostgreSQL: SQLite has no async driver worth using (ADR 0002) and stays on the sync path.

The pool (``async_pool.LoopPool``) belongs to the event loop that first used it.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from sqlalchemy import Engine

from didstore.clock import Clock
from didstore.domain.e164 import E164
from didstore.domain.errors import NotFound
from didstore.services.async_pool import LoopPool
from didstore.services.routing import _ROUTE_SELECT, Route, route_from_row


class AsyncRouteLookup:
    """``route(e164)`` answering exactly what ``RoutingService.route`` answers, without
    leaving the event loop. ``supported`` is False on SQLite (callers use the sync path)."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.clock = clock
        # No plan_cache_mode=force_custom_plan here: it exists for substring searches; an
        # equality on a unique key wants the cached generic plan (re-planning the 3-table
        # join every call measured 4x slower).
        self.pool = LoopPool(engine, "didstore-route-lookup")
        self.supported = self.pool.supported
        self._sql = ""
        self._defaults: dict[str, Any] = {}
        if self.supported:
            compiled = _ROUTE_SELECT.compile(dialect=engine.dialect)
            self._sql = str(compiled)
            self._defaults = dict(compiled.construct_params({"e164": ""}))

    async def route(self, e164: E164) -> Route:
        """Where a call to ``e164`` goes (NotFound when the number is unknown)."""
        pool = await self.pool.get()
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
        await self.pool.close()
