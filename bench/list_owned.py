"""List-owned-numbers throughput (req/s) against one ``didstore serve`` worker.

    python bench/list_owned.py --credentials bench/.credentials-pg.json [--duration 15]

The server is pinned to CPU 0 and the load generator to CPU 1 (``taskset``), so the figure
is what one server core can do. The load generator is ``wrk`` (``apt-get install wrk``) with
a Lua script that sends the X-Auth headers; without ``wrk``, Python threads with httpx
(which saturate before the server does on a 2-core machine: use it for a smoke run only).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from _common import SERVER_PIDS, auth_headers, cpu_seconds, load_credentials, server, write_result

LUA = """
wrk.method = "GET"
wrk.headers["X-Auth-ID"] = "{auth_id}"
wrk.headers["X-Auth-Token"] = "{auth_token}"
"""


def with_wrk(url: str, creds: dict[str, Any], connections: int, duration: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "headers.lua"
        script.write_text(LUA.format(**creds))
        cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script)]
        if shutil.which("taskset"):
            cmd = ["taskset", "-c", "1", *cmd]
        out = subprocess.run([*cmd, url], check=True, capture_output=True, text=True).stdout
    print(out, file=sys.stderr)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    return {
        "tool": "wrk",
        "connections": connections,
        "rps": round(rps),
        "errors": int(non2xx.group(1)) if non2xx else 0,
        "p50": lat.get("50"),
        "p99": lat.get("99"),
    }


def with_threads(
    url: str, creds: dict[str, Any], connections: int, duration: int
) -> dict[str, Any]:
    stop = time.monotonic() + duration
    counts = [0] * connections
    errors = [0] * connections

    def worker(i: int) -> None:
        with httpx.Client(headers=auth_headers(creds)) as client:
            while time.monotonic() < stop:
                if client.get(url).status_code == 200:
                    counts[i] += 1
                else:
                    errors[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "tool": "httpx-threads",
        "connections": connections,
        "rps": round(sum(counts) / duration),
        "errors": sum(errors),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="List owned numbers throughput")
    parser.add_argument("--credentials", required=True)
    parser.add_argument("--database-url")
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--per-page", type=int, default=25)
    parser.add_argument("--label", default="list-owned")
    args = parser.parse_args()
    creds = load_credentials(args.credentials)
    runner = with_wrk if shutil.which("wrk") else with_threads
    results = []
    with server(args.database_url or creds["database_url"]) as base:
        url = f"{base}/api/v1/Account/{creds['auth_id']}/numbers?per_page={args.per_page}"
        check = httpx.get(url, headers=auth_headers(creds))
        assert check.status_code == 200 and check.json()["total"] == creds["owned"], check.text
        pid = SERVER_PIDS[base]
        for connections in args.connections:
            cpu_before, wall_before = cpu_seconds(pid), time.monotonic()
            row = runner(url, creds, connections, args.duration)
            cpu = cpu_seconds(pid) - cpu_before
            wall = time.monotonic() - wall_before
            # Requests per second of server CPU: what one uncontended core would sustain.
            row["server_cpu_share"] = round(cpu / wall, 2)
            row["rps_per_server_cpu_second"] = round(row["rps"] * wall / cpu) if cpu else None
            print(row, file=sys.stderr)
            results.append(row)
    write_result(args.label, results)
    print(
        "| load generator | connections | req/s | p50 | p99 | errors | server CPU share"
        " | req/s per server CPU-second |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['tool']} | {r['connections']} | {r['rps']} | {r.get('p50', '')} |"
            f" {r.get('p99', '')} | {r['errors']} | {r['server_cpu_share']} |"
            f" {r['rps_per_server_cpu_second']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
