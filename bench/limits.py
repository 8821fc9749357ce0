"""The limits under load (issue 14 item 2, ADR 0015), against a real ``didstore serve``.

    python bench/limits.py --database-url sqlite:////tmp/limits.sqlite3
    python bench/limits.py --database-url postgresql://postgres@127.0.0.1/didstore_bench

1. **The limit holds**: ``--requests`` requests (default 1,000) spread evenly over
   ``--seconds`` (default 5) from one credential, against a server started with
   ``--rate-limit`` (default 100): about that many answer 200, the rest 429.
2. **What the middleware costs by itself**: in this process, around an application that
   answers at once, ``--calls`` requests with every limit off, then on (one credential):
   microseconds per request (wall and CPU; on PostgreSQL with one UPSERT per request, and
   with the default ``--rate-limit-sync 0.1``).
3. **What the limiter costs in the server**: two requests (``GET /healthz``, never
   limited, and ``GET /api/v1/Account/{id}/numbers/{e164}``, limited) loaded with ``wrk`` for
   ``--duration`` seconds against a server with every rate limit off, then with them on (a
   limit too high to reach, so every request is counted and none refused). Reported as
   server CPU microseconds per request (``/proc/<pid>/stat``; server pinned to CPU 0, wrk to
   CPU 1), which a busy shared machine distorts far less than requests per second.

The database must exist and may be empty (migrations run at start); the script creates its
own account and number through the operator API.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from _common import ADMIN_TOKEN, SERVER_PIDS, cpu_seconds, server, write_result

OFF = {
    "DIDSTORE_RATE_LIMIT": "0",
    "DIDSTORE_IP_RATE_LIMIT": "0",
    "DIDSTORE_AUTH_FAIL_LIMIT": "0",
    "DIDSTORE_IP_AUTH_FAIL_LIMIT": "0",
}
UNREACHABLE = {
    "DIDSTORE_RATE_LIMIT": "1000000000",
    "DIDSTORE_IP_RATE_LIMIT": "1000000000",
    "DIDSTORE_AUTH_FAIL_LIMIT": "20",
    "DIDSTORE_IP_AUTH_FAIL_LIMIT": "100",
}
CONNECTIONS = 16
RUN = int(time.time()) % 9000
LUA = """
wrk.method = "GET"
wrk.headers["X-Auth-ID"] = "{auth_id}"
wrk.headers["X-Auth-Token"] = "{auth_token}"
"""


def with_limits(limits: dict[str, str]) -> None:
    os.environ.update(limits)  # the server process started next inherits them


def owned_number(base: str, serial: int) -> tuple[dict[str, str], str]:
    """A fresh account owning one fresh number: (its X-Auth headers, the number)."""
    e164 = f"+9180{40000000 + RUN * 1000 + serial:08d}"  # fresh in a reused database too
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with httpx.Client(base_url=base, headers=admin, timeout=30) as http:
        account = http.post("/api/v1/admin/accounts", json={"name": "bench", "currency": "INR"})
        account.raise_for_status()
        auth_id, token = account.json()["auth_id"], account.json()["auth_token"]
        credit = http.post(
            f"/api/v1/admin/accounts/{auth_id}/credit", json={"amount": 1000, "currency": "INR"}
        )
        credit.raise_for_status()
        row = {"e164": e164, "region": "Karnataka", "setup_fee": 1, "monthly_fee": 1}
        http.post("/api/v1/admin/inventory", json={"numbers": [{**row, "currency": "INR"}]})
    headers = {"X-Auth-ID": auth_id, "X-Auth-Token": token}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
        bought = http.post(
            f"/api/v1/Account/{auth_id}/numbers/purchase-from-inventory", json={"e164": e164}
        )
        bought.raise_for_status()
    return headers, e164


async def paced(
    urls: list[str], headers: dict[str, str], requests: int, seconds: float
) -> Counter[int]:
    """``requests`` GETs started evenly over ``seconds`` on ``CONNECTIONS`` keep-alive
    connections. A minimal HTTP/1.1 client on asyncio streams: httpx's async client costs
    more CPU per request than the server on a busy 2-core machine, and fell behind."""
    target = httpx.URL(urls[0])
    head = [f"GET {target.raw_path.decode()} HTTP/1.1", f"Host: {target.host}"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    request = ("\r\n".join(head) + "\r\n\r\n").encode()
    statuses: Counter[int] = Counter()
    start = time.monotonic()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(i)

    async def connection(url: str) -> None:
        server = httpx.URL(url)
        reader, writer = await asyncio.open_connection(server.host, server.port)
        try:
            while not queue.empty():
                i = queue.get_nowait()
                await asyncio.sleep(max(0.0, start + i * seconds / requests - time.monotonic()))
                writer.write(request)
                status_line = await reader.readline()
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                await reader.readexactly(length)
                statuses[int(status_line.split()[1])] += 1
        finally:
            writer.close()

    # connections spread over the servers (the same path on each)
    await asyncio.gather(*(connection(urls[i % len(urls)]) for i in range(CONNECTIONS)))
    return statuses


def the_limit_holds(
    database_url: str, args: argparse.Namespace, processes: int = 1, sync: float = 0.1
) -> dict[str, Any]:
    """The paced load against ``processes`` server processes on one database (the requests'
    connections spread over them), with ``--rate-limit-sync`` ``sync``."""
    with_limits(
        {
            **UNREACHABLE,
            "DIDSTORE_RATE_LIMIT": str(args.rate_limit),
            "DIDSTORE_RATE_LIMIT_SYNC": str(sync),
        }
    )
    with contextlib.ExitStack() as stack:
        bases = [stack.enter_context(server(database_url, cpu=None)) for _ in range(processes)]
        headers, e164 = owned_number(bases[0], 1 + processes * 100 + int(sync * 10))
        path = f"/api/v1/Account/{headers['X-Auth-ID']}/numbers/{e164}"
        started = time.monotonic()
        statuses = asyncio.run(
            paced([base + path for base in bases], headers, args.requests, args.seconds)
        )
        took = time.monotonic() - started
    result = {
        "processes": processes,
        "rate_limit_sync": sync,
        "rate_limit_per_minute": args.rate_limit,
        "requests": args.requests,
        "seconds": round(took, 2),
        "statuses": dict(sorted(statuses.items())),
    }
    print(f"limit holds: {result}", file=sys.stderr)
    return result


def wrk_cpu(base: str, url: str, headers: dict[str, str], duration: int) -> dict[str, Any]:
    """Load ``url`` with wrk; the server's CPU microseconds per request and requests/s."""
    pid = SERVER_PIDS[base]
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "headers.lua"
        script.write_text(
            LUA.format(auth_id=headers["X-Auth-ID"], auth_token=headers["X-Auth-Token"])
        )
        cmd = ["wrk", "-t1", "-c16", f"-d{duration}s", "-s", str(script), url]
        if shutil.which("taskset"):
            cmd = ["taskset", "-c", "1", *cmd]
        before = cpu_seconds(pid)
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        used = cpu_seconds(pid) - before
    done = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests": done,
        "rps": round(rps),
        "cpu_us_per_request": round(used / done * 1e6, 1),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
    }


def the_cost(database_url: str, args: argparse.Namespace) -> dict[str, Any]:
    if not shutil.which("wrk"):
        raise SystemExit("the cost measurement needs wrk (apt-get install wrk)")
    results: dict[str, Any] = {}
    for serial, (mode, limits) in enumerate((("off", OFF), ("on", UNREACHABLE)), start=2):
        with_limits(limits)
        with server(database_url, cpu=0) as base:
            headers, e164 = owned_number(base, serial)
            one = f"{base}/api/v1/Account/{headers['X-Auth-ID']}/numbers/{e164}"
            for _ in range(args.rounds):
                for name, url in (("healthz", f"{base}/healthz"), ("one_number", one)):
                    got = wrk_cpu(base, url, headers, args.duration)
                    results.setdefault(name, {}).setdefault(mode, []).append(got)
                    print(f"{mode:3} {name:10} {got}", file=sys.stderr)
    summary = {}
    for name, modes in results.items():
        best = {m: min(r["cpu_us_per_request"] for r in runs) for m, runs in modes.items()}
        summary[name] = {**best, "limiter_us": round(best["on"] - best["off"], 1)}
    print(f"cost (best of {args.rounds}, CPU µs/request): {summary}", file=sys.stderr)
    return {"runs": results, "best_cpu_us_per_request": summary}


async def _middleware_cost(database_url: str, calls: int) -> dict[str, Any]:
    """The middleware alone, in this process, around an application that answers at once:
    wall-clock microseconds per request with every limit off and with them on (the
    counters of ``database_url``: a dictionary on SQLite, one UPSERT on PostgreSQL)."""
    from didstore.api.limits import Limits
    from didstore.config import Settings
    from didstore.db.database import open_database
    from didstore.db.migrate import migrate
    from didstore.services.rate_limits import counters_for

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    async def send(message: Any) -> None:
        pass

    async def receive() -> Any:
        return {"type": "http.request", "body": b"", "more_body": False}

    migrate(database_url)
    db = open_database(database_url)
    await db.open()
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/api/v1/Account/MA_BENCH/numbers/+918049000001",
        "client": ("127.0.0.1", 40000),
        "headers": [(b"x-auth-id", b"MA_BENCH"), (b"x-auth-token", b"t" * 32)],
    }
    off = Settings(database_url=database_url, rate_limit=0, ip_rate_limit=0,
                   auth_fail_limit=0, ip_auth_fail_limit=0)  # fmt: skip
    on = Settings(database_url=database_url, rate_limit=10**9, ip_rate_limit=10**9)
    result: dict[str, Any] = {}
    modes = [("off", off, 0.0), ("on", on, 0.0)]
    if db.dialect == "postgresql":
        modes.append(("on_sync_0.1s", on, 0.1))
    try:
        for mode, settings, sync in modes:
            counters = counters_for(db, sync=sync)
            middleware = Limits(app, settings=settings, counters=counters, now=time.time)
            for _ in range(min(calls, 200)):  # warm up (prepared statements, caches)
                await middleware(scope, receive, send)
            cpu, started = time.process_time(), time.perf_counter()
            for _ in range(calls):
                await middleware(scope, receive, send)
            wall = (time.perf_counter() - started) / calls * 1e6
            result[mode] = {
                "wall_us": round(wall, 1),
                "cpu_us": round((time.process_time() - cpu) / calls * 1e6, 1),
            }
    finally:
        await db.close()
    for mode, *_ in modes[1:]:
        result[f"limiter_{mode}_wall_us"] = round(
            result[mode]["wall_us"] - result["off"]["wall_us"], 1
        )
        result[f"limiter_{mode}_cpu_us"] = round(
            result[mode]["cpu_us"] - result["off"]["cpu_us"], 1
        )
    print(f"middleware alone ({calls} calls): {result}", file=sys.stderr)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description="Rate limits under load, and their cost")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rate-limit", type=int, default=100)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-cost", action="store_true", help="no wrk runs")
    parser.add_argument("--calls", type=int, default=5000, help="middleware-alone calls")
    args = parser.parse_args()
    dialect = "postgresql" if args.database_url.startswith("postgresql") else "sqlite"
    data: dict[str, Any] = {"database": dialect, "limit": the_limit_holds(args.database_url, args)}
    if dialect == "postgresql":  # the limit shared by two server processes (``--workers 2``)
        data["limit_two_processes"] = [
            the_limit_holds(args.database_url, args, processes=2, sync=sync) for sync in (0.0, 0.1)
        ]
    data["middleware"] = asyncio.run(_middleware_cost(args.database_url, args.calls))
    if not args.skip_cost:
        data["cost"] = the_cost(args.database_url, args)
    data["uptime"] = Path("/proc/loadavg").read_text().split()[:3]
    print(write_result(f"limits-{dialect}", data), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
