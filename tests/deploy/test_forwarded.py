"""What the server believes about the client address behind a reverse proxy
(docs/deployment.md, "Reverse proxy and TLS"): ``X-Forwarded-For`` counts only from a
peer listed in ``FORWARDED_ALLOW_IPS`` (default: loopback), and then the right-most address
that is not itself a trusted proxy is the client. The audit log records it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ADMIN_TOKEN, drop_database, new_database_url
from tests.live_server import serve_process

pytestmark = pytest.mark.e2e


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    url = new_database_url(tmp_path, "xff")
    yield url
    drop_database(url)


def audited_ip(base_url: str, forwarded_for: str | None) -> str:
    """Create an account with this X-Forwarded-For; the source_ip its audit row records
    (and the proxy's X-Request-ID is the request id of that row)."""
    request_id = uuid.uuid4().hex
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}", "X-Request-ID": request_id}
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as http:
        created = http.post("/api/v1/admin/accounts", json={"name": "xff", "currency": "INR"})
        assert created.status_code == 201, created.text
        assert created.headers["x-request-id"] == request_id
        auth_id = created.json()["auth_id"]
        audit = http.get("/api/v1/admin/audit", params={"account_id": auth_id})
        assert audit.status_code == 200, audit.text
    [entry] = [e for e in audit.json()["objects"] if e["action"] == "account.create"]
    assert entry["request_id"] == request_id
    return str(entry["source_ip"])


def test_a_loopback_proxy_is_trusted_by_default(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    with serve_process(tmp_path, database) as url:
        assert audited_ip(url, None) == "127.0.0.1"
        assert audited_ip(url, "203.0.113.9") == "203.0.113.9"
        # a client-supplied first hop is ignored: the proxy's own append is what counts
        assert audited_ip(url, "198.51.100.66, 203.0.113.9") == "203.0.113.9"


def test_a_peer_not_in_forwarded_allow_ips_cannot_claim_an_address(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "192.0.2.10")
    with serve_process(tmp_path, database) as url:
        assert audited_ip(url, "203.0.113.9") == "127.0.0.1"
