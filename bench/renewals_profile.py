"""``bench/renewals.py`` with a per-statement profile of the first renewal run.

    python bench/renewals_profile.py --numbers 50000 --accounts 50 [--sqlite /tmp/r.sqlite3]

Same arguments and checks as ``bench/renewals.py``. Every statement of the first run (not the
re-run) is timed around the driver call (``COPY`` on PostgreSQL included), grouped by its SQL,
and the most expensive are printed to stderr with the run's total: what bounds the run.
"""

from __future__ import annotations

import collections
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import renewals as bench

from didstore.db import database

STATS: collections.defaultdict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0])


def _timed(
    run: Callable[..., Awaitable[Any]], label: Callable[[tuple[Any, ...]], str]
) -> Callable[..., Awaitable[Any]]:
    async def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await run(self, *args, **kwargs)
        finally:
            entry = STATS[label(args)]
            entry[0] += 1
            entry[1] += time.perf_counter() - started

    return wrapper


def _sql(position: int) -> Callable[[tuple[Any, ...]], str]:
    return lambda args: " ".join(str(args[position]).split())[:100]


for cls in (database.SqliteConnection, database.PgConnection):
    setattr(cls, "_run", _timed(cls._run, _sql(1)))  # noqa: B010 (patching a method)
    setattr(cls, "_run_many", _timed(cls._run_many, _sql(0)))  # noqa: B010
setattr(  # noqa: B010
    database.PgConnection,
    "insert_rows",
    _timed(database.PgConnection.insert_rows, lambda args: f"COPY {args[0].name}"),
)

_real = getattr(bench, "run_renewals")  # noqa: B009
_profiled = False


async def _profiled_run(*args: Any, **kwargs: Any) -> Any:
    global _profiled
    if _profiled:
        return await _real(*args, **kwargs)
    _profiled = True
    STATS.clear()
    started = time.perf_counter()
    report = await _real(*args, **kwargs)
    total = time.perf_counter() - started
    for sql, (count, seconds) in sorted(STATS.items(), key=lambda kv: -kv[1][1])[:12]:
        print(f"{seconds:8.2f} s {int(count):6d} x  {sql}", file=sys.stderr)
    print(f"first run: {total:.2f} s, {report.chunks} chunks", file=sys.stderr)
    return report


setattr(bench, "run_renewals", _profiled_run)  # noqa: B010

if __name__ == "__main__":
    bench.main()
