"""End to end: the real server process, the real ``didstore worker`` process delivering, a
real receiver on loopback verifying with ``standardwebhooks``; the SDK and the CLI."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook

from didstore.client import Client
from tests.cli.conftest import Cli
from tests.conftest import drop_database, new_database_url
from tests.live_server import DIDSTORE, LiveServer, serve_process
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def hooks_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server (and database) of its own that lets webhooks point at loopback."""
    tmp = tmp_path_factory.mktemp("hooks-server")
    database_url = new_database_url(tmp, "hooks")
    before = os.environ.get("DIDSTORE_ALLOW_PRIVATE_WEBHOOKS")
    os.environ["DIDSTORE_ALLOW_PRIVATE_WEBHOOKS"] = "1"
    try:
        with serve_process(tmp, database_url) as url:
            yield LiveServer(url, database_url)
    finally:
        if before is None:
            os.environ.pop("DIDSTORE_ALLOW_PRIVATE_WEBHOOKS", None)
        else:
            os.environ["DIDSTORE_ALLOW_PRIVATE_WEBHOOKS"] = before
        drop_database(database_url)


@pytest.fixture
def worker(hooks_server: LiveServer, tmp_path: Path) -> Iterator[None]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIDSTORE_")}
    env["DIDSTORE_ALLOW_PRIVATE_WEBHOOKS"] = "1"
    log = (tmp_path / "worker.log").open("wb")
    proc = subprocess.Popen(
        [DIDSTORE, "worker", "--interval", "3600", "--database-url", hooks_server.database_url],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def _wait_for(predicate: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_the_worker_delivers_signed_events_and_the_cli_shows_them(
    hooks_server: LiveServer, worker: None
) -> None:
    live = hooks_server
    account = live.create_account(balance=2000)
    receiver = Receiver()
    try:
        with Client(account.auth_id, account.auth_token, base_url=live.url) as client:
            hook = client.webhooks.create(account.auth_id, receiver.url, ["number.purchased"])
            assert hook.secret and hook.secret.startswith("whsec_")
            [number] = live.stock(1)
            client.phone_numbers.purchase_from_inventory(account.auth_id, number)
            _wait_for(lambda: len(receiver.received) >= 1)
            headers, body = receiver.received[0]
            event = Webhook(hook.secret).verify(body, headers)
            assert (event["type"], event["data"]["e164"]) == ("number.purchased", number)
            page = client.events.list(account.auth_id)
            assert [e.id for e in page.events] == [event["id"]]
            assert page.next_after == event["id"]
            assert [h.id for h in client.webhooks.list(account.auth_id)] == [hook.id]
            _wait_for(
                lambda: (
                    client.webhooks.deliveries(account.auth_id, hook.id)[0].status == "delivered"
                )
            )

        cli = Cli(live, account)
        listed = cli("events", "list", "--json")
        assert listed.code == 0, listed.stderr
        assert [e["type"] for e in listed.json()["events"]] == ["number.purchased"]
        assert cli("events", "list", "--type", "number.nope").code == 1
        hooks = cli("webhooks", "list", "--json").json()
        assert [h["id"] for h in hooks] == [hook.id]
        log = cli("webhooks", "deliveries", hook.id, "--json").json()
        assert log[0]["last_status_code"] == 200
        assert cli("webhooks", "delete", hook.id).code == 2  # needs --yes
        assert cli("webhooks", "delete", hook.id, "--yes").code == 0
        assert cli("webhooks", "list", "--json").json() == []
        made = cli("webhooks", "create", receiver.url, "-t", "number.released", "--json")
        assert made.code == 0, made.stderr
        assert made.json()["event_types"] == ["number.released"] and made.json()["secret"]
        locked = cli("numbers", "lock", number, "--json")
        assert locked.code == 0 and locked.json()["locked"] is True, locked.stderr
        refused = cli("numbers", "release", number, "--yes")
        assert refused.code == 1 and "deletion lock" in refused.stdout
        assert cli("numbers", "unlock", number, "--json").json()["locked"] is False
    finally:
        receiver.close()


def test_a_slow_receiver_does_not_hold_up_bulk_jobs(hooks_server: LiveServer, worker: None) -> None:
    """A probe found one customer's slow webhook receiver stalled every account's bulk jobs
    (and the other jobs): the worker sent webhooks and then ran the bulk jobs in one loop,
    so each tick waited for the slowest receiver (up to 30 s an attempt). Deliveries now run
    beside the other jobs: a bulk job completes while a delivery is still being answered."""
    live = hooks_server
    slow_owner = live.create_account(balance=2000)
    other = live.create_account(balance=2000)
    receiver = Receiver()
    receiver.delay = 9.0  # answers just before the delivery's 10 s read timeout
    try:
        with Client(slow_owner.auth_id, slow_owner.auth_token, base_url=live.url) as client:
            client.webhooks.create(slow_owner.auth_id, receiver.url, ["number.purchased"])
            first, second = live.stock(2)
            client.phone_numbers.purchase_from_inventory(slow_owner.auth_id, first)
        _wait_for(lambda: len(receiver.received) >= 1)  # the slow answer is under way
        with Client(other.auth_id, other.auth_token, base_url=live.url) as client:
            job = client.bulk_jobs.submit(other.auth_id, "purchase", numbers=[second])
            _wait_for(lambda: client.bulk_jobs.get(other.auth_id, job.id).status == "completed")
            assert receiver.answered == 0, "the bulk job waited for the slow receiver"
            assert client.bulk_jobs.get(other.auth_id, job.id).progress["succeeded"] == 1
        _wait_for(lambda: receiver.answered == 1)
    finally:
        receiver.close()
