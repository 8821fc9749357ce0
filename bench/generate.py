"""Load a benchmark dataset into a migrated didstore database.

    python bench/generate.py --database-url postgresql://postgres@127.0.0.1/didstore_bench \
        --numbers 1000000 --owned 1000 --account bench-main --credentials bench/.credentials.json

* ``--numbers`` available inventory numbers across IN, US, GB and DE in realistic E.164
  shapes (IN mobile, US with real area codes, GB mobile, DE mobile). The IN, US and DE shapes
  are wholly valid per ``phonenumbers``; GB mobile ranges have holes, so every GB number is
  checked. A random sample of all countries is re-validated at each run (``--validate``).
* Bulk load: PostgreSQL ``COPY`` (secondary indexes are dropped and rebuilt around the load
  when the table starts empty); SQLite chunked ``executemany`` in one transaction.
* A main account created through ``AccountService`` (so its credentials work over HTTP) that
  owns ``--owned`` numbers (assigned directly, like an operator assignment: no ledger rows),
  for the list-owned benchmark. Its credentials are written to ``--credentials`` (JSON).
* ``VACUUM ANALYZE`` at the end (PostgreSQL; ``ANALYZE`` on SQLite): the statistics trap of
  the performance notes, and the visibility map that index-only scans need.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import phonenumbers
from sqlalchemy import Engine, insert, select, text, update

from didstore.bootstrap import run
from didstore.clock import SystemClock
from didstore.config import Settings
from didstore.db.engine import is_sqlite, make_engine
from didstore.db.migrate import upgrade
from didstore.db.tables import billing_schedule, numbers
from didstore.domain.renewal import aligned_next_billing
from didstore.services.models import CLI


# (country, share, currency, setup fee minor, monthly fee minor, region, shapes)
# A shape is (prefix, number of random digits that follow).
def _shapes() -> list[tuple[str, float, str, int, int, str, list[tuple[str, int]]]]:
    us_area = (201, 202, 212, 213, 305, 312, 404, 415, 512, 617, 646, 702, 713, 718, 805, 917)
    us = [(f"+1{a}{x}", 6) for a in us_area for x in range(2, 10)]
    de = [(f"+49{p}", 8) for p in (151, 152, 157, 160, 162, 163, 170, 171, 172, 175, 176, 179)]
    return [
        ("IN", 0.40, "INR", 50000, 20000, "India", [(f"+91{d}", 9) for d in "6789"]),
        ("US", 0.30, "USD", 100, 115, "United States", us),
        ("GB", 0.15, "GBP", 100, 150, "United Kingdom", [("+4477", 8), ("+4478", 8)]),
        ("DE", 0.15, "EUR", 100, 200, "Germany", de),
    ]


def _valid(e164: str, country: str) -> bool:
    """Valid and in ``country`` (some +44 7 ranges belong to Jersey, Guernsey, Isle of Man)."""
    parsed = phonenumbers.parse(e164, None)
    return bool(
        phonenumbers.is_valid_number(parsed)
        and phonenumbers.region_code_for_number(parsed) == country
    )


def generate_e164(total: int, seed: int) -> Iterator[tuple[str, str, str, int, int, str]]:
    """``total`` distinct numbers: (e164, country, currency, setup, monthly, region)."""
    rng = random.Random(seed)
    seen: set[str] = set()
    for country, share, cur, setup, monthly, region, shapes in _shapes():
        want = round(total * share) if country != "DE" else total - len(seen)
        made = 0
        while made < want:
            prefix, width = shapes[rng.randrange(len(shapes))]
            e164 = f"{prefix}{rng.randrange(10**width):0{width}d}"
            if e164 in seen:
                continue
            if country == "GB" and not _valid(
                e164, country
            ):  # GB mobile ranges have unassigned holes
                continue
            seen.add(e164)
            made += 1
            yield e164, country, cur, setup, monthly, region


def validate_sample(seed: int, size: int) -> int:
    """Re-check ``size`` random generated numbers with ``phonenumbers``; returns how many fail."""
    bad = 0
    for e164, country, *_ in generate_e164(size, seed + 1):
        if not _valid(e164, country):
            bad += 1
            print(f"invalid generated number {e164} ({country})", file=sys.stderr)
    return bad


def _rows(total: int, seed: int, now: datetime) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(seed ^ 0x5EED)
    for e164, country, cur, setup, monthly, region in generate_e164(total, seed):
        yield (
            str(UUID(int=rng.getrandbits(128), version=4)),
            e164,
            country,
            region,
            True,
            country != "IN",
            cur,
            setup,
            monthly,
            "[]",
            "available",
            "inventory",
            now,
            now,
        )


COLUMNS = (
    "id",
    "e164",
    "country",
    "region",
    "voice",
    "sms",
    "currency",
    "setup_fee_minor",
    "monthly_fee_minor",
    "tags",
    "state",
    "source",
    "created_at",
    "updated_at",
)


def load_postgresql(engine: Engine, total: int, seed: int, now: datetime) -> None:
    naive = now.replace(tzinfo=None)
    with engine.begin() as conn:
        empty = conn.execute(text("SELECT NOT EXISTS (SELECT 1 FROM numbers)")).scalar_one()
        saved: list[tuple[str, str]] = []
        if empty:  # drop secondary indexes; rebuilding them once is much faster than upkeep
            saved = [
                (r[0], r[1])
                for r in conn.execute(
                    text(
                        "SELECT i.indexname, i.indexdef FROM pg_indexes i"
                        " JOIN pg_class c ON c.relname = i.indexname"
                        " JOIN pg_index x ON x.indexrelid = c.oid"
                        " WHERE i.tablename = 'numbers' AND NOT x.indisprimary"
                        " AND NOT x.indisunique"
                    )
                )
            ]
            for name, _ in saved:
                conn.execute(text(f'DROP INDEX "{name}"'))
        raw = conn.connection.dbapi_connection
        assert raw is not None
        started = time.perf_counter()
        with (
            raw.cursor() as cur,  # type: ignore[attr-defined]
            cur.copy(f"COPY numbers ({', '.join(COLUMNS)}) FROM STDIN") as copy,
        ):
            for row in _rows(total, seed, now):
                copy.write_row((*row[:12], naive, naive))
        print(f"COPY {total} rows: {time.perf_counter() - started:.1f} s", file=sys.stderr)
        started = time.perf_counter()
        conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        for _name, definition in saved:
            conn.execute(text(definition))
        if saved:
            print(
                f"rebuilt {len(saved)} indexes: {time.perf_counter() - started:.1f} s",
                file=sys.stderr,
            )


def load_sqlite(engine: Engine, total: int, seed: int, now: datetime) -> None:
    started = time.perf_counter()
    with engine.begin() as conn:
        chunk: list[dict[str, Any]] = []
        for row in _rows(total, seed, now):
            values = dict(zip(COLUMNS, row, strict=True))
            values["tags"] = []
            chunk.append(values)
            if len(chunk) >= 20000:
                conn.execute(insert(numbers), chunk)
                chunk.clear()
        if chunk:
            conn.execute(insert(numbers), chunk)
    print(f"INSERT {total} rows: {time.perf_counter() - started:.1f} s", file=sys.stderr)


def assign_owned(engine: Engine, account_id: int, count: int, now: datetime) -> int:
    """Give ``count`` available US numbers to the account (active, billed to it; the
    database's triggers count them in ``number_counts``). Their billing dates follow the
    renewal rule (``aligned_next_billing``): on the anchor, never "now + 30 days"."""
    next_billing = aligned_next_billing(now, now)
    with engine.begin() as conn:
        ids = list(
            conn.execute(
                select(numbers.c.id)
                .where(numbers.c.state == "available", numbers.c.country == "US")
                .order_by(numbers.c.e164)
                .limit(count)
            ).scalars()
        )
        for start in range(0, len(ids), 5000):
            conn.execute(
                update(numbers)
                .where(numbers.c.id.in_(ids[start : start + 5000]))
                .values(
                    state="active",
                    owner_account_id=account_id,
                    billing_account_id=account_id,
                    source="purchased",
                    purchased_at=now,
                    last_billing_date=now,
                    next_billing_date=next_billing,
                    updated_at=now,
                )
            )
        if ids:  # the renewal queue follows every billing date (services/schedule.py)
            conn.execute(
                insert(billing_schedule),
                [{"number_id": i, "due_at": next_billing} for i in ids],
            )
    return len(ids)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--numbers", type=int, default=1_000_000)
    parser.add_argument("--owned", type=int, default=1000)
    parser.add_argument("--account", default="bench-main", help="name of the main account")
    parser.add_argument("--currency", default="USD")
    parser.add_argument("--credentials", default="bench/.credentials.json")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--validate", type=int, default=5000, help="sample size to re-validate")
    args = parser.parse_args(argv)

    bad = validate_sample(args.seed, args.validate)
    if bad:
        print(f"{bad} of {args.validate} sampled numbers are not valid E.164", file=sys.stderr)
        return 1
    engine = make_engine(args.database_url, pool_size=2)
    upgrade(engine)
    clock = SystemClock()
    now = clock.now()
    started = time.perf_counter()
    if is_sqlite(engine):
        load_sqlite(engine, args.numbers, args.seed, now)
    else:
        load_postgresql(engine, args.numbers, args.seed, now)
    creds = run(
        Settings(database_url=args.database_url),
        lambda services: services.accounts.create_main_account(
            CLI, name=args.account, currency_code=args.currency
        ),
    )
    owned = assign_owned(engine, creds.account.id, args.owned, now)
    # VACUUM sets the visibility map, so COUNTs and deep OFFSETs are index-only scans (3x
    # faster than with a fresh table); autovacuum does the same later, but not at once.
    if is_sqlite(engine):
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    elapsed = time.perf_counter() - started
    Path(args.credentials).parent.mkdir(parents=True, exist_ok=True)
    Path(args.credentials).write_text(
        json.dumps(
            {
                "database_url": args.database_url,
                "auth_id": creds.account.auth_id,
                "auth_token": creds.auth_token,
                "owned": owned,
                "numbers": args.numbers,
            },
            indent=2,
        )
    )
    print(
        f"loaded {args.numbers} numbers, {creds.account.auth_id} owns {owned};"
        f" {elapsed:.1f} s total; credentials in {args.credentials}",
        file=sys.stderr,
    )
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
