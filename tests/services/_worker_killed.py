"""A renewal worker for tests/services/test_renewals_concurrency.py, run as its own process
so that it can be killed with SIGKILL (no cleanup, no rollback handler).

``between``: it kills itself once its first chunk has committed (``after_chunk``, the
progress hook). ``inside``: it just runs; the test stalls its second chunk's transaction
after the charge and ledger rows were written (tests.support.stalled_inserts) and kills it
there.

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
from didstore.services.renewals import run_renewals


def main() -> None:
    url, now, mode = sys.argv[1], datetime.fromisoformat(sys.argv[2]), sys.argv[3]
    db = database.open_database(url)

    def after_chunk(_report: Any) -> None:
        if mode == "between":
            os.kill(os.getpid(), signal.SIGKILL)

    async def work() -> None:
        await db.open()
        await run_renewals(db, FixedClock(now), chunk_size=4, after_chunk=after_chunk)

    asyncio.run(work())
    print("finished without being killed", flush=True)


if __name__ == "__main__":
    main()
