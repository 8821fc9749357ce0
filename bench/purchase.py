"""Purchase throughput over HTTP: many buyers charging one wallet, and one wallet each.

    python bench/purchase.py --credentials bench/.credentials-pg.json [--purchases 1000]

Buyers are created through the services (``AccountService``, ``WalletService``) in the
benchmark database; the numbers bought are available US numbers of the generated inventory
(so each run consumes ``2 x --purchases`` of them). Every purchase is a distinct number: the
figure is the cost of the purchase transaction (conditional claim, wallet debit, ledger and
audit rows), with buyers contending on one wallet row in the first scenario.
"""

from __future__ import annotations

import argparse
import queue
import sys
import threading
import time
from typing import Any

import httpx
from _common import (
    SERVER_PIDS,
    cpu_seconds,
    load_credentials,
    percentile,
    server,
    write_result,
)
from sqlalchemy import select

from didstore.clock import SystemClock
from didstore.db.engine import Database, make_engine
from didstore.db.tables import numbers
from didstore.services.accounts import AccountService
from didstore.services.models import CLI
from didstore.services.wallet import WalletService


def make_buyers(db: Database, scenario: str, count: int) -> list[dict[str, str]]:
    """``one-wallet``: sub-accounts of one funded main account; ``own-wallets``: main accounts."""
    clock = SystemClock()
    accounts, wallet = AccountService(db, clock), WalletService(db, clock)
    if scenario == "one-wallet":
        payer = accounts.create_main_account(CLI, name="bench-payer", currency_code="USD")
        wallet.credit(CLI, payer.account, amount=10_000_000, currency_code="USD")
        subs = [
            accounts.create_sub_account(CLI, payer.account, name=f"bench-buyer-{i}")
            for i in range(count)
        ]
        return [{"auth_id": s.account.auth_id, "auth_token": s.auth_token} for s in subs]
    buyers = []
    for i in range(count):
        creds = accounts.create_main_account(CLI, name=f"bench-buyer-{i}", currency_code="USD")
        wallet.credit(CLI, creds.account, amount=1_000_000, currency_code="USD")
        buyers.append({"auth_id": creds.account.auth_id, "auth_token": creds.auth_token})
    return buyers


def available_us(db: Database, count: int) -> list[str]:
    with db.read() as conn:
        return list(
            conn.execute(
                select(numbers.c.e164)
                .where(numbers.c.state == "available", numbers.c.country == "US")
                .order_by(numbers.c.e164.desc())
                .limit(count)
            ).scalars()
        )


def run(base: str, buyers: list[dict[str, str]], todo: list[str]) -> dict[str, Any]:
    work: queue.Queue[str] = queue.Queue()
    for e164 in todo:
        work.put(e164)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def buyer(creds: dict[str, str]) -> None:
        url = f"{base}/api/v1/Account/{creds['auth_id']}/numbers/purchase-from-inventory"
        headers = {"X-Auth-ID": creds["auth_id"], "X-Auth-Token": creds["auth_token"]}
        with httpx.Client(headers=headers, timeout=60) as client:
            while True:
                try:
                    e164 = work.get_nowait()
                except queue.Empty:
                    return
                started = time.perf_counter()
                status = client.post(url, json={"e164": e164}).status_code
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    statuses[status] = statuses.get(status, 0) + 1

    pid = SERVER_PIDS[base]
    cpu_before, started = cpu_seconds(pid), time.monotonic()
    threads = [threading.Thread(target=buyer, args=(b,)) for b in buyers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    cpu = cpu_seconds(pid) - cpu_before
    ok = statuses.get(200, 0)
    return {
        "purchases": len(todo),
        "succeeded": ok,
        "statuses": statuses,
        "per_second": round(ok / wall),
        "per_server_cpu_second": round(ok / cpu) if cpu else None,
        "p50_ms": round(percentile(latencies, 50), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="Purchase throughput benchmark")
    parser.add_argument("--credentials", required=True)
    parser.add_argument("--database-url")
    parser.add_argument("--purchases", type=int, default=1000)
    parser.add_argument("--buyers", type=int, default=16)
    parser.add_argument("--label", default="purchase")
    args = parser.parse_args()
    creds = load_credentials(args.credentials)
    url = args.database_url or creds["database_url"]
    db = Database(make_engine(url, pool_size=2))
    results = []
    with server(url) as base:
        for scenario in ("one-wallet", "own-wallets"):
            buyers = make_buyers(db, scenario, args.buyers)
            todo = available_us(db, args.purchases)
            row = {"scenario": scenario, "buyers": args.buyers, **run(base, buyers, todo)}
            print(row, file=sys.stderr)
            results.append(row)
    problems = WalletService(db, SystemClock()).verify()
    db.dispose()
    write_result(args.label, results)
    print(
        "| scenario | buyers | purchases | ok | purchases/s | per server CPU-s | p50 ms | p99 ms |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['scenario']} | {r['buyers']} | {r['purchases']} | {r['succeeded']} |"
            f" {r['per_second']} | {r['per_server_cpu_second']} | {r['p50_ms']} |"
            f" {r['p99_ms']} |"
        )
    print(f"\nledger check: {problems if problems else 'OK'}")
    return 0 if not problems and all(r["succeeded"] == r["purchases"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
