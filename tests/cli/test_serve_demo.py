"""README's first command, ``didstore serve --demo``: it starts on a fresh database, and the
commands its banner prints work as printed: the inventory search, a reservation (hold) and a
bulk job's dry run; the same job without ``dry_run`` is done by the server's job runner."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import time
from pathlib import Path

import httpx

from tests.conftest import drop_database, new_database_url
from tests.live_server import serve_process


def _curls(banner: str) -> list[list[str]]:
    """Each ``curl`` command of the banner, its continuation lines joined, as argv."""
    joined = banner.replace("\\\n", " ")
    return [shlex.split(line.strip()) for line in joined.splitlines() if "curl -s" in line]


def test_the_demo_banner_commands_work(tmp_path: Path) -> None:
    database_url = new_database_url(tmp_path, "demo")
    try:
        with serve_process(tmp_path, database_url, options=("--demo",)) as url:
            banner = (tmp_path / "server.log").read_text()
            search, hold, preview = _curls(banner)
            answers = [
                json.loads(subprocess.run(argv, capture_output=True, check=True).stdout)
                for argv in (search, hold, preview)
            ]
            assert len(answers[0]["items"]) == 5
            held = answers[1]
            assert held["status"] == "active"
            assert [n["status"] for n in held["numbers"]] == ["held", "held"]
            assert answers[2]["dry_run"] is True
            assert (answers[2]["count"], answers[2]["succeed"]) == (3, 3)

            # the same job for real: the server's job runner buys the three numbers
            auth_id = re.search(r"main account (MA_\w+)\s+token (\S+)", banner)
            assert auth_id is not None
            headers = {"X-Auth-ID": auth_id.group(1), "X-Auth-Token": auth_id.group(2)}
            jobs = f"{url}/api/v1/Account/{auth_id.group(1)}/jobs"
            body = {"action": "purchase", "search": {"country": "IN", "limit": 3}}
            job = httpx.post(jobs, json=body, headers=headers, timeout=10)
            assert job.status_code == 202, job.text
            deadline = time.monotonic() + 60
            while True:
                got = httpx.get(f"{jobs}/{job.json()['id']}", headers=headers, timeout=10)
                if got.json()["status"] == "completed" or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            assert got.json()["progress"]["succeeded"] == 3, got.text
    finally:
        drop_database(database_url)
