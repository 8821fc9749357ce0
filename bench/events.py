"""What the outbox costs a renewal run, and how fast the feed and the sequencer are.

    python bench/events.py --numbers 50000     # PostgreSQL on 127.0.0.1 (a fresh database)

Seeds N due numbers on one funded account, runs the renewals once with events recorded
(the product) and once, on a second identical database, with ``events.record_numbers``
replaced by a no-op (the difference is what the outbox costs), then times the PostgreSQL
sequencer numbering the N events and the feed reading them 1000 at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import create_engine, text

from didstore.bootstrap import build
from didstore.clock import FixedClock
from didstore.config import Settings
from didstore.db.engine import make_engine
from didstore.db.migrate import upgrade
from didstore.services import events
from didstore.services.models import CLI
from didstore.services.renewals import run_renewals

ANCHOR = datetime(2026, 1, 10, 10, tzinfo=UTC)
DUE = datetime(2026, 2, 10, 11, tzinfo=UTC)
_SEED = """
INSERT INTO numbers (id, e164, country, setup_fee_minor, monthly_fee_minor, currency, tags,
    state, owner_account_id, billing_account_id, source, purchased_at, last_billing_date,
    next_billing_date, created_at, updated_at)
SELECT md5(i::text)::uuid::text, '+1' || (2000000000 + i)::text, 'US', 0, 300, 'INR',
    '[]'::json, 'active', :acct, :acct, 'purchased', :anchor, :anchor, :next, :anchor, :anchor
FROM generate_series(1, :n) AS i
"""


def _database(admin_url: str) -> str:
    name = f"didstore_bench_events_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    engine = make_engine(url, pool_size=1)
    upgrade(engine)
    engine.dispose()
    return url


def _drop(admin_url: str, url: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


async def _run(url: str, n: int, with_events: bool) -> dict[str, Any]:
    services = build(Settings(database_url=url, run_jobs=False), FixedClock(ANCHOR))
    await services.open()
    try:
        creds = await services.accounts.create_main_account(CLI, name="bench", currency_code="INR")
        await services.wallet.credit(CLI, creds.account, amount=n * 10, currency_code="INR")
        engine = make_engine(url, pool_size=1)
        with engine.begin() as conn:
            conn.execute(
                text(_SEED),
                {
                    "acct": creds.account.id,
                    "n": n,
                    "anchor": ANCHOR.replace(tzinfo=None),
                    "next": ANCHOR.replace(month=2, tzinfo=None),
                },
            )
            conn.execute(
                text(
                    "INSERT INTO billing_schedule (number_id, due_at) "
                    "SELECT id, next_billing_date FROM numbers"
                )
            )
            conn.execute(text("ANALYZE"))
        engine.dispose()
        original = events.record_numbers
        if not with_events:

            async def nothing(*args: Any, **kwargs: Any) -> int:
                return 0

            events.record_numbers = nothing
        try:
            started = time.perf_counter()
            report = await run_renewals(services.db, FixedClock(DUE))
            renew = time.perf_counter() - started
        finally:
            events.record_numbers = original
        out: dict[str, Any] = {"charged": report.charged, "renewals_s": round(renew, 2)}
        if with_events:
            started = time.perf_counter()
            out["sequenced"] = await services.events.sequence()
            out["sequence_s"] = round(time.perf_counter() - started, 2)
            started, after, read = time.perf_counter(), 0, 0
            while True:
                page = await services.events.list(creds.account, after=after, limit=1000)
                if not page.events:
                    break
                read += len(page.events)
                after = page.next_after
            out["feed_read"] = read
            out["feed_s"] = round(time.perf_counter() - started, 2)
        return out
    finally:
        await services.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--numbers", type=int, default=50_000)
    ap.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = ap.parse_args()
    results = {}
    for label, with_events in (("without_events", False), ("with_events", True)):
        url = _database(args.postgres_url)
        try:
            results[label] = asyncio.run(_run(url, args.numbers, with_events))
        finally:
            _drop(args.postgres_url, url)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
