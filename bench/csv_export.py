"""CSV export at scale (issue 13 item 5, ADR 0024): the peak memory of the server while it
streams a 1M-row export, and how long the export takes.

    python bench/csv_export.py --db sqlite --numbers 1000000
    python bench/csv_export.py --db postgresql --numbers 1000000

Loads ``--numbers`` numbers with ``generate.py`` (COPY on PostgreSQL, chunked executemany on
SQLite), gives every one of them to one main account (one UPDATE), starts a real ``didstore
serve`` pinned to core 0, and downloads with ``Accept: text/csv`` from this process:

- the account's owned-number list (``GET /api/v1/Account/{id}/numbers``): every row;
- the operator's inventory (``GET /api/v1/admin/inventory``): every row.

While a download runs, the server's resident set (``VmRSS`` of the process and its children)
is sampled every 20 ms; the figures are the RSS before the export, the peak during it, the
time, rows and bytes. The body is counted and dropped as it arrives. Not run by CI; results
go to ``bench/results/csv_export-<db>.json`` and are recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import generate
import httpx
from _common import ADMIN_TOKEN, SERVER_PIDS, server, write_result
from sqlalchemy import text

from didstore.db.engine import make_engine

PG_ADMIN = os.environ.get("DIDSTORE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_DATABASE = "didstore_bench_csv"


def _rss_kib(pid: int) -> int:
    """Resident set of ``pid`` and its descendants, in KiB (Linux /proc)."""
    total = 0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{p}/task").iterdir():
                children = (task / "children").read_text().split()
                stack.extend(int(c) for c in children)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


class Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.samples = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.peak = max(self.peak, _rss_kib(self.pid))
            self.samples += 1
            time.sleep(0.02)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def _database(kind: str, workdir: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'csv.sqlite3'}"
    admin = make_engine(PG_ADMIN)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {PG_DATABASE}"))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_DATABASE


def _drop(kind: str) -> None:
    if kind != "postgresql":
        return
    admin = make_engine(PG_ADMIN)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))
    admin.dispose()


def _own_everything(url: str, auth_id: str) -> int:
    """Every number active and owned (and paid for) by the account, in one UPDATE with the
    count and search triggers off (kept row by row, they would cost an hour for 1M rows),
    then the counters they keep set to what they would hold: the account owns and pays for
    every number, and nothing is available."""
    sqlite = url.startswith("sqlite")
    engine = make_engine(url)
    with engine.begin() as conn:
        account_id = conn.execute(
            text("SELECT id FROM accounts WHERE auth_id = :a"), {"a": auth_id}
        ).scalar_one()
        saved: list[str] = []
        if sqlite:
            rows = conn.execute(
                text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                     " AND tbl_name = 'numbers'")
            ).all()  # fmt: skip
            for name, sql in rows:
                saved.append(sql)
                conn.execute(text(f'DROP TRIGGER "{name}"'))
        else:
            conn.execute(text("ALTER TABLE numbers DISABLE TRIGGER USER"))
        changed = conn.execute(
            text(
                "UPDATE numbers SET state = 'active', owner_account_id = :id,"
                " billing_account_id = :id, source = 'purchased', purchased_at = created_at"
            ),
            {"id": account_id},
        ).rowcount
        conn.execute(text("DELETE FROM search_counts"))
        if sqlite:
            conn.execute(text("DELETE FROM numbers_fts"))
        conn.execute(text("DELETE FROM number_counts"))
        conn.execute(
            text("INSERT INTO number_counts (account_id, owned, paid) VALUES (:id, :n, :n)"),
            {"id": account_id, "n": changed},
        )
        if sqlite:
            for sql in saved:
                conn.execute(text(sql))
        else:
            conn.execute(text("ALTER TABLE numbers ENABLE TRIGGER USER"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE" if sqlite else "VACUUM ANALYZE"))
    engine.dispose()
    return int(changed)


def _download(base: str, path: str, headers: dict[str, str], pid: int) -> dict[str, Any]:
    before = _rss_kib(pid)
    sampler = Sampler(pid)
    sampler.start()
    size = lines = 0
    first_line = b""
    started = time.perf_counter()
    first_byte = None
    with (
        httpx.Client(timeout=httpx.Timeout(600, connect=10)) as client,
        client.stream("GET", base + path, headers={**headers, "Accept": "text/csv"}) as r,
    ):
        r.raise_for_status()
        for chunk in r.iter_raw():
            if first_byte is None:
                first_byte = time.perf_counter() - started
                first_line = chunk.split(b"\r\n", 1)[0]
            size += len(chunk)
            lines += chunk.count(b"\n")
    elapsed = time.perf_counter() - started
    sampler.stop()
    header = next(csv.reader(io.StringIO(first_line.decode())))
    return {
        "path": path,
        "rows": lines - 1,  # no cell of these exports holds a line break
        "columns": len(header),
        "bytes": size,
        "seconds": round(elapsed, 2),
        "first_byte_ms": round((first_byte or 0) * 1000, 1),
        "rows_per_second": round((lines - 1) / elapsed),
        "mb_per_second": round(size / elapsed / 1e6, 1),
        "rss_before_mib": round(before / 1024, 1),
        "rss_peak_mib": round(sampler.peak / 1024, 1),
        "rss_growth_mib": round((sampler.peak - before) / 1024, 1),
        "rss_samples": sampler.samples,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--numbers", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = _database(args.db, workdir)
        try:
            creds_path = workdir / "creds.json"
            started = time.perf_counter()
            generate.main(
                ["--database-url", url, "--numbers", str(args.numbers), "--owned", "0",
                 "--credentials", str(creds_path), "--validate", "1000"]
            )  # fmt: skip
            creds = json.loads(creds_path.read_text())
            owned = _own_everything(url, creds["auth_id"])
            load_seconds = time.perf_counter() - started
            print(f"loaded {args.numbers}, {owned} owned, in {load_seconds:.0f} s", file=sys.stderr)
            account = {"X-Auth-ID": creds["auth_id"], "X-Auth-Token": creds["auth_token"]}
            operator = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
            runs = []
            load_before = os.getloadavg()
            with server(url) as base:
                pid = SERVER_PIDS[base]
                # warm up: the first request imports and prepares what every later one uses
                httpx.get(f"{base}/api/v1/Account/{creds['auth_id']}/numbers", headers=account)
                for path, headers in (
                    (f"/api/v1/Account/{creds['auth_id']}/numbers", account),
                    ("/api/v1/admin/inventory", operator),
                ):
                    run = _download(base, path, headers, pid)
                    print(json.dumps(run), file=sys.stderr)
                    runs.append(run)
        finally:
            if not args.keep:
                _drop(args.db)
    result = {
        "database": args.db,
        "numbers": args.numbers,
        "load_seconds": round(load_seconds, 1),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "loadavg_before_exports": load_before,
        "exports": runs,
    }
    out = write_result(f"csv_export-{args.db}", result)
    print(json.dumps(result, indent=2))
    print(f"written to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
