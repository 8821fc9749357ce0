"""Shared helpers for the benchmark scripts: a real ``didstore serve`` process, percentiles."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ADMIN_TOKEN = "bench-admin-token"
#: base URL -> pid of the server process started by ``server`` (for CPU accounting)
SERVER_PIDS: dict[str, int] = {}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time consumed so far by process ``pid`` (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def didstore_executable() -> str:
    local = Path(sys.executable).with_name("didstore")
    return str(local) if local.exists() else (shutil.which("didstore") or "didstore")


@contextmanager
def server(database_url: str, *, port: int | None = None, cpu: int | None = 0) -> Iterator[str]:
    """Start ``didstore serve`` (one worker, no background jobs) on loopback; yield its URL.

    ``cpu`` pins the server to one core with ``taskset`` so a load generator on the other core
    does not steal its time (``None``: no pinning).
    """
    port = port or free_port()
    cmd = [
        didstore_executable(),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--database-url",
        database_url,
        "--no-jobs",
        # counted, never refused: benchmarks measure the routes, limiter included
        "--rate-limit",
        "1000000000",
        "--ip-rate-limit",
        "1000000000",
    ]
    if cpu is not None and shutil.which("taskset"):
        cmd = ["taskset", "-c", str(cpu), *cmd]
    env = {**os.environ, "DIDSTORE_ADMIN_TOKEN": ADMIN_TOKEN}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}"
                )
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not become healthy in 60 s")
            time.sleep(0.2)
        SERVER_PIDS[base] = proc.pid
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of ``samples``."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def load_credentials(path: str) -> dict[str, Any]:
    return json.loads(Path(path).read_text())  # type: ignore[no-any-return]


def auth_headers(creds: dict[str, Any]) -> dict[str, str]:
    return {"X-Auth-ID": creds["auth_id"], "X-Auth-Token": creds["auth_token"]}


def write_result(name: str, data: object) -> Path:
    out = Path(__file__).parent / "results" / f"{name}.json"
    out.parent.mkdir(exist_ok=True)
    # Other jobs on a shared machine distort latency: keep the load average with the figures.
    record = {"loadavg_at_end": os.getloadavg(), "results": data}
    out.write_text(json.dumps(record, indent=2))
    return out
