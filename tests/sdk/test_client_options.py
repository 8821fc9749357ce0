"""The one base both flavours share: settings from arguments and the environment, headers,
``with_options``, ``max_retries``, ``timeout`` and closing. Each test runs in both flavours."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from didstore.client import APITimeoutError, AsyncClient, Client
from tests.live_server import Account, LiveServer
from tests.sdk.flavours import Flavour
from tests.sdk.transports import Recording


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers (for timeouts)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield int(server.getsockname()[1])


def test_settings_come_from_arguments_then_environment(
    monkeypatch: pytest.MonkeyPatch, flavour: Flavour
) -> None:
    monkeypatch.setenv("DIDSTORE_URL", "http://env.example:9/")
    monkeypatch.setenv("DIDSTORE_AUTH_ID", "MA_ENV")
    monkeypatch.setenv("DIDSTORE_AUTH_TOKEN", "env-token")
    from_env = flavour.unwrap(flavour.client())
    assert (from_env.base_url, from_env.auth_id) == ("http://env.example:9", "MA_ENV")
    assert (from_env.max_retries, from_env.timeout) == (2, 30.0)
    given = flavour.unwrap(
        flavour.client("MA_ARG", "t", base_url="http://arg.example", timeout=5, max_retries=0)
    )
    assert (given.base_url, given.auth_id, given.max_retries, given.timeout) == (
        "http://arg.example",
        "MA_ARG",
        0,
        5,
    )
    name = "AsyncClient" if flavour.is_async else "Client"
    assert repr(given) == f"{name}(base_url='http://arg.example', auth_id='MA_ARG')"
    with pytest.raises(ValueError, match="max_retries"):
        flavour.client(max_retries=-1)
    with pytest.raises(ValueError, match="timeout"):
        flavour.client(timeout=0)


def test_with_options_changes_settings_and_shares_the_pool(
    live: LiveServer, account: Account, flavour: Flavour
) -> None:
    recording = Recording()
    base = flavour.client(
        account.auth_id,
        account.auth_token,
        base_url=live.url,
        transport=recording,
        headers={"X-Trace": "a"},
    )
    clone = base.with_options(max_retries=0, timeout=7, headers={"X-Extra": "b"})
    real_base, real_clone = flavour.unwrap(base), flavour.unwrap(clone)
    assert type(real_clone) is type(real_base)
    assert (real_clone.max_retries, real_clone.timeout) == (0, 7)
    assert (real_base.max_retries, real_base.timeout) == (2, 30.0)
    assert real_clone.auth_id == account.auth_id
    assert clone.balance.get_balance(account.auth_id, "INR").balance == 10000
    sent = recording.requests[-1]  # the clone sent through the base's pool (its transport)
    assert (sent.headers["X-Trace"], sent.headers["X-Extra"]) == ("a", "b")
    assert sent.headers["X-Auth-ID"] == account.auth_id
    clone.close()  # a clone never closes the shared pool
    assert base.balance.get_balance(account.auth_id, "INR").balance == 10000


def test_with_options_timeout_applies_to_the_shared_pool(
    flavour: Flavour, silent_port: int
) -> None:
    """The timeout is sent with each request, so a clone's shorter timeout holds even though
    its pool was made by a client with a 30 s timeout."""
    patient = flavour.client("MA_X", "t", base_url=f"http://127.0.0.1:{silent_port}")
    hasty = patient.with_options(timeout=0.3, max_retries=0)
    started = time.monotonic()
    with pytest.raises(APITimeoutError):
        hasty.balance.get_balance("MA_X", "INR")
    assert time.monotonic() - started < 5


def test_timeouts_are_retried_then_raised(flavour: Flavour, silent_port: int) -> None:
    recording = Recording()
    client = flavour.client(
        "MA_X",
        "t",
        base_url=f"http://127.0.0.1:{silent_port}",
        timeout=0.2,
        max_retries=1,
        transport=recording,
    )
    with pytest.raises(APITimeoutError):
        client.balance.get_balance("MA_X", "INR")
    assert len(recording.requests) == 2


def test_operator_token_goes_as_bearer(live: LiveServer, flavour: Flavour) -> None:
    recording = Recording()
    operator = flavour.client(
        auth_token="test-operator-token", base_url=live.url, transport=recording
    )
    account = live.create_account(balance=50)
    assert operator.balance.get_balance(account.auth_id, "INR").balance == 50
    sent = recording.requests[-1]
    assert sent.headers["Authorization"] == "Bearer test-operator-token"
    assert "X-Auth-ID" not in sent.headers


def test_a_client_closes_only_the_pool_it_made(live: LiveServer, account: Account) -> None:
    import asyncio

    import httpx

    with Client(account.auth_id, account.auth_token, base_url=live.url) as own:
        own.balance.get_balance(account.auth_id, "INR")
    with pytest.raises(RuntimeError, match="closed"):  # its own pool: closed with it
        own.balance.get_balance(account.auth_id, "INR")
    given = httpx.Client()
    with Client(account.auth_id, account.auth_token, base_url=live.url, http_client=given):
        pass
    assert not given.is_closed
    given.close()

    async def main() -> None:
        async with AsyncClient(account.auth_id, account.auth_token, base_url=live.url) as a:
            await a.balance.get_balance(account.auth_id, "INR")
        with pytest.raises(RuntimeError, match="closed"):
            await a.balance.get_balance(account.auth_id, "INR")

    asyncio.run(main())
