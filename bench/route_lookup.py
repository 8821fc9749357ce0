"""Benchmark ``GET /api/v1/admin/routes/{e164}`` (the per-call hot path) on PostgreSQL.

Creates a fresh database, loads a generated dataset (accounts, trunks, applications and
``--numbers`` owned numbers in a mix of states), starts a real ``didstore serve`` (one
worker) and drives it with ``wrk`` when installed (random numbers per request), else with
concurrent httpx clients. Prints lookups/s and latency; ``--json`` for machine output.

    python bench/route_lookup.py --numbers 200000 --duration 20 --connections 32
    python bench/route_lookup.py --database-url postgresql://…/db --keep   # load once, reuse

Also reports non-2xx answers, the server's CPU seconds (``/proc/<pid>/stat``) as lookups per
server CPU-second, and the 1-minute load average at the end of the run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from _common import cpu_seconds
from sqlalchemy import create_engine, insert, text

from didstore.db.engine import make_engine, normalize_url
from didstore.db.migrate import upgrade
from didstore.db.tables import accounts, applications, numbers, trunks
from didstore.domain.ids import plivo_auth_id

TOKEN = "bench-operator-token"
BASE_DIGITS = 918041000000  # numbers are +91804100000 + i


def e164(i: int) -> str:
    return f"+{BASE_DIGITS + i}"


def create_database(admin_url: str) -> str:
    name = f"didstore_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name


def drop_database(admin_url: str, url: str) -> None:
    admin = create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def load(url: str, count: int, accounts_n: int = 500) -> None:
    """Owned numbers spread over main accounts: 70% on a trunk, 15% on an application,
    5% routed nowhere, 5% pending release, 5% unowned (inventory)."""
    engine = make_engine(url, pool_size=1)
    upgrade(engine)
    now = datetime.now(UTC)
    rng = random.Random(7)
    with engine.begin() as conn:
        conn.execute(
            insert(accounts),
            [
                {
                    "auth_id": f"MA_B{i:07d}",
                    "plivo_auth_id": plivo_auth_id(f"MA_B{i:07d}", "main"),
                    "kind": "main",
                    "name": f"bench {i}",
                    "currency": "INR",
                    "token_hash": uuid.uuid4().hex + uuid.uuid4().hex,
                    "api_id": str(uuid.uuid4()),
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(accounts_n)
            ],
        )
        ids = [r[0] for r in conn.execute(text("SELECT id FROM accounts ORDER BY id"))]
        trunk_ids = {a: str(uuid.uuid4()) for a in ids}
        app_ids = {a: str(10**16 + a) for a in ids}
        conn.execute(
            insert(trunks),
            [
                {"id": t, "account_id": a, "name": "t", "trunk_domain": f"{t}.sip",
                 "trunk_status": "active", "trunk_direction": "inbound", "transport": "udp",
                 "concurrent_calls_limit": 10, "cps_limit": 2, "webhook_method": "POST",
                 "created_at": now, "updated_at": now}
                for a, t in trunk_ids.items()
            ],
        )  # fmt: skip
        conn.execute(
            insert(applications),
            [
                {"id": p, "account_id": a, "app_name": "app", "answer_url": "https://e.x/a",
                 "answer_method": "POST", "hangup_url": "https://e.x/a", "hangup_method": "POST",
                 "fallback_method": "POST", "message_method": "POST", "application_type": "XML",
                 "created_at": now, "updated_at": now}
                for a, p in app_ids.items()
            ],
        )  # fmt: skip
        batch: list[dict[str, Any]] = []
        for i in range(count):
            owner = rng.choice(ids)
            roll = rng.random()
            state = "active"
            trunk = app = None
            if roll < 0.70:
                trunk = trunk_ids[owner]
            elif roll < 0.85:
                app = app_ids[owner]
            elif roll < 0.95 and roll >= 0.90:
                state = "pending_release"
            elif roll >= 0.95:
                state = "available"
            batch.append(
                {
                    "id": str(uuid.uuid4()), "e164": e164(i), "country": "IN",
                    "region": "Karnataka", "setup_fee_minor": 10000, "monthly_fee_minor": 30000,
                    "currency": "INR", "tags": [], "state": state,
                    "owner_account_id": None if state == "available" else owner,
                    "billing_account_id": None if state == "available" else owner,
                    "trunk_id": trunk, "application_id": app, "source": "purchased",
                    "cooldown_ends_at": now.replace(year=now.year + 1)
                    if state == "pending_release" else None,
                    "created_at": now, "updated_at": now,
                }
            )  # fmt: skip
            if len(batch) == 10_000:
                conn.execute(insert(numbers), batch)
                batch = []
        if batch:
            conn.execute(insert(numbers), batch)
        conn.execute(text("ANALYZE"))
    engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    exe = Path(sys.executable).with_name("didstore")
    env = {**os.environ, "DIDSTORE_ADMIN_TOKEN": TOKEN}
    proc = subprocess.Popen(
        [str(exe), "serve", "--port", str(port), "--database-url", url, "--no-jobs"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start")


WRK_SCRIPT = """
math.randomseed(os.time())
wrk.headers["Authorization"] = "Bearer %(token)s"
request = function()
  return wrk.format("GET", "/api/v1/admin/routes/+" .. (%(base)d + math.random(0, %(n)d - 1)))
end
"""


def run_wrk(port: int, count: int, seconds: int, connections: int) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_SCRIPT % {"token": TOKEN, "base": BASE_DIGITS, "n": count})
        script = f.name
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script]
    done = subprocess.run([*args, f"http://127.0.0.1:{port}"], capture_output=True, text=True)
    os.unlink(script)
    output = done.stdout
    rps = next(float(line.split()[1]) for line in output.splitlines() if "Requests/sec" in line)
    errors = [int(line.split()[-1]) for line in output.splitlines() if "Non-2xx" in line]
    return {"tool": "wrk", "lookups_per_s": rps, "errors": sum(errors), "raw": output}


def run_httpx(port: int, count: int, seconds: int, connections: int) -> dict[str, Any]:
    stop = time.monotonic() + seconds
    totals = [0] * connections
    errors = [0] * connections

    def worker(k: int) -> None:
        rng = random.Random(k)
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {TOKEN}"}
        ) as c:
            while time.monotonic() < stop:
                r = c.get(f"/api/v1/admin/routes/{e164(rng.randrange(count))}")
                totals[k] += 1
                errors[k] += r.status_code != 200

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"tool": "httpx", "lookups_per_s": sum(totals) / seconds, "errors": sum(errors)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--numbers", type=int, default=200_000)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--database-url", help="reuse a database loaded by an earlier --keep run")
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    args = parser.parse_args()
    url = args.database_url or create_database(args.pg)
    proc = None
    try:
        started = time.monotonic()
        if not args.database_url:
            load(url, args.numbers)
            print(f"loaded {args.numbers} numbers in {time.monotonic() - started:.1f}s into {url}")
        port = free_port()
        proc = start_server(url, port)
        # sanity: every reason answers 200 with the documented keys
        sample = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/admin/routes/{e164(0)}",
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert sample.status_code == 200, sample.text
        run = run_wrk if shutil.which("wrk") else run_httpx
        run(port, args.numbers, 3, args.connections)  # warm-up
        cpu_before = cpu_seconds(proc.pid)
        result = run(port, args.numbers, args.duration, args.connections)
        cpu = cpu_seconds(proc.pid) - cpu_before
        result["server_cpu_s"] = round(cpu, 2)
        result["per_server_cpu_s"] = round(result["lookups_per_s"] * args.duration / cpu)
        result["load_1min"] = os.getloadavg()[0]
        result.update(
            numbers=args.numbers, seconds=args.duration, connections=args.connections,
            cpus=os.cpu_count(), sample=sample.json(),
        )  # fmt: skip
        if args.json:
            print(json.dumps(result, indent=2))
        else:
            print(result.get("raw", ""))
            print(
                f"route lookups/s: {result['lookups_per_s']:.0f} ({result['tool']}), "
                f"non-2xx {result.get('errors', 0)}, server CPU {result['server_cpu_s']} s "
                f"= {result['per_server_cpu_s']} lookups per server CPU-second, "
                f"load {result['load_1min']:.2f}"
            )
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=10)
        if not args.keep:
            drop_database(args.pg, url)


if __name__ == "__main__":
    main()
