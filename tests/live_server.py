"""A real ``didstore serve`` subprocess for SDK and CLI tests, and operator helpers that
set up accounts, credit and stock through the operator HTTP API (Bearer token)."""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import ADMIN_TOKEN, drop_database, new_database_url

DIDSTORE = str(Path(sys.executable).parent / "didstore")
_numbers = itertools.count(41200000)


@dataclass
class Account:
    auth_id: str
    auth_token: str
    currency: str


@dataclass
class LiveServer:
    url: str
    database_url: str

    def admin(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30
        )

    def create_account(
        self, *, balance: float = 0, currency: str = "INR", release_fee: float = 0
    ) -> Account:
        with self.admin() as http:
            r = http.post(
                "/api/v1/admin/accounts",
                json={"name": "sdk test", "currency": currency, "release_fee": release_fee},
            )
            assert r.status_code == 201, r.text
            data = r.json()
            if balance:
                c = http.post(
                    f"/api/v1/admin/accounts/{data['auth_id']}/credit",
                    json={"amount": balance, "currency": currency},
                )
                assert c.status_code == 201, c.text
        return Account(data["auth_id"], data["auth_token"], currency)

    def stock(
        self,
        count: int,
        *,
        setup_fee: int = 100,
        monthly_fee: int = 300,
        currency: str = "INR",
    ) -> list[str]:
        """Stock ``count`` fresh Indian numbers (unique across the session)."""
        numbers = [f"+9180{next(_numbers):08d}" for _ in range(count)]
        rows = [
            {
                "e164": n,
                "region": "Karnataka",
                "setup_fee": setup_fee,
                "monthly_fee": monthly_fee,
                "currency": currency,
            }
            for n in numbers
        ]
        with self.admin() as http:
            r = http.post("/api/v1/admin/inventory", json={"numbers": rows})
            assert r.status_code == 200 and not r.json()["errors"], r.text
        return numbers

    def route_exists(self, method: str, path: str) -> bool:
        """False only when the server answers 404 ``no route`` (the endpoint has not landed)."""
        with self.admin() as http:
            r = http.request(method, path)
        if r.status_code != 404:
            return True
        try:
            body = r.json()
        except ValueError:
            return True
        return not (
            body.get("error") == "not_found" and str(body.get("message", "")).startswith("no route")
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


START_TIMEOUT = 90.0  # generous: CI starts several servers at once on 2 cores


@contextmanager
def serve_process(
    workdir: Path,
    database_url: str,
    admin_token: str = ADMIN_TOKEN,
    *,
    options: Sequence[str] = ("--test-clock", "--no-jobs"),
    env_extra: Mapping[str, str] | None = None,
    started: Callable[[subprocess.Popen[bytes]], None] | None = None,
) -> Iterator[str]:
    """The one way tests start ``didstore serve`` (by default ``--test-clock --no-jobs``; a
    real process on a free port); yields its base URL once /healthz answers 200, and stops it
    afterwards (``started`` receives the process first). The server's output goes to
    ``workdir/server.log`` and is shown if it fails to start."""
    port = _free_port()
    env = {**os.environ, "DIDSTORE_ADMIN_TOKEN": admin_token, **(env_extra or {})}
    for name in (
        "DIDSTORE_URL",
        "DIDSTORE_AUTH_ID",
        "DIDSTORE_AUTH_TOKEN",
        "DIDSTORE_DATABASE_URL",
    ):
        env.pop(name, None)
    log_path = workdir / "server.log"
    cmd = [DIDSTORE, "serve", "--host", "127.0.0.1", "--port", str(port), *options,
           "--database-url", database_url]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"didstore serve exited:\n{log_path.read_text(errors='replace')}"
                )
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"didstore serve not healthy after {START_TIMEOUT:.0f} s:\n"
                    f"{log_path.read_text(errors='replace')}"
                )
            time.sleep(0.1)
        if started is not None:
            started(proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_server(tmp: Path, label: str) -> Iterator[LiveServer]:
    """A live server on a fresh database, dropped afterwards."""
    database_url = new_database_url(tmp, label)
    try:
        with serve_process(tmp, database_url) as url:
            yield LiveServer(url, database_url)
    finally:
        drop_database(database_url)


# -- a partner and its customer, made through the operator API of a live server --------------
def partner_with_customer(live: LiveServer) -> tuple[Account, Account]:
    """A partner with 1000 INR and one customer with 5000 INR (through the operator API)."""
    with live.admin() as http:
        p = http.post("/api/v1/admin/partners", json={"name": "reseller", "currency": "INR"})
        assert p.status_code == 201, p.text
        partner = p.json()
        c = http.post(
            "/api/v1/admin/accounts",
            json={"name": "customer", "currency": "INR", "partner_id": partner["auth_id"]},
        )
        assert c.status_code == 201, c.text
        customer = c.json()
        for who, amount in ((customer["auth_id"], 5000), (partner["auth_id"], 1000)):
            r = http.post(
                f"/api/v1/admin/accounts/{who}/credit", json={"amount": amount, "currency": "INR"}
            )
            assert r.status_code == 201, r.text
    return (
        Account(partner["auth_id"], partner["auth_token"], "INR"),
        Account(customer["auth_id"], customer["auth_token"], "INR"),
    )
