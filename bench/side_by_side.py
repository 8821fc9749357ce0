"""didstore beside the framework ceiling, in one run (issue 12 item 4).

    python bench/side_by_side.py --db both [--workers 1] [--json results.json]
    python bench/side_by_side.py --db sqlite --quick            # a smoke run (seconds)

For each database (a SQLite file in a temporary directory; PostgreSQL database ``sbs_bench``
dropped and created again): load the data shape (``bench/generate.py``: an account owning
10,000 numbers, plus inventory; buyers through the composition root), then start, each
pinned to the same core with ``taskset``, ``didstore serve --no-jobs``, a bare FastAPI async
"hello" and a bare Starlette one (``bench/ceiling.py``), all under uvicorn with the same
settings (uvicorn's defaults pick uvloop and httptools, as ``didstore serve`` does; log level
warning, no access log). ``wrk`` (one thread, 32 connections) runs on the other core with the
same method for every case: a warm-up run, then a measured run, repeated three times
interleaved (FastAPI ceiling, Starlette ceiling, case, FastAPI ceiling, ...); the table shows
medians, and the share of the FastAPI ceiling is the median of each repeat's case/ceiling
ratio (read the ratios: the machine may be shared). ``--whole-box`` pins nothing (for
``--workers 2``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import _wrk
import httpx
from _common import cpu_seconds, didstore_executable, free_port
from _sbs_data import Dataset, drop_database, fresh_database, load
from _sbs_report import CaseRuns, render_json, render_table, summarize

from didstore.bootstrap import run as run_services
from didstore.config import Settings

BENCH = Path(__file__).parent
PURCHASE = "/api/v1/Account/{auth_id}/numbers/purchase-from-inventory"
CASES = {
    "healthz": "/healthz",
    "one": "GET one owned number (rotating over 1,000 of them)",
    "list-25": "owned list, page 1 x 25, exact total",
    "list-100": "owned list, page 1 x 100, exact total",
    "page-200": "owned list, page 200 x 25 (the middle)",
    "page-400": "owned list, page 400 x 25 (the end)",
    "purchase-one": "purchase, buyers sharing one wallet",
    "purchase-many": "purchase, one wallet per buyer",
    "search": "inventory search, first page x 25, unfiltered",
}
#: the most purchases/s one wrk run is expected to reach (sizes each run's share of the pool)
MAX_PURCHASE_RATE = 3000


class Server:
    def __init__(self, name: str, cmd: list[str], health: str, cpu: str | None, logs: Path) -> None:
        self.name, self.port = name, free_port()
        cmd = [c.replace("{port}", str(self.port)) for c in cmd]
        if cpu is not None and shutil.which("taskset"):
            cmd = ["taskset", "-c", cpu, *cmd]
        self.base = f"http://127.0.0.1:{self.port}"
        self.health = health
        # Output goes to a file: an unread pipe would stall a server that logs under load.
        self.log = logs / f"{name}.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)

    def wait(self) -> None:
        deadline = time.monotonic() + 90
        while True:
            if self.proc.poll() is not None:
                err = self.log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{self.name} exited: {err}")
            try:
                if httpx.get(self.base + self.health, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not become healthy in 90 s")
            time.sleep(0.2)

    def rss_mib(self) -> float:
        """Resident memory of the largest server process (the worker, not uvicorn's
        supervisor, when there are several)."""
        pids = [self.proc.pid, *_children(self.proc.pid)]
        return max(_rss_kib(p) for p in pids) / 1024

    def cpu_seconds(self) -> float:
        """User + system CPU consumed so far by the server's processes."""
        return sum(_cpu_seconds(p) for p in (self.proc.pid, *_children(self.proc.pid)))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(c) for c in found]


def _cpu_seconds(pid: int) -> float:
    try:
        return cpu_seconds(pid)
    except (OSError, IndexError, ValueError):
        return 0.0


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


#: a rate limit no benchmark reaches
NEVER = 10**9


@contextmanager
def servers(url: str, workers: int, cpu: str | None, logs: Path) -> Iterator[dict[str, Server]]:
    more = ["--workers", str(workers)] if workers > 1 else []
    uvicorn = [sys.executable, "-m", "uvicorn", "--app-dir", str(BENCH)]
    uvicorn += ["--host", "127.0.0.1", "--port", "{port}", "--log-level", "warning"]
    uvicorn += ["--no-access-log", *more]
    didstore = [didstore_executable(), "serve", "--host", "127.0.0.1", "--port", "{port}"]
    didstore += ["--database-url", url, "--no-jobs", "--no-access-log", *more]
    # the limiter counts every request (its cost stays in the figures) but never refuses one
    didstore += ["--rate-limit", str(NEVER), "--ip-rate-limit", str(NEVER)]
    started = [
        Server("fastapi", [*uvicorn, "ceiling:fastapi_app"], "/", cpu, logs),
        Server("starlette", [*uvicorn, "ceiling:starlette_app"], "/", cpu, logs),
        Server("didstore", didstore, "/healthz", cpu, logs),
    ]
    try:
        for s in started:
            s.wait()
        yield {s.name: s for s in started}
    finally:
        for s in started:
            s.stop()


def case_load(ds: Dataset, case: str, seconds: int) -> _wrk.Load:
    me = [ds.account]
    numbers = f"/api/v1/Account/{ds.account[0]}/numbers"
    if case == "healthz":
        return _wrk.Load("GET", ["/healthz"])
    if case == "one":
        return _wrk.Load("GET", [f"{numbers}/{e}" for e in ds.owned], me)
    if case == "search":
        return _wrk.Load("GET", [f"/api/v1/Account/{ds.account[0]}/inventory/numbers"], me)
    if case.startswith(("list-", "page-")):
        page, per_page = (1, int(case[5:])) if case.startswith("list-") else (int(case[5:]), 25)
        return _wrk.Load("GET", [f"{numbers}?page={page}&per_page={per_page}"], me)
    buyers = ds.one_wallet if case == "purchase-one" else ds.many_wallets
    todo = ds.take(max(100, seconds * MAX_PURCHASE_RATE))
    return _wrk.Load("POST", [PURCHASE], buyers, [json.dumps({"e164": e}) for e in todo])


def check(ds: Dataset, base: str, cases: list[str]) -> None:
    """Every case answers 200 once before it is measured (the list with the exact total)."""
    auth = {"X-Auth-ID": ds.account[0], "X-Auth-Token": ds.account[1]}
    with httpx.Client(base_url=base, timeout=30) as client:
        for case in cases:
            load_ = case_load(ds, case, 0)
            if load_.method == "POST":
                continue  # purchases are checked by the ledger verification after the run
            r = client.get(load_.paths[0], headers=auth if load_.credentials else None)
            if r.status_code != 200:
                raise RuntimeError(f"{case}: {r.status_code} {r.text[:300]}")
            if case == "list-25" and r.json()["total"] != ds.owned_count:
                raise RuntimeError(f"list total {r.json()['total']} is not {ds.owned_count}")


def measure(
    ds: Dataset, up: dict[str, Server], cases: list[str], args: argparse.Namespace, tmp: Path
) -> list[CaseRuns]:
    client_cpu = None if args.whole_box else args.client_cpu

    cpu_us: dict[str, float] = {}

    def wrk(target: str, case: str, seconds: int) -> _wrk.Result:
        load_ = _wrk.Load("GET", ["/"]) if target != "didstore" else case_load(ds, case, seconds)
        cpu_before = up[target].cpu_seconds()
        result = _wrk.run(
            up[target].base,
            load_,
            seconds=seconds,
            connections=args.connections,
            cpu=client_cpu,
            workdir=tmp,
        )
        if load_.bodies:  # purchases in flight at the end may still complete
            ds.consumed(result.requests + args.connections)
        cpu = up[target].cpu_seconds() - cpu_before
        cpu_us[target] = 1e6 * cpu / result.requests if result.requests else 0.0
        return result

    results = []
    for case in cases:
        runs = CaseRuns(case)
        for _ in range(args.repeats):
            for target, into in (("fastapi", runs.fastapi), ("starlette", runs.starlette)):
                if args.warmup:
                    wrk(target, case, args.warmup)
                into.append(wrk(target, case, args.duration))
                if target == "fastapi":
                    runs.fastapi_cpu_us.append(cpu_us["fastapi"])
            if args.warmup:
                wrk("didstore", case, args.warmup)
            runs.runs.append(wrk("didstore", case, args.duration))
            runs.cpu_us.append(cpu_us["didstore"])
            runs.rss_mib.append(up["didstore"].rss_mib())
            runs.load1.append(os.getloadavg()[0])
        print(json.dumps(summarize(runs)), file=sys.stderr, flush=True)
        results.append(runs)
    return results


def one_database(db: str, cases: list[str], args: argparse.Namespace) -> list[CaseRuns]:
    with tempfile.TemporaryDirectory(prefix="sbs-") as name:
        tmp = Path(name)
        url = fresh_database(db, tmp, args.pg_url, args.pg_database)
        try:
            started = time.monotonic()
            ds = load(url, tmp, inventory=args.inventory, owned=args.owned, buyers=args.buyers)
            print(f"{db}: data loaded in {time.monotonic() - started:.0f} s", file=sys.stderr)
            cpu = None if args.whole_box else str(args.server_cpu)
            with servers(url, args.workers, cpu, tmp) as up:
                check(ds, up["didstore"].base, cases)
                results = measure(ds, up, cases, args, tmp)
            problems = run_services(Settings(database_url=url), lambda s: s.wallet.verify())
            if problems:
                raise RuntimeError(f"ledger check failed after the purchases: {problems}")
            return results
        finally:
            if not args.keep:
                drop_database(url)


def machine() -> dict[str, Any]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "?",
    )
    return {"cpu": model, "cores": os.cpu_count(), "python": sys.version.split()[0]}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    p.add_argument("--workers", type=int, default=1, help="passed to every server")
    p.add_argument("--whole-box", action="store_true", help="pin neither servers nor wrk")
    p.add_argument("--server-cpu", type=int, default=0)
    p.add_argument("--client-cpu", type=int, default=1)
    p.add_argument(
        "--cases", default=",".join(CASES), help="comma-separated, of: " + ", ".join(CASES)
    )
    p.add_argument("--duration", type=int, default=8, help="seconds per measured run")
    p.add_argument("--warmup", type=int, default=2, help="seconds of warm-up before each run")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--inventory", type=int, default=300_000, help="numbers generated")
    p.add_argument("--owned", type=int, default=10_000, help="numbers the account owns")
    p.add_argument("--buyers", type=int, default=32, help="wallets of the many-wallet case")
    p.add_argument("--quick", action="store_true", help="a smoke run: 1 s runs, small data")
    p.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432")
    p.add_argument("--pg-database", default="sbs_bench")
    p.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON ('-': stdout)")
    args = p.parse_args(argv)
    if args.quick:
        args.duration, args.warmup, args.repeats = 1, 0, 1
        args.inventory, args.owned, args.buyers = 12_000, 1_000, 8
    unknown = set(args.cases.split(",")) - set(CASES)
    if unknown:
        p.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    if not shutil.which("wrk"):
        p.error("wrk is not installed (apt-get install -y wrk)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # A terminated run stops its servers and drops its database on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    cases = [c for c in CASES if c in args.cases.split(",")]
    meta: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": machine(),
        "uptime_before": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
        "method": {
            k: getattr(args, k)
            for k in ("workers", "whole_box", "duration", "warmup", "repeats", "connections")
        }
        | {"inventory": args.inventory, "owned": args.owned, "cases": CASES},
    }
    sections: dict[str, list[CaseRuns]] = {}
    for db in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        sections[db] = one_database(db, cases, args)
    meta["uptime_after"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    m = meta["method"]
    pinning = (
        "nothing pinned"
        if args.whole_box
        else (f"servers on CPU {args.server_cpu}, wrk on CPU {args.client_cpu}")
    )
    print(f"{meta['date']}; {meta['machine']['cpu']}, {meta['machine']['cores']} cores; {pinning}")
    print(
        f"wrk -t1 -c{m['connections']}, {m['warmup']} s warm-up + {m['duration']} s per run,"
        f" {m['repeats']} interleaved repeats (medians); workers {m['workers']}"
    )
    print(f"before: {meta['uptime_before']}\nafter:  {meta['uptime_after']}\n")
    for db, runs in sections.items():
        print(render_table(f"{db}, workers {args.workers}", [summarize(c) for c in runs]))
        print()
    if args.json:
        text_ = render_json(meta, sections)
        if args.json == "-":
            print(text_)
        else:
            Path(args.json).write_text(text_)
    return 0


if __name__ == "__main__":
    sys.exit(main())
