"""Inventory search latency over HTTP against a real ``didstore serve`` process.

    python bench/search.py --credentials bench/.credentials-pg.json [--iterations 40]

Each case draws its parameters at random (seeded) per request, so a rare pattern is a
different rare pattern each time and caches do not flatter the figures. One client, one
connection, requests in sequence: the latency of one request, not throughput.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
from _common import (
    SERVER_PIDS,
    auth_headers,
    cpu_seconds,
    load_credentials,
    percentile,
    server,
    write_result,
)

Params = dict[str, Any]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


# name -> parameter generator
CASES: dict[str, Callable[[random.Random], Params]] = {
    "no filter, page 1": lambda r: {},
    "country=IN, page 1": lambda r: {"country": "IN"},
    "rare: 6 digits": lambda r: {"search": _digits(r, 6)},
    "rare: 6 digits, country=IN": lambda r: {"search": _digits(r, 6), "country": "IN"},
    "rare: 8 digits, country=US": lambda r: {"search": _digits(r, 8), "country": "US"},
    "medium: 4 digits": lambda r: {"search": _digits(r, 4)},
    "common: 1 digit": lambda r: {"search": _digits(r, 1)},
    "common: 2 digits, country=IN": lambda r: {"search": _digits(r, 2), "country": "IN"},
    "common: 3 digits": lambda r: {"search": _digits(r, 3)},
    "common: 3 digits, country=GB": lambda r: {"search": _digits(r, 3), "country": "GB"},
    "zero: 10 digits, country=DE": lambda r: {"search": "0" + _digits(r, 9), "country": "DE"},
    "zero: country=FR (none stocked)": lambda r: {"country": "FR"},
    "zero: country=GB, exclude=44": lambda r: {"country": "GB", "exclude": "44"},
    "exclude=91,44, 2 digits": lambda r: {"search": _digits(r, 2), "exclude": "91,44"},
    "exclude=1 (repeated) + 49, country=US": lambda r: {
        "country": "US",
        "exclude": ["1212", "49"],
    },
    "deep: page 100..1000, per_page 100": lambda r: {
        "page": r.randrange(100, 1001),
        "per_page": 100,
    },
    "deep: page 5000..9000, per_page 100": lambda r: {
        "page": r.randrange(5000, 9001),
        "per_page": 100,
    },
    "deep: country=IN, page 1000..3900, per_page 100": lambda r: {
        "country": "IN",
        "page": r.randrange(1000, 3901),
        "per_page": 100,
    },
    "deep: 1 digit, page 1000..4000, per_page 100": lambda r: {
        "search": _digits(r, 1),
        "page": r.randrange(1000, 4001),
        "per_page": 100,
    },
}


def run(base: str, creds: dict[str, Any], iterations: int, seed: int) -> list[dict[str, Any]]:
    url = f"{base}/api/v1/Account/{creds['auth_id']}/inventory/numbers"
    pid = SERVER_PIDS.get(base)  # server CPU per request: latency without the machine's queue
    results = []
    with httpx.Client(headers=auth_headers(creds), timeout=60) as client:
        client.get(url)  # warm the connection and the process
        for name, make in CASES.items():
            rng = random.Random(f"{seed}:{name}")
            samples: list[float] = []
            totals: list[int] = []
            cpu_before = cpu_seconds(pid) if pid else 0.0
            for _ in range(iterations):
                params = make(rng)
                started = time.perf_counter()
                response = client.get(url, params=params)
                samples.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise SystemExit(f"{name}: {response.status_code} {response.text}")
                totals.append(int(response.json()["total"]))
            row = {
                "case": name,
                "n": iterations,
                "p50_ms": round(percentile(samples, 50), 1),
                "p99_ms": round(percentile(samples, 99), 1),
                "max_ms": round(max(samples), 1),
                "median_total": sorted(totals)[len(totals) // 2],
                "server_cpu_ms": (
                    round((cpu_seconds(pid) - cpu_before) * 1000 / iterations, 1) if pid else None
                ),
                "loadavg_1m": round(os.getloadavg()[0], 1),
            }
            results.append(row)
            print(
                f"{name:48} p50 {row['p50_ms']:7.1f}  p99 {row['p99_ms']:7.1f}"
                f"  max {row['max_ms']:7.1f} ms  cpu {row['server_cpu_ms']} ms"
                f"  total~{row['median_total']}",
                file=sys.stderr,
            )
    return results


def markdown(results: list[dict[str, Any]]) -> str:
    lines = [
        "| case | p50 ms | p99 ms | max ms | server CPU ms/req | load 1m | typical total |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['case']} | {r['p50_ms']} | {r['p99_ms']} | {r['max_ms']}"
            f" | {r['server_cpu_ms']} | {r['loadavg_1m']} | {r['median_total']} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description="Inventory search latency benchmark")
    parser.add_argument("--credentials", required=True, help="JSON written by generate.py")
    parser.add_argument("--database-url", help="defaults to the one in the credentials file")
    parser.add_argument("--base-url", help="use a running server instead of starting one")
    parser.add_argument("--iterations", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--label", default="search")
    args = parser.parse_args()
    creds = load_credentials(args.credentials)
    if args.base_url:
        results = run(args.base_url, creds, args.iterations, args.seed)
    else:
        with server(args.database_url or creds["database_url"]) as base:
            results = run(base, creds, args.iterations, args.seed)
    path = write_result(args.label, results)
    print(markdown(results))
    worst = max(r["p99_ms"] for r in results)
    print(f"\nworst p99 {worst} ms; worst max {max(r['max_ms'] for r in results)} ms; {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
