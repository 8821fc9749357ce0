"""Webhooks end to end: real HTTP receivers on loopback verify every delivery with the
``standardwebhooks`` library; a receiver that is down, then back, loses nothing and gets
nothing of another account's; retries end after 24 h; an endpoint failing for good is
disabled; a rotated secret keeps signing for its grace (both databases)."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from didstore.clock import FixedClock
from didstore.db.tables import webhook_deliveries
from didstore.services.webhook_delivery import DISABLE_AFTER
from tests.conftest import IN_NUMBERS, admin_headers, buy, make_account, stock
from tests.support import TestServices
from tests.webhook_receiver import Receiver, subscribe

pytestmark = pytest.mark.private_webhooks


def _verified(receiver: Receiver, secret: str) -> list[dict[str, object]]:
    hook = Webhook(secret)
    return [hook.verify(body, headers) for headers, body in receiver.received]


def test_signed_deliveries_reach_the_right_receivers(
    client: TestClient, state: TestServices, receivers: list[Receiver]
) -> None:
    a, b = make_account(state, balance=5000), make_account(state, balance=5000)
    stock(state, IN_NUMBERS[:3])
    buy(state, a, IN_NUMBERS[0])  # before any endpoint: not delivered
    hook_a = subscribe(client, a, receivers[0].url)
    hook_b = subscribe(client, b, receivers[1].url, event_types=["number.purchased"])
    r = client.post(
        "/api/v1/admin/webhooks", json={"url": receivers[2].url}, headers=admin_headers()
    )
    assert r.status_code == 201, r.text
    hook_ops = r.json()
    assert str(hook_a["secret"]).startswith("whsec_")
    buy(state, a, IN_NUMBERS[1])
    buy(state, b, IN_NUMBERS[2])

    report = state.jobs.run("webhooks")
    assert report.webhooks_delivered == 4

    got_a = _verified(receivers[0], str(hook_a["secret"]))
    got_b = _verified(receivers[1], str(hook_b["secret"]))
    got_ops = _verified(receivers[2], str(hook_ops["secret"]))
    assert [(e["account_id"], e["data"]["e164"]) for e in got_a] == [  # type: ignore[index]
        (a.auth_id, IN_NUMBERS[1])
    ]
    assert [(e["account_id"], e["data"]["e164"]) for e in got_b] == [  # type: ignore[index]
        (b.auth_id, IN_NUMBERS[2])
    ]
    assert len(got_ops) == 2
    # the body is the event as the feed shows it; the webhook-id is the event's
    feed = client.get(f"/api/v1/Account/{a.auth_id}/events", headers=a.headers).json()
    assert got_a[0] == feed["events"][-1]
    assert receivers[0].received[0][0]["webhook-id"] == f"evt_{feed['events'][-1]['id']}"
    # a wrong secret does not verify
    with pytest.raises(WebhookVerificationError):
        _verified(receivers[0], str(hook_b["secret"]))
    # nothing more to send: a second run sends nothing again
    assert state.jobs.run("webhooks").webhooks_delivered == 0
    assert len(receivers[0].received) == 1

    log = client.get(
        f"/api/v1/Account/{a.auth_id}/webhooks/{hook_a['id']}/deliveries", headers=a.headers
    ).json()["deliveries"]
    assert [(d["status"], d["last_status_code"]) for d in log] == [("delivered", 200)]
    assert log[0]["attempt_log"][0]["status_code"] == 200


def test_a_receiver_down_then_back_loses_nothing(
    client: TestClient, state: TestServices, clock: FixedClock, receivers: list[Receiver]
) -> None:
    a, b = make_account(state, balance=5000), make_account(state, balance=5000)
    stock(state, IN_NUMBERS[:6])
    hook_a = subscribe(client, a, receivers[0].url)
    hook_b = subscribe(client, b, receivers[1].url)
    receivers[0].status = 503  # a is down
    for n in IN_NUMBERS[:3]:
        buy(state, a, n)
    for n in IN_NUMBERS[3:6]:
        buy(state, b, n)
    first = state.jobs.run("webhooks")
    assert (first.webhooks_delivered, first.webhooks_failed) == (3, 0)  # b's
    assert len(receivers[0].received) == 3  # tried, answered 503
    # still down for a few retries, with the backoff growing
    for _ in range(3):
        clock.set(clock.now() + timedelta(minutes=10))
        state.jobs.run("webhooks")
    receivers[0].status = 200
    state.jobs.run("webhooks")  # not due yet: nothing sent
    tried = len(receivers[0].received)
    clock.set(clock.now() + timedelta(hours=1))
    state.jobs.run("webhooks")
    assert len(receivers[0].received) == tried + 3

    ok = [orjson.loads(body) for headers, body in receivers[0].received[-3:]]
    assert sorted(e["data"]["e164"] for e in ok) == IN_NUMBERS[:3]
    for receiver, hook, acct in ((receivers[0], hook_a, a), (receivers[1], hook_b, b)):
        events = _verified(receiver, str(hook["secret"]))
        assert {e["account_id"] for e in events} == {acct.auth_id}  # none of the other's
    log = client.get(
        f"/api/v1/Account/{a.auth_id}/webhooks/{hook_a['id']}/deliveries", headers=a.headers
    ).json()["deliveries"]
    assert all(d["status"] == "delivered" for d in log) and len(log) == 3
    codes = [x["status_code"] for x in log[0]["attempt_log"]]
    assert codes[0] == 503 and codes[-1] == 200
    gaps = [x["at"] for x in log[0]["attempt_log"]]
    assert gaps == sorted(gaps)


def test_retries_end_after_24h_and_the_endpoint_is_disabled(
    client: TestClient, state: TestServices, clock: FixedClock, receivers: list[Receiver]
) -> None:
    a = make_account(state, balance=50000)
    stock(state, IN_NUMBERS[:DISABLE_AFTER])
    hook = subscribe(client, a, receivers[0].url, event_types=["number.purchased"])
    path = f"/api/v1/Account/{a.auth_id}/webhooks/{hook['id']}"
    receivers[0].status = 500
    for n in IN_NUMBERS[:DISABLE_AFTER]:
        buy(state, a, n)
    start = clock.now()
    while clock.now() - start < timedelta(hours=30):
        state.jobs.run("webhooks")
        clock.set(clock.now() + timedelta(hours=2))
    with state.db.read() as conn:
        statuses = conn.execute(select(webhook_deliveries.c.status)).scalars().all()
    assert statuses == ["failed"] * DISABLE_AFTER
    attempts = len(receivers[0].received) // DISABLE_AFTER
    assert attempts >= 10  # retried all along the 24 h
    endpoint = client.get(path, headers=a.headers).json()
    assert endpoint["enabled"] is False and endpoint["failed_deliveries"] == DISABLE_AFTER
    assert endpoint["disabled_reason"]

    # back: re-enable, redeliver one by hand
    receivers[0].status = 200
    assert client.post(path + "/enable", headers=a.headers).json()["enabled"] is True
    one = client.get(path + "/deliveries", headers=a.headers).json()["deliveries"][0]
    r = client.post(path + f"/deliveries/{one['id']}/redeliver", headers=a.headers)
    assert r.status_code == 202
    sent = len(receivers[0].received)
    state.jobs.run("webhooks")
    assert len(receivers[0].received) == sent + 1
    again = client.get(path + "/deliveries", headers=a.headers).json()["deliveries"][0]
    assert (again["id"], again["status"]) == (one["id"], "delivered")


def test_a_rotated_secret_keeps_signing_for_its_grace(
    client: TestClient, state: TestServices, clock: FixedClock, receivers: list[Receiver]
) -> None:
    a = make_account(state, balance=5000)
    stock(state, IN_NUMBERS[:2])
    hook = subscribe(client, a, receivers[0].url)
    path = f"/api/v1/Account/{a.auth_id}/webhooks/{hook['id']}"
    r = client.post(path + "/rotate-secret", json={"keep_old_seconds": 3600}, headers=a.headers)
    assert r.status_code == 200, r.text
    rotated = r.json()
    assert rotated["secret"] != hook["secret"] and rotated["previous_secret_expires_at"]
    buy(state, a, IN_NUMBERS[0])
    state.jobs.run("webhooks")
    # during the grace both secrets verify the same delivery
    assert _verified(receivers[0], str(hook["secret"])) == _verified(
        receivers[0], str(rotated["secret"])
    )
    clock.set(clock.now() + timedelta(hours=2))
    buy(state, a, IN_NUMBERS[1])
    state.jobs.run("webhooks")
    latest = receivers[0].received[-1]
    Webhook(str(rotated["secret"])).verify(latest[1], latest[0])
    with pytest.raises(WebhookVerificationError):
        Webhook(str(hook["secret"])).verify(latest[1], latest[0])


def test_two_workers_at_once_send_each_event_once(
    client: TestClient,
    state: TestServices,
    racers: list[TestServices],
    receivers: list[Receiver],
) -> None:
    """Workers racing on one database split the work (the endpoint's fan-out and each
    delivery are claimed under a lock): every event arrives, none twice."""
    from tests.support import run_together, unexpected

    a = make_account(state, balance=50000)
    stock(state, IN_NUMBERS[:12])
    hook = subscribe(client, a, receivers[0].url, event_types=["number.purchased"])
    for n in IN_NUMBERS[:12]:
        buy(state, a, n)

    def deliver(s: TestServices) -> object:
        return s.jobs.run("webhooks")

    out = run_together(racers, [deliver] * 4)
    assert not unexpected(out)
    got = _verified(receivers[0], str(hook["secret"]))
    assert sorted(e["data"]["e164"] for e in got) == IN_NUMBERS[:12]  # type: ignore[index]


def test_an_internationalised_url_is_delivered_to_and_stops_no_one_else(
    client: TestClient, state: TestServices, receivers: list[Receiver]
) -> None:
    """A probe found that an endpoint URL with a non-ASCII host (accepted when stored) made
    the HTTP client raise TypeError inside the delivery run: the run died every time, and
    no endpoint of any account got its deliveries. The host is now sent IDNA-encoded, and
    whatever one attempt raises is that delivery's failure."""
    a, b = make_account(state, balance=5000), make_account(state, balance=5000)
    stock(state, IN_NUMBERS[:2])
    odd = subscribe(client, a, "http://exämple.invalid/hook")
    hook_b = subscribe(client, b, receivers[0].url)
    buy(state, a, IN_NUMBERS[0])
    buy(state, b, IN_NUMBERS[1])

    report = state.jobs.run("webhooks")
    assert report.webhooks_delivered == 1
    assert [e["account_id"] for e in _verified(receivers[0], str(hook_b["secret"]))] == [b.auth_id]
    log = client.get(
        f"/api/v1/Account/{a.auth_id}/webhooks/{odd['id']}/deliveries", headers=a.headers
    ).json()["deliveries"]
    assert [d["status"] for d in log] == ["pending"]  # failed once, to be retried
    error = log[0]["attempt_log"][0]["error"]
    assert "does not resolve" in error and "xn--" in error, error
