"""A renewal worker that is killed with SIGKILL (no cleanup, no rollback handler) either
between chunks or inside a chunk's transaction, after its ledger rows were written but
before it committed (killed right after the chunk's UPDATE of numbers, which follows the
charge and ledger rows; those go by COPY on PostgreSQL, which fires no cursor event).

Usage: python _worker_killed.py DATABASE_URL NOW_ISO between|inside"""

from __future__ import annotations

import os
import signal
import sys
from datetime import datetime
from typing import Any

from sqlalchemy import event

from didstore.clock import FixedClock
from didstore.db.engine import Database, make_engine
from didstore.services.renewals import run_renewals


def main() -> None:
    url, now, mode = sys.argv[1], datetime.fromisoformat(sys.argv[2]), sys.argv[3]
    db = Database(make_engine(url, pool_size=2))
    chunks = 0

    def after_chunk(_report: Any) -> None:
        nonlocal chunks
        chunks += 1
        if mode == "between":
            os.kill(os.getpid(), signal.SIGKILL)

    if mode == "inside":

        @event.listens_for(db.engine, "after_cursor_execute")
        def _die(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
            if chunks >= 1 and statement.lstrip().upper().startswith("UPDATE NUMBERS"):
                os.kill(os.getpid(), signal.SIGKILL)

    run_renewals(db, FixedClock(now), chunk_size=4, after_chunk=after_chunk)
    print("finished without being killed", flush=True)


if __name__ == "__main__":
    main()
