"""The limits a real socket is needed for (issue 14 item 2, ADR 0015), against a real
``didstore serve`` process: a 1 MB header, half-sent headers and bodies, a chunked body past
the cap, a Content-Length past it, and the rate limit over HTTP."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import orjson
import pytest

from tests.conftest import BACKEND, drop_database, new_database_url
from tests.live_server import LiveServer, serve_process

pytestmark = pytest.mark.e2e

LIMITS = {
    "DIDSTORE_RATE_LIMIT": "20",
    "DIDSTORE_MAX_BODY_BYTES": "65536",
    "DIDSTORE_BODY_TIMEOUT": "1",
    "DIDSTORE_HEADER_TIMEOUT": "1",
    "DIDSTORE_MAX_HEADER_BYTES": "16384",
}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("limits")
    database_url = new_database_url(tmp, "limits")
    saved = {name: os.environ.get(name) for name in LIMITS}
    os.environ.update(LIMITS)  # the server process inherits them (tests/live_server.py)
    try:
        with serve_process(tmp, database_url) as url:
            yield LiveServer(url, database_url)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        drop_database(database_url)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    closed: bool  # the server closed the connection after answering
    seconds: float


def _exchange(live: LiveServer, *parts: bytes, pause: float = 0.0, wait: float = 10.0) -> Answer:
    """Send ``parts`` on a raw connection (``pause`` seconds between them), then read until
    the server closes it or ``wait`` seconds pass."""
    target = urlsplit(live.url)
    started = time.monotonic()
    with socket.create_connection((target.hostname, target.port), timeout=wait) as sock:
        for part in parts:
            try:
                sock.sendall(part)
            except (BrokenPipeError, ConnectionResetError):
                break  # the server answered and closed while we were still sending
            time.sleep(pause)
        data, closed = b"", False
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    closed = True
                    break
                data += chunk
        except TimeoutError:
            pass
        except ConnectionResetError:
            closed = True
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines[0] else 0
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Answer(status, headers, body, closed, time.monotonic() - started)


def _healthy(live: LiveServer) -> bool:
    return httpx.get(f"{live.url}/healthz", timeout=5).status_code == 200


def test_a_1_mb_header_is_refused_with_431_and_the_connection_closed(live: LiveServer) -> None:
    answer = _exchange(
        live, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 1_000_000 + b"\r\n\r\n"
    )
    assert answer.status == 431
    assert orjson.loads(answer.body)["error"] == "headers_too_large"
    assert answer.closed
    assert _healthy(live)


def test_a_body_larger_than_the_header_cap_is_not_counted_as_headers(live: LiveServer) -> None:
    """Headers and a whole 40 KB body (over the 16 KiB header cap, under the 64 KiB body
    cap) sent in one write usually arrive in one read: the bytes past the end of the headers
    are body, and the request reaches the application (here a bulk job too large, 400).
    A probe found such requests refused with 431 ``headers_too_large`` now and then."""
    account = live.create_account()
    body = orjson.dumps(
        {"action": "purchase", "numbers": [f"+9180410{i:05d}" for i in range(2300)]}
    )
    assert 16384 < len(body) < 65536
    head = (
        f"POST /api/v1/Account/{account.auth_id}/jobs HTTP/1.1\r\n"
        f"Host: x\r\nX-Auth-ID: {account.auth_id}\r\nX-Auth-Token: {account.auth_token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    for _ in range(5):
        answer = _exchange(live, head + body)
        assert answer.status == 400, answer.body
        assert orjson.loads(answer.body)["error"] == "bulk_job_too_large"


def test_a_header_the_parser_refuses_gets_the_json_envelope(live: LiveServer) -> None:
    """A control character in a header (``Accept: \\x7f``) is refused by the HTTP parser
    before the application sees the request: still 400 with the documented envelope."""
    answer = _exchange(live, b"GET /healthz HTTP/1.1\r\nHost: x\r\nAccept: \x7f\r\n\r\n")
    assert answer.status == 400
    assert answer.headers["content-type"] == "application/json"
    assert orjson.loads(answer.body)["error"] == "invalid_request"
    assert answer.closed
    assert _healthy(live)


def test_headers_that_never_finish_get_408_and_the_connection_closed(live: LiveServer) -> None:
    answer = _exchange(live, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    assert answer.status == 408
    assert answer.closed
    assert 0.5 < answer.seconds < 8


def test_a_half_sent_body_gets_408_and_the_connection_closed(live: LiveServer) -> None:
    account = live.create_account()
    head = (
        f"POST /api/v1/Account/{account.auth_id}/numbers/purchase-from-inventory HTTP/1.1\r\n"
        f"Host: x\r\nX-Auth-ID: {account.auth_id}\r\nX-Auth-Token: {account.auth_token}\r\n"
        "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    ).encode()
    answer = _exchange(live, head + b'{"e164": "+91')
    assert answer.status == 408
    assert orjson.loads(answer.body)["error"] == "request_timeout"
    assert answer.headers["connection"] == "close"
    assert answer.closed
    assert 0.5 < answer.seconds < 8
    assert _healthy(live)


def test_a_content_length_over_the_cap_is_413_without_sending_the_body(
    live: LiveServer,
) -> None:
    head = (
        b"POST /api/v1/admin/accounts HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/json\r\nContent-Length: 200000000\r\n\r\n"
    )
    answer = _exchange(live, head)
    assert answer.status == 413
    assert orjson.loads(answer.body) == {
        "error": "payload_too_large",
        "message": "request body larger than 65536 bytes",
        "max_bytes": 65536,
    }
    assert answer.closed
    assert answer.seconds < 5


def test_a_chunked_body_is_refused_once_it_passes_the_cap(live: LiveServer) -> None:
    head = (
        b"POST /api/v1/admin/accounts HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"4000\r\n" + b"x" * 0x4000 + b"\r\n"  # 16 KiB
    # 64 chunks (1 MiB) offered; the cap is 64 KiB: refused after the fifth
    answer = _exchange(live, head, *([chunk] * 64), pause=0.01)
    assert answer.status == 413
    assert orjson.loads(answer.body)["error"] == "payload_too_large"
    assert answer.closed
    assert _healthy(live)


def test_the_rate_limit_holds_over_http(live: LiveServer) -> None:
    account = live.create_account()
    headers = {"X-Auth-ID": account.auth_id, "X-Auth-Token": account.auth_token}
    url = f"{live.url}/api/v1/Account/{account.auth_id}/numbers"
    with httpx.Client(headers=headers, timeout=10) as http:
        answers = [http.get(url) for _ in range(30)]
    statuses = [r.status_code for r in answers]
    assert statuses == [200] * 20 + [429] * 10
    refused = answers[-1]
    assert refused.json()["error"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["RateLimit-Limit"] == "20"
    assert refused.headers["RateLimit-Remaining"] == "0"


def test_two_server_processes_share_one_limit_on_postgresql(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Two real ``didstore serve`` processes on one PostgreSQL database (as ``--workers 2``):
    requests alternating between them are counted together."""
    if BACKEND != "postgresql":
        pytest.skip("SQLite runs one server process; its counters are in memory")
    tmp = tmp_path_factory.mktemp("limits-two")
    database_url = new_database_url(tmp, "limits_two")
    limits = {"DIDSTORE_RATE_LIMIT": "10", "DIDSTORE_RATE_LIMIT_SYNC": "0"}
    saved = {name: os.environ.get(name) for name in limits}
    os.environ.update(limits)
    try:
        (tmp / "a").mkdir()
        (tmp / "b").mkdir()
        with (
            serve_process(tmp / "a", database_url) as first,
            serve_process(tmp / "b", database_url) as second,
        ):
            account = LiveServer(first, database_url).create_account()
            headers = {"X-Auth-ID": account.auth_id, "X-Auth-Token": account.auth_token}
            path = f"/api/v1/Account/{account.auth_id}/numbers"
            with httpx.Client(headers=headers, timeout=10) as http:
                statuses = [http.get((first, second)[i % 2] + path).status_code for i in range(14)]
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        drop_database(database_url)
    assert statuses == [200] * 10 + [429] * 4
