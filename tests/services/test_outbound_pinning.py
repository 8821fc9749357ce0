"""Webhook delivery connects only to an address that passed the outbound-URL rule at that
attempt, and to the very address it checked (services/outbound.PinnedBackend, ADR 0020): a
name resolving to loopback is refused at connect time when private receivers are not
allowed, and a DNS-rebinding name (public for the check, private a moment later) never gets
a request onto the private network."""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from didstore.clock import FixedClock
from didstore.config import Settings
from didstore.db.tables import webhook_deliveries
from didstore.services import events, webhook_delivery
from didstore.services.models import CLI
from didstore.services.outbound import AddressRefused, PinnedBackend
from tests.conftest import make_account
from tests.support import TestServices
from tests.webhook_receiver import Receiver

PUBLIC = "192.0.0.9"  # a globally reachable address (RFC 7723) nothing here listens on
REBINDING = "rebind.didstore-test.example"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, allow_private_webhooks=True)  # to subscribe `localhost`


def _subscribe_and_record(state: TestServices, clock: FixedClock, url: str) -> str:
    acct = make_account(state)
    account = state.accounts.get(acct.auth_id)
    hook = state.webhooks.create(CLI, account, {"url": url})

    async def record() -> None:
        async with state.adb.write() as conn:
            await events.record(
                conn,
                "number.renewed",
                clock.now(),
                account_id=acct.auth_id,
                main_account_id=None,
                data={"e164": "+918040000000"},
            )

    state.run(record())
    return str(hook["id"])


def _log(state: TestServices, endpoint_id: str) -> list[tuple[str, Any, Any]]:
    with state.db.read() as conn:
        d = webhook_deliveries.c
        rows = conn.execute(
            select(d.status, d.last_status_code, d.last_error).where(d.endpoint_id == endpoint_id)
        ).all()
    return [tuple(r) for r in rows]


def test_a_name_resolving_to_loopback_is_refused_at_connect_time(
    state: TestServices, clock: FixedClock, receiver: Receiver
) -> None:
    hook = _subscribe_and_record(state, clock, f"http://localhost:{receiver.port}/hook")
    delivery = state.services.webhook_delivery
    delivery.allow_private = False  # the operator setting is off when the attempt is made
    report = state.jobs.run("webhooks")
    assert (report.webhooks_delivered, receiver.received) == (0, [])
    [(status, code, error)] = _log(state, hook)
    assert (status, code, error) == ("pending", None, "localhost resolves to a non-public address")

    delivery.allow_private = True  # allowed: the same name reaches the receiver, by name
    clock.set(clock.now() + webhook_delivery.MAX_DELAY)
    assert state.jobs.run("webhooks").webhooks_delivered == 1
    [(headers, _body)] = receiver.received
    assert headers["Host"] == f"localhost:{receiver.port}"
    assert _log(state, hook)[0][:2] == ("delivered", 200)


def test_a_rebinding_name_never_reaches_the_private_address(
    state: TestServices,
    clock: FixedClock,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The name answers a public address to the first lookup and loopback (where the
    receiver listens) to every later one. Checking one lookup and connecting with another
    would deliver to the receiver; the pinned connection goes to the public address."""
    answers: list[str] = []
    lookups: list[str] = []
    real = asyncio.base_events.BaseEventLoop.getaddrinfo

    async def rebinding(self: Any, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host  # anyio passes bytes
        if name != REBINDING:
            return await real(self, host, port, *args, **kwargs)
        address = answers.pop(0) if answers else "127.0.0.1"
        lookups.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 0)))]

    monkeypatch.setattr(asyncio.base_events.BaseEventLoop, "getaddrinfo", rebinding)
    monkeypatch.setattr(webhook_delivery, "TIMEOUT", 1.0)  # the public address never answers
    state.services.webhooks.allow_private = False
    state.services.webhook_delivery.allow_private = False
    answers.append(PUBLIC)  # subscription: the name is public
    hook = _subscribe_and_record(state, clock, f"http://{REBINDING}:{receiver.port}/hook")

    answers.append(PUBLIC)  # the attempt: public once, then loopback
    report = state.jobs.run("webhooks")
    assert report.webhooks_delivered == 0
    assert receiver.received == []  # nothing reached the private network
    assert lookups == [PUBLIC, PUBLIC]  # one lookup per attempt: checked and connected alike
    [(status, code, _error)] = _log(state, hook)
    assert (status, code) == ("pending", None)

    # the next attempt resolves to loopback: refused before any connection
    clock.set(clock.now() + webhook_delivery.MAX_DELAY)
    state.jobs.run("webhooks")
    assert receiver.received == []
    assert _log(state, hook)[0][2] == f"{REBINDING} resolves to a non-public address"


def test_the_backend_checks_every_address_it_would_connect_to(state: TestServices) -> None:
    async def scenario() -> tuple[list[str], str]:
        allowed = await PinnedBackend(allow_private=True).addresses("127.0.0.1", 80)
        try:
            await PinnedBackend(allow_private=False).connect_tcp("127.0.0.1", 80)
        except AddressRefused as exc:
            return allowed, str(exc)
        return allowed, ""

    assert state.run(scenario()) == (["127.0.0.1"], "127.0.0.1 resolves to a non-public address")


@pytest.fixture
def tls_receiver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    """An HTTPS receiver on loopback with a certificate for the name ``localhost`` only,
    trusted through ``SSL_CERT_FILE`` (which the delivery's TLS context honours)."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    command = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost"
    san = "subjectAltName=DNS:localhost"
    subprocess.run(
        [*command.split(), "-addext", san, "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    made = Receiver(server_side)
    yield made
    made.close()


def test_tls_checks_the_name_while_connecting_to_the_checked_address(
    state: TestServices, clock: FixedClock, tls_receiver: Receiver
) -> None:
    """Connecting to the pinned IP address keeps TLS on the name: the certificate for
    ``localhost`` verifies for the URL naming it, and not for one naming the address."""
    by_name = _subscribe_and_record(state, clock, f"https://localhost:{tls_receiver.port}/hook")
    by_address = _subscribe_and_record(state, clock, f"https://127.0.0.1:{tls_receiver.port}/hook")
    state.jobs.run("webhooks")
    assert _log(state, by_name)[0][:2] == ("delivered", 200)
    [(status, code, error)] = [r for r in _log(state, by_address)]
    assert (status, code) == ("pending", None) and "CERTIFICATE_VERIFY_FAILED" in error
    assert len(tls_receiver.received) == 1  # the name's delivery only
