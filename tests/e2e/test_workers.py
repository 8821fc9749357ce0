"""``didstore serve --workers N`` (issue 14 item 1): N real processes serving one PostgreSQL
database, the background jobs in the supervising process only, metrics added up across
processes; refused on SQLite."""

from __future__ import annotations

import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ADMIN_TOKEN, BACKEND, drop_database, new_database_url
from tests.live_server import DIDSTORE, LiveServer, serve_process

pytestmark = pytest.mark.timeout(240)


def _children(pid: int) -> list[int]:
    """The server processes uvicorn spawned under ``pid`` (not its resource tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid and b"spawn_main" in cmdline and b"resource_tracker" not in cmdline:
            found.append(int(entry.name))
    return found


def _metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                total += s.value
    return total


@pytest.mark.skipif(BACKEND != "postgresql", reason="--workers serves PostgreSQL only")
def test_two_workers_serve_one_database_and_run_the_jobs_once(tmp_path: Path) -> None:
    database_url = new_database_url(tmp_path, "workers")
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with serve_process(
            tmp_path,
            database_url,
            options=("--workers", "2", "--jobs"),
            env_extra={"DIDSTORE_JOB_INTERVAL": "1"},
            started=procs.append,
        ) as url:
            (supervisor,) = procs
            deadline = time.monotonic() + 30
            while len(_children(supervisor.pid)) < 2 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert len(_children(supervisor.pid)) == 2
            server = LiveServer(url, database_url)
            acct = server.create_account(balance=10_000)
            numbers = server.stock(40, setup_fee=10, monthly_fee=20)
            with server.admin() as http:
                runs_before = _metric(http.get("/metrics").text, "didstore_job_runs_total")
            jobs_from = time.monotonic()

            def buy(e164: str) -> int:
                # a fresh connection per request: the kernel spreads them over both workers
                with httpx.Client(base_url=url, timeout=30) as http:
                    return http.post(
                        f"/api/v1/Account/{acct.auth_id}/numbers/purchase-from-inventory",
                        json={"e164": e164},
                        headers={"X-Auth-ID": acct.auth_id, "X-Auth-Token": acct.auth_token},
                    ).status_code

            # every number twice, concurrently: each sold once, each charged once
            with ThreadPoolExecutor(8) as pool:
                codes = list(pool.map(buy, numbers + numbers))
            assert codes.count(200) == len(codes), codes  # the owner's retry answers 200
            with server.admin() as http:
                balance = http.get(
                    f"/api/v1/Account/{acct.auth_id}/balance/INR",
                    headers={"X-Auth-ID": acct.auth_id, "X-Auth-Token": acct.auth_token},
                ).json()["balance"]
                assert balance == 10_000 - 40 * 30
                time.sleep(3)
                scraped = http.get("/metrics").text
            elapsed = time.monotonic() - jobs_from
            # both workers' counts meet in one scrape
            purchases = _metric(
                scraped,
                "didstore_http_requests_total",
                route="/api/v1/Account/{auth_id}/numbers/purchase-from-inventory",
            )
            assert purchases == 80
            # one job runner (once a second), not one per process
            runs = _metric(scraped, "didstore_job_runs_total", job="all") - runs_before
            assert 1 <= runs <= elapsed + 1.5, (runs, elapsed)
    finally:
        drop_database(database_url)
    assert supervisor.poll() is not None
    time.sleep(0.5)
    assert _children(supervisor.pid) == []


def test_workers_are_refused_on_sqlite(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIDSTORE_")}
    done = subprocess.run(
        [DIDSTORE, "serve", "--workers", "2", "--database-url", f"sqlite:///{tmp_path}/x.db"],
        capture_output=True,
        text=True,
        env={**env, "DIDSTORE_ADMIN_TOKEN": ADMIN_TOKEN},
        timeout=60,
    )
    assert done.returncode == 2
    assert "--workers needs PostgreSQL" in done.stderr
    assert not (tmp_path / "x.db").exists()  # refused before touching anything
