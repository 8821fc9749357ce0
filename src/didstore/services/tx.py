"""One use case, one transaction, unless the caller already has one.

A bulk job's item runs a use case inside the job runner's own transaction, so that the
item's outcome commits with the number's change (ADR 0023). Such use cases open their
transaction with ``async with write_in(self.db, within) as conn:``. Without ``within`` this
is ``self.db.write()``. With it, the statements run on the caller's connection, and the
caller commits or rolls back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from didstore.db.database import Connection, Database


@asynccontextmanager
async def write_in(db: Database, within: Connection | None) -> AsyncIterator[Connection]:
    if within is not None:
        yield within
        return
    async with db.write() as conn:
        yield conn
