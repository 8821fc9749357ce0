"""SDK tests run against a real ``didstore serve`` process (see tests/live_server.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from didstore.client import Client
from tests.live_server import Account, LiveServer, run_server


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from run_server(tmp_path_factory.mktemp("sdk-server"), "sdk")


@pytest.fixture
def account(live: LiveServer) -> Account:
    return live.create_account(balance=10000)


@pytest.fixture
def client(live: LiveServer, account: Account) -> Iterator[Client]:
    with Client(account.auth_id, account.auth_token, base_url=live.url) as c:
        c._settings.backoff_base = 0.01  # keep retry tests fast
        yield c
