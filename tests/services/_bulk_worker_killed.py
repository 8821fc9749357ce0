"""A bulk-job runner killed with SIGKILL (no cleanup, no rollback handler) inside the
transaction of its third item: after that item was claimed, its number bought and its
wallet debited (the ledger row written), before the commit.

Usage: python _bulk_worker_killed.py DATABASE_URL NOW_ISO"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import datetime
from typing import Any

from didstore.bootstrap import build
from didstore.clock import FixedClock
from didstore.config import Settings
from didstore.db import database
from didstore.db.plans import Plan


def main() -> None:
    url, now = sys.argv[1], datetime.fromisoformat(sys.argv[2])
    services = build(Settings(database_url=url, run_jobs=False), FixedClock(now))
    claims = 0
    cls: Any = type(services.db).__name__.replace("Database", "Connection")
    conn_cls = getattr(database, cls)
    run = conn_cls._run

    async def run_then_die(self: Any, plan: Plan, sql: str, values: dict[str, Any]) -> Any:
        nonlocal claims
        result = await run(self, plan, sql, values)
        text = sql.lstrip().upper()
        if text.startswith("UPDATE BULK_JOB_ITEMS") and "RETURNING" in text:
            claims += 1
        if claims >= 3 and "LEDGER_ENTRIES" in text:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    conn_cls._run = run_then_die

    async def work() -> None:
        await services.open()
        await services.jobs.run("bulk")

    asyncio.run(work())
    print("finished without being killed", flush=True)


if __name__ == "__main__":
    main()
