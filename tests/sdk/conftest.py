"""SDK tests run against a real ``didstore serve`` process (see tests/live_server.py), each
one twice: with ``Client`` and with ``AsyncClient`` (the ``flavour`` fixture)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from didstore.client import Client
from tests.live_server import Account, LiveServer, run_server
from tests.sdk.flavours import FLAVOURS, Flavour


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from run_server(tmp_path_factory.mktemp("sdk-server"), "sdk")


@pytest.fixture
def account(live: LiveServer) -> Account:
    return live.create_account(balance=10000)


@pytest.fixture(params=FLAVOURS)
def flavour(request: pytest.FixtureRequest) -> Iterator[Flavour]:
    made = Flavour(request.param)
    yield made
    made.close()


@pytest.fixture
def client(live: LiveServer, account: Account, flavour: Flavour) -> Client:
    """The account's client, in the test's flavour (retries back off in milliseconds)."""
    return flavour.client(account.auth_id, account.auth_token, base_url=live.url)
