"""Renewal benchmark: N owned numbers all due, one renewal run, throughput reported.

    python bench/renewals.py                       # 1M numbers on a fresh PostgreSQL database
    python bench/renewals.py --numbers 200000 --sqlite /tmp/bench.sqlite3

PostgreSQL: a database ``didstore_bench_<random>`` is created on --postgres-url and dropped
afterwards (unless --keep). Numbers are spread over --accounts funded wallets and over
anchor days 1-31 (so month-end clamping is exercised). After the run the ledger is
verified and a second run must charge nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, func, insert, select, text

from didstore.clock import FixedClock
from didstore.db.database import Database, open_database
from didstore.db.engine import is_sqlite, make_engine, normalize_url
from didstore.db.migrate import upgrade
from didstore.db.tables import accounts, ledger_entries, numbers, renewal_charges
from didstore.domain.billing import add_months
from didstore.services.accounts import AccountService
from didstore.services.models import CLI
from didstore.services.renewals import run_renewals
from didstore.services.wallet import WalletService

FEE = 300  # minor units per month
NOW = datetime(2026, 2, 28, 23, tzinfo=UTC)


# the renewal queue follows every billing date (services/schedule.py)
_SCHEDULE_ALL = (
    "INSERT INTO billing_schedule (number_id, due_at) "
    "SELECT id, next_billing_date FROM numbers WHERE next_billing_date IS NOT NULL"
)


_COUNT_ALL = (
    "INSERT INTO number_counts (account_id, owned, paid)"
    " SELECT billing_account_id, count(*), count(*) FROM numbers"
    " WHERE state = 'active' GROUP BY billing_account_id"
    " ON CONFLICT (account_id) DO UPDATE SET owned = number_counts.owned + EXCLUDED.owned,"
    " paid = number_counts.paid + EXCLUDED.paid"
)


def _anchor(day: int) -> datetime:
    return datetime(2026, 1, day, 10, tzinfo=UTC)


async def _seed_accounts(db: Database, count: int, per_account: int) -> list[int]:
    svc = AccountService(db, FixedClock(_anchor(1)))
    wallet = WalletService(db, FixedClock(_anchor(1)))
    ids = []
    for i in range(count):
        creds = await svc.create_main_account(CLI, name=f"bench {i}", currency_code="INR")
        await wallet.credit(
            CLI, creds.account, amount=per_account * FEE * 2 // 100, currency_code="INR"
        )
        ids.append(creds.account.id)
    return ids


def _seed_numbers_pg(engine: Engine, n: int, account_ids: list[int]) -> None:
    first, count = min(account_ids), len(account_ids)
    assert account_ids == list(range(first, first + count))
    per_day = n // 31 + 1
    with engine.begin() as conn:
        # The owned-number counters (migration 0008) are a deferred row trigger: 1M trigger
        # calls at COMMIT took over 20 min here. Off during the bulk load, then counted once.
        conn.execute(text("ALTER TABLE numbers DISABLE TRIGGER numbers_counts_insert"))
        for day in range(1, 32):
            lo = (day - 1) * per_day
            hi = min(n, day * per_day)
            if lo >= hi:
                break
            conn.execute(
                text(
                    """
                    INSERT INTO numbers (id, e164, country, setup_fee_minor, monthly_fee_minor,
                        currency, tags, state, owner_account_id, billing_account_id, source,
                        purchased_at, last_billing_date, next_billing_date, created_at,
                        updated_at)
                    SELECT md5(i::text)::uuid::text, '+1' || (2000000000 + i)::text, 'US',
                        0, :fee, 'INR', '[]'::json, 'active', :first + (i % :count),
                        :first + (i % :count), 'purchased', :anchor, :anchor, :next,
                        :anchor, :anchor
                    FROM generate_series(:lo, :hi - 1) AS i
                    """
                ),
                {
                    "fee": FEE,
                    "first": first,
                    "count": count,
                    "anchor": _anchor(day).replace(tzinfo=None),
                    "next": add_months(_anchor(day), 1).replace(tzinfo=None),
                    "lo": lo,
                    "hi": hi,
                },
            )
        conn.execute(text(_SCHEDULE_ALL))
        conn.execute(text("ALTER TABLE numbers ENABLE TRIGGER numbers_counts_insert"))
        conn.execute(text(_COUNT_ALL))
        conn.execute(text("ANALYZE numbers"))
        conn.execute(text("ANALYZE billing_schedule"))


def _seed_numbers_generic(engine: Engine, n: int, account_ids: list[int]) -> None:
    batch = []
    for i in range(n):
        anchor = _anchor(i % 31 + 1)
        owner = account_ids[i % len(account_ids)]
        batch.append(
            {
                "id": str(uuid.UUID(int=i + 1)),
                "e164": f"+1{2000000000 + i}",
                "country": "US",
                "setup_fee_minor": 0,
                "monthly_fee_minor": FEE,
                "currency": "INR",
                "tags": [],
                "state": "active",
                "owner_account_id": owner,
                "billing_account_id": owner,
                "source": "purchased",
                "purchased_at": anchor,
                "last_billing_date": anchor,
                "next_billing_date": add_months(anchor, 1),
                "created_at": anchor,
                "updated_at": anchor,
            }
        )
        if len(batch) == 50_000:
            with engine.begin() as conn:
                conn.execute(insert(numbers), batch)
            batch = []
    if batch:
        with engine.begin() as conn:
            conn.execute(insert(numbers), batch)
    with engine.begin() as conn:
        conn.execute(text(_SCHEDULE_ALL))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--numbers", type=int, default=1_000_000)
    ap.add_argument("--accounts", type=int, default=1_000)
    ap.add_argument("--chunk", type=int, default=10_000)
    ap.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--sqlite", type=Path, help="benchmark SQLite at this (new) file instead")
    ap.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    args = ap.parse_args()

    admin_url = normalize_url(args.postgres_url)
    name = f"didstore_bench_{uuid.uuid4().hex[:8]}"
    if args.sqlite:
        for suffix in ("", "-wal", "-shm"):  # a stale WAL beside a new file: disk I/O error
            Path(f"{args.sqlite}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{args.sqlite}"
    else:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        result = asyncio.run(_measure(url, args))
        print(json.dumps(result, indent=2))
        ok = (
            result["charged"] == args.numbers
            and result["rerun_charged"] == 0
            and result["renewal_charges_rows"] == result["did_rental_ledger_rows"] == args.numbers
            and not result["ledger_verify_problems"]
        )
        if not ok:
            raise SystemExit("benchmark checks FAILED")
    finally:
        if not args.sqlite and not args.keep:
            admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


async def _measure(url: str, args: Any) -> dict[str, Any]:
    engine = make_engine(url, pool_size=2)
    upgrade(engine)
    db = open_database(url)
    await db.open()
    try:
        t = time.perf_counter()
        per_account = args.numbers // args.accounts + 1
        ids = await _seed_accounts(db, args.accounts, per_account)
        if is_sqlite(engine):
            _seed_numbers_generic(engine, args.numbers, ids)
        else:
            _seed_numbers_pg(engine, args.numbers, ids)
        seed_s = time.perf_counter() - t

        t = time.perf_counter()
        report = await run_renewals(db, FixedClock(NOW), chunk_size=args.chunk)
        run_s = time.perf_counter() - t

        t = time.perf_counter()
        rerun = await run_renewals(db, FixedClock(NOW), chunk_size=args.chunk)
        rerun_s = time.perf_counter() - t
        problems = await WalletService(db, FixedClock(NOW)).verify()
        with engine.connect() as conn:
            charges = conn.execute(select(func.count()).select_from(renewal_charges)).scalar_one()
            rentals = conn.execute(
                select(func.count())
                .select_from(ledger_entries)
                .where(ledger_entries.c.reference_type == "did_rental")
            ).scalar_one()
            n_accounts = conn.execute(select(func.count()).select_from(accounts)).scalar_one()
    finally:
        await db.close()
        engine.dispose()
    return {
        "database": "sqlite" if args.sqlite else "postgresql",
        "numbers": args.numbers,
        "accounts": n_accounts,
        "chunk": args.chunk,
        "seed_seconds": round(seed_s, 1),
        "charged": report.charged,
        "suspended": report.suspended,
        "failed": report.failed,
        "run_seconds": round(run_s, 2),
        "renewals_per_second": round(report.charged / run_s) if run_s else None,
        "rerun_charged": rerun.charged,
        "rerun_seconds": round(rerun_s, 2),
        "renewal_charges_rows": charges,
        "did_rental_ledger_rows": rentals,
        "ledger_verify_problems": len(problems),
    }


if __name__ == "__main__":
    main()
