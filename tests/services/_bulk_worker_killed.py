"""A bulk-job runner for tests/services/test_bulk_jobs.py, run as its own process so that
the test can kill it with SIGKILL (no cleanup, no rollback handler) inside the transaction
of its third item: after that item was claimed, its number bought and its wallet debited
(the ledger row written), before the commit (the test stalls that transaction with
tests.support.stalled_inserts). Nothing of didstore is patched.

Usage: python _bulk_worker_killed.py DATABASE_URL NOW_ISO"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime

from didstore.bootstrap import build
from didstore.clock import FixedClock
from didstore.config import Settings


def main() -> None:
    url, now = sys.argv[1], datetime.fromisoformat(sys.argv[2])
    services = build(Settings(database_url=url, run_jobs=False), FixedClock(now))

    async def work() -> None:
        await services.open()
        await services.jobs.run("bulk")

    asyncio.run(work())
    print("finished without being killed", flush=True)


if __name__ == "__main__":
    main()
