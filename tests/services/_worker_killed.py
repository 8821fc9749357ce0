"""A renewal worker that is killed with SIGKILL (no cleanup, no rollback handler) either
between chunks or inside a chunk's transaction, after its ledger rows were written but
before it committed (killed right after the chunk's UPDATE of numbers, which follows the
charge and ledger rows; those go by COPY on PostgreSQL, which fires no cursor event).

Usage: python _worker_killed.py DATABASE_URL NOW_ISO between|inside"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import datetime
from typing import Any

from didstore.clock import FixedClock
from didstore.db import database
from didstore.db.plans import Plan
from didstore.services.renewals import run_renewals


def main() -> None:
    url, now, mode = sys.argv[1], datetime.fromisoformat(sys.argv[2]), sys.argv[3]
    db = database.open_database(url)
    chunks = 0

    def after_chunk(_report: Any) -> None:
        nonlocal chunks
        chunks += 1
        if mode == "between":
            os.kill(os.getpid(), signal.SIGKILL)

    if mode == "inside":  # die right after the second chunk's UPDATE of numbers ran
        cls: Any = type(db).__name__.replace("Database", "Connection")
        conn_cls = getattr(database, cls)
        run = conn_cls._run

        async def run_then_die(self: Any, plan: Plan, sql: str, values: dict[str, Any]) -> Any:
            result = await run(self, plan, sql, values)
            if chunks >= 1 and sql.lstrip().upper().startswith("UPDATE NUMBERS"):
                os.kill(os.getpid(), signal.SIGKILL)
            return result

        conn_cls._run = run_then_die

    async def work() -> None:
        await db.open()
        await run_renewals(db, FixedClock(now), chunk_size=4, after_chunk=after_chunk)

    asyncio.run(work())
    print("finished without being killed", flush=True)


if __name__ == "__main__":
    main()
