"""End-to-end fixtures: a real ``didstore serve`` process on a free port, on a fresh database
of the backend chosen by DIDSTORE_TEST_DB, and helpers that set data up through the operator
HTTP API (never through the database), as an operator would."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import AccountHandle, drop_database, new_database_url
from tests.live_server import serve_process

E2E_ADMIN_TOKEN = "e2e-operator-token"


@dataclass(frozen=True)
class Server:
    base_url: str  # http://127.0.0.1:PORT
    admin_token: str
    log: Path
    database_url: str = ""

    @property
    def api_v1(self) -> str:
        return f"{self.base_url}/api/v1"

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("e2e")
    url = new_database_url(workdir, "e2e")
    try:
        with serve_process(workdir, url, E2E_ADMIN_TOKEN) as base:
            yield Server(base, E2E_ADMIN_TOKEN, workdir / "server.log", url)
    finally:
        drop_database(url)


# -- operator API helpers ---------------------------------------------------------------------
_serial = itertools.count(1)


def fresh_numbers(count: int, country: str = "IN") -> list[str]:
    """Numbers no other e2e test has used in this session (valid per ``phonenumbers``)."""
    out = []
    for _ in range(count):
        n = next(_serial)
        out.append(f"+918050{n:06d}" if country == "IN" else f"+1415555{n % 10000:04d}")
    return out


class Operator:
    """The platform operator, through ``Authorization: Bearer <token>``."""

    def __init__(self, srv: Server) -> None:
        self.srv = srv
        self.http = httpx.Client(
            base_url=srv.api_v1,
            headers={"Authorization": f"Bearer {srv.admin_token}"},
            timeout=30,
        )

    def _post(self, path: str, body: dict[str, Any], expect: int) -> dict[str, Any]:
        r = self.http.post(path, json=body)
        assert r.status_code == expect, f"POST {path}: {r.status_code} {r.text}"
        data: dict[str, Any] = r.json()
        return data

    def create_account(
        self, *, currency: str = "INR", release_fee: int = 0, name: str = "E2E account"
    ) -> AccountHandle:
        data = self._post(
            "/admin/accounts",
            {"name": name, "currency": currency, "release_fee": release_fee},
            201,
        )
        assert data["auth_id"].startswith("MA_")
        return AccountHandle(data["auth_id"], data["auth_token"])

    def credit(self, auth_id: str, amount: int, currency: str = "INR") -> dict[str, Any]:
        return self._post(
            f"/admin/accounts/{auth_id}/credit",
            {"amount": amount, "currency": currency, "description": "e2e top-up"},
            201,
        )

    def funded_account(
        self, balance: int, *, currency: str = "INR", release_fee: int = 0
    ) -> AccountHandle:
        handle = self.create_account(currency=currency, release_fee=release_fee)
        if balance:
            self.credit(handle.auth_id, balance, currency)
        return handle

    def stock(
        self,
        numbers: list[str],
        *,
        setup_fee: int = 100,
        monthly_fee: int = 300,
        currency: str = "INR",
        **extra: Any,
    ) -> dict[str, Any]:
        rows = [
            {
                "e164": n,
                "region": "Karnataka" if n.startswith("+91") else "California",
                "setup_fee": setup_fee,
                "monthly_fee": monthly_fee,
                "currency": currency,
                **extra,
            }
            for n in numbers
        ]
        report = self._post("/admin/inventory", {"numbers": rows}, 200)
        assert report["errors"] == [] and report["created"] == len(numbers), report
        return report

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        return self._post("/admin/clock", {"advance_seconds": seconds}, 200)


@pytest.fixture(scope="session")
def operator(server: Server) -> Iterator[Operator]:
    op = Operator(server)
    yield op
    op.http.close()
