"""Partner page walk: every page of a partner's 100k numbers, latency per page depth.

    python bench/partner_walk.py --database-url postgresql://postgres@127.0.0.1/didstore_walk \
        --numbers 100000 --customers 5 --label partner-walk-pg

Loads (unless ``--reuse``) a partner with ``--customers`` customers, a sub-account under the
first one, and ``--numbers`` numbers held by them, set the way a purchase sets them
(``state='active'``, ``source='purchased'``, ``owner_account_id`` = the holder,
``billing_account_id`` = the payer, ``partner_id`` = the payer's partner, billing dates), plus
``--other`` numbers that must stay out of the view (available stock, another partner's
customer, pending releases whose cool-off ended). Bulk load is ``COPY`` (PostgreSQL only).

Then a real ``didstore serve`` (one worker, ``--no-jobs``) is walked page by page, in
sequence, by one client: ``/partner/numbers`` and ``/partner/accounts/{id}/numbers`` with
``per_page`` 100 and 20, and a ``search`` walk. For each walk: p50/p99/max per depth bucket
(tenths of the walk), and a check that the pages concatenated are the whole sorted list
with no duplicate and the same ``total`` on every page.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
from _common import auth_headers, percentile, server, write_result
from generate import generate_e164
from sqlalchemy import Engine, text

from didstore.bootstrap import Services, run
from didstore.clock import SystemClock
from didstore.config import Settings
from didstore.db.engine import make_engine
from didstore.db.migrate import upgrade
from didstore.domain.billing import add_months
from didstore.services.accounts import Credentials
from didstore.services.models import CLI

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
    "owner_account_id",
    "billing_account_id",
    "partner_id",
    "purchased_at",
    "last_billing_date",
    "next_billing_date",
    "release_requested_at",
    "cooldown_ends_at",
    "created_at",
    "updated_at",
)


async def create_accounts(services: Services, customers: int) -> dict[str, Any]:
    """Through the composition root's services (so the credentials work over HTTP)."""
    svc = services.accounts
    partner = await svc.create_partner(CLI, name="walk-partner", currency_code="USD")
    other_partner = await svc.create_partner(CLI, name="walk-other-partner", currency_code="USD")
    mains: list[Credentials] = [
        await svc.create_main_account(
            CLI, name=f"walk-customer-{i}", currency_code="USD", partner_id=partner.account.auth_id
        )
        for i in range(customers)
    ]
    sub = await svc.create_sub_account(CLI, mains[0].account, name="walk-sub")
    stranger = await svc.create_main_account(
        CLI, name="walk-stranger", currency_code="USD", partner_id=other_partner.account.auth_id
    )
    return {"partner": partner, "mains": mains, "sub": sub, "stranger": stranger}


def load_numbers(engine: Engine, accts: dict[str, Any], total: int, other: int, seed: int) -> None:
    """``total`` visible numbers spread unevenly over the customers (the first customer's
    sub-account holds a fifth of that customer's), and ``other`` invisible ones."""
    now = SystemClock().now().replace(tzinfo=None)
    partner_id = accts["partner"].account.id
    mains = [c.account.id for c in accts["mains"]]
    sub_id = accts["sub"].account.id
    stranger = accts["stranger"].account
    weights = [len(mains) - i for i in range(len(mains))]  # 5:4:3:2:1 for five customers
    rng = random.Random(seed)
    visible = set(rng.sample(range(total + other), total))
    with engine.begin() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        started = time.perf_counter()
        with (
            raw.cursor() as cur,  # type: ignore[attr-defined]
            cur.copy(f"COPY numbers ({', '.join(COLUMNS)}) FROM STDIN") as copy,
        ):
            for i, (e164, country, currency, setup, monthly, region) in enumerate(
                generate_e164(total + other, seed)
            ):
                state, source = "active", "purchased"
                owner: int | None
                payer: int | None
                partner: int | None = partner_id
                released: Any = None
                cooldown: Any = None
                if i in visible:
                    payer = rng.choices(mains, weights)[0]
                    owner = sub_id if payer == mains[0] and rng.random() < 0.2 else payer
                else:
                    kind = rng.random()
                    owner = payer = None
                    if kind < 0.6:
                        state, source, partner = "available", "inventory", None
                    elif kind < 0.8:  # another partner's customer
                        owner = payer = stranger.id
                        partner = stranger.partner_id
                    else:  # released by the customer, cool-off over: no longer theirs
                        payer = owner = mains[1 % len(mains)]
                        state = "pending_release"
                        released = now - timedelta(days=2)
                        cooldown = now - timedelta(days=1)
                bought = now - timedelta(days=rng.randrange(1, 300))
                owned = owner is not None
                copy.write_row(
                    (
                        str(UUID(int=rng.getrandbits(128), version=4)),
                        e164,
                        country,
                        region,
                        True,
                        country != "IN",
                        currency,
                        setup,
                        monthly,
                        "[]",
                        state,
                        source,
                        owner,
                        payer,
                        partner,
                        bought if owned else None,
                        bought if owned else None,
                        add_months(bought, 1) if owned else None,
                        released,
                        cooldown,
                        now,
                        now,
                    )
                )
        print(f"COPY {total + other} rows: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE numbers"))
        conn.execute(text("ANALYZE"))


def walk(client: httpx.Client, url: str, per_page: int, params: dict[str, str]) -> dict[str, Any]:
    """All pages in sequence; latency of each, and whether they add up to the whole list."""
    latencies: list[float] = []
    seen: list[str] = []
    totals: set[int] = set()
    errors = 0
    page = 1
    while True:
        started = time.perf_counter()
        resp = client.get(url, params={**params, "page": str(page), "per_page": str(per_page)})
        latencies.append((time.perf_counter() - started) * 1000)
        if resp.status_code != 200:
            errors += 1
            print(f"page {page}: {resp.status_code} {resp.text[:200]}", file=sys.stderr)
            break
        body = resp.json()
        totals.add(int(body["total"]))
        seen.extend(item["e164"] for item in body["items"])
        if len(body["items"]) < per_page:
            break
        page += 1
    buckets = []
    tenth = max(1, len(latencies) // 10)
    for start in range(0, len(latencies), tenth):
        chunk = latencies[start : start + tenth]
        buckets.append(
            {
                "pages": f"{start + 1}-{start + len(chunk)}",
                "p50": round(percentile(chunk, 50), 1),
                "p99": round(percentile(chunk, 99), 1),
                "max": round(max(chunk), 1),
            }
        )
    return {
        "pages": len(latencies),
        "items": len(seen),
        "totals": sorted(totals),
        "complete": seen == sorted(set(seen)) and totals == {len(seen)},
        "errors": errors,
        "p50": round(percentile(latencies, 50), 1),
        "p99": round(percentile(latencies, 99), 1),
        "max": round(max(latencies), 1),
        "by_depth": buckets,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default="postgresql://postgres@127.0.0.1/didstore_bench_walk"
    )
    parser.add_argument("--numbers", type=int, default=100_000)
    parser.add_argument("--other", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=5)
    parser.add_argument("--per-page", type=int, nargs="+", default=[100, 20])
    parser.add_argument("--search", nargs="*", default=["98", "4471"])
    parser.add_argument("--reuse", action="store_true", help="keep the data of an earlier run")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--credentials", default="/tmp/didstore-partner-walk.creds")
    parser.add_argument("--label", default="partner-walk-pg")
    args = parser.parse_args(argv)

    if not args.database_url.startswith("postgresql"):
        parser.error("the page walk benchmark loads with COPY: PostgreSQL only")
    engine = make_engine(args.database_url, pool_size=2)
    if not args.reuse:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade(engine)
        accts = run(
            Settings(database_url=args.database_url),
            lambda services: create_accounts(services, args.customers),
        )
        load_numbers(engine, accts, args.numbers, args.other, args.seed)
        creds = {
            "partner": (accts["partner"].account.auth_id, accts["partner"].auth_token),
            "customer": accts["mains"][0].account.auth_id,
        }
        with open(args.credentials, "w") as fh:
            fh.write(" ".join([*creds["partner"], creds["customer"]]))
    with open(args.credentials) as fh:
        auth_id, auth_token, customer_id = fh.read().split()
    engine.dispose()

    results: list[dict[str, Any]] = []
    load_start = os.getloadavg()
    with (
        server(args.database_url) as base,
        httpx.Client(
            base_url=base, headers=auth_headers({"auth_id": auth_id, "auth_token": auth_token})
        ) as client,
    ):
        cases: list[tuple[str, str, dict[str, str], int]] = []
        for per_page in args.per_page:
            cases.append(("all", "/api/v1/partner/numbers", {}, per_page))
            cases.append(
                ("customer", f"/api/v1/partner/accounts/{customer_id}/numbers", {}, per_page)
            )
        for pattern in args.search:
            cases.append(
                (f"all, search={pattern}", "/api/v1/partner/numbers", {"search": pattern}, 100)
            )
        client.get(cases[0][1], params={"per_page": "1"})  # warm-up (auth cache, pool)
        for name, url, params, per_page in cases:
            row = walk(client, url, per_page, params)
            row.update(case=name, per_page=per_page)
            print(
                f"{name} per_page={per_page}: {row['pages']} pages, {row['items']} items,"
                f" p50 {row['p50']} p99 {row['p99']} max {row['max']} ms,"
                f" complete={row['complete']} load={os.getloadavg()[0]:.1f}",
                file=sys.stderr,
            )
            results.append(row)
    write_result(args.label, {"loadavg_at_start": load_start, "walks": results})
    print("| walk | per_page | pages | total | p50 | p99 | max | complete |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        print(
            f"| {r['case']} | {r['per_page']} | {r['pages']} | {r['items']:,} | {r['p50']} |"
            f" {r['p99']} | {r['max']} | {'yes' if r['complete'] else 'NO'} |"
        )
    print("\np99 (ms) per tenth of the walk (first to last pages):\n")
    print("| walk | per_page | " + " | ".join(f"{i + 1}/10" for i in range(10)) + " |")
    print("|---|---:|" + "---:|" * 10)
    for r in results:
        cells = [str(b["p99"]) for b in r["by_depth"][:10]]
        print(f"| {r['case']} | {r['per_page']} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
