"""The event feed and webhook endpoints through the SDK against a real server, in both
flavours (deliveries themselves: tests/services/test_webhook_delivery.py)."""

from __future__ import annotations

import pytest

from didstore.client import BadRequestError, Client, ConflictError, NotFoundError
from tests.conftest import ADMIN_TOKEN
from tests.live_server import Account, LiveServer
from tests.sdk.flavours import Flavour

PUBLIC = "https://1.1.1.1/didstore-hook"  # a literal public address: no DNS needed


def test_the_feed_pages_with_next_after(
    live: LiveServer, client: Client, account: Account, flavour: Flavour
) -> None:
    numbers = live.stock(3)
    for n in numbers:
        client.phone_numbers.purchase_from_inventory(account.auth_id, n)
    page = client.events.list(account.auth_id, limit=2)
    assert [e.data["e164"] for e in page.events] == numbers[:2]
    assert page.events[0].type == "number.purchased"
    assert page.events[0].account_id == account.auth_id
    rest = client.events.list(account.auth_id, after=page.next_after)
    assert [e.data["e164"] for e in rest.events] == numbers[2:]
    none = client.events.list(account.auth_id, after=rest.next_after, types=["number.released"])
    assert none.events == [] and none.next_after == rest.next_after
    with pytest.raises(BadRequestError):
        client.events.list(account.auth_id, types=["number.nope"])
    operator = flavour.client(None, ADMIN_TOKEN, base_url=live.url)
    everything = operator.events.list(None, after=page.events[0].id - 1, limit=1000)
    assert {e.data["e164"] for e in everything.events} >= set(numbers)


def test_webhook_endpoints(client: Client, account: Account) -> None:
    hook = client.webhooks.create(account.auth_id, PUBLIC, ["number.purchased"])
    assert hook.secret and hook.secret.startswith("whsec_")
    assert hook.event_types == ["number.purchased"] and hook.enabled
    listed = client.webhooks.list(account.auth_id)
    assert [h.id for h in listed] == [hook.id] and listed[0].secret is None
    assert client.webhooks.get(account.auth_id, hook.id).url == PUBLIC
    rotated = client.webhooks.rotate_secret(account.auth_id, hook.id, keep_old_seconds=60)
    assert rotated.secret != hook.secret and rotated.previous_secret_expires_at
    assert client.webhooks.enable(account.auth_id, hook.id).enabled
    assert client.webhooks.deliveries(account.auth_id, hook.id) == []
    with pytest.raises(NotFoundError):
        client.webhooks.redeliver(account.auth_id, hook.id, "no-such-delivery")
    with pytest.raises(BadRequestError):  # loopback: not without the operator setting
        client.webhooks.create(account.auth_id, "http://127.0.0.1:9/hook")
    client.webhooks.delete(account.auth_id, hook.id)
    with pytest.raises(NotFoundError):
        client.webhooks.get(account.auth_id, hook.id)


def test_the_deletion_lock(live: LiveServer, client: Client, account: Account) -> None:
    [number] = live.stock(1)
    client.phone_numbers.purchase_from_inventory(account.auth_id, number)
    assert client.phone_numbers.get_number_lock(account.auth_id, number).locked is False
    locked = client.phone_numbers.lock_number(account.auth_id, number)
    assert locked.locked and locked.locked_by == account.auth_id
    with pytest.raises(ConflictError) as refused:
        client.phone_numbers.unrent_number(account.auth_id, number)
    assert refused.value.code == "number_locked"
    assert client.phone_numbers.unlock_number(account.auth_id, number).locked is False
    assert client.phone_numbers.unrent_number(account.auth_id, number).status == "pending_release"
