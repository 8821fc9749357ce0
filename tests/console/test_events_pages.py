"""Events and webhooks in the console (issue 13): the feed paged by its cursor and filtered by
type; webhook endpoints added (secret shown once), their deliveries to a real loopback
receiver with response codes, redelivered, the secret rotated, re-enabled, deleted; the
operator's own feed and endpoints; nothing of another account's reachable."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from standardwebhooks.webhooks import Webhook

from didstore.config import Settings
from didstore.console.web import PER_PAGE
from didstore.db.tables import webhook_endpoints
from didstore.services import events
from tests.conftest import IN_NUMBERS, buy_over_http, make_account, stock
from tests.console.pages import csrf, marked, sign_in, sign_in_operator
from tests.support import TestServices
from tests.webhook_receiver import Receiver


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, allow_private_webhooks=True)  # the receiver is on loopback


def _secret(page: Any) -> str:
    found = re.search(r'data-testid="secret">([^<]+)<', page.text)
    assert found, page.text[:800]
    return found.group(1)


def test_the_feed_pages_by_cursor_and_filters_by_type(
    client: TestClient, state: TestServices
) -> None:
    acct = make_account(state, balance=5000)
    other = make_account(state, balance=5000)
    stock(state, IN_NUMBERS[:2])
    buy_over_http(client, acct, IN_NUMBERS[0])
    buy_over_http(client, other, IN_NUMBERS[1])

    async def more() -> None:  # enough events for a second page
        async with state.adb.write() as conn:
            for i in range(PER_PAGE):
                await events.record(
                    conn,
                    "number.renewed",
                    state.clock.now(),
                    account_id=acct.auth_id,
                    main_account_id=None,
                    data={"e164": f"+9180000{i:05d}"},
                )

    state.run(more())
    sign_in(client, acct.auth_id, acct.token)
    first = client.get("/console/events")
    assert first.status_code == 200 and 'href="/console/events"' in first.text  # in the nav
    types = marked(first, "event-row", "data-type")
    assert len(types) == PER_PAGE and types[0] == "number.purchased"
    assert IN_NUMBERS[1] not in first.text  # another account's event
    [nxt] = re.findall(r'href="([^"]+)" rel="next" data-testid="next-page"', first.text)
    second = client.get(nxt.replace("&amp;", "&"))
    ids = [int(i) for i in marked(first, "event-row", "data-id")]
    later = [int(i) for i in marked(second, "event-row", "data-id")]
    assert len(later) == 1 and later[0] > ids[-1]
    assert 'data-testid="next-page"' not in second.text and "End of the feed" in second.text

    bought = client.get("/console/events", params={"type": "number.purchased"})
    assert marked(bought, "event-row", "data-type") == ["number.purchased"]
    assert client.get("/console/events", params={"type": "number.nope"}).status_code == 400

    sign_in_operator(client)
    everything = client.get("/console/operator/events", params={"type": "number.purchased"})
    assert everything.status_code == 200
    assert len(marked(everything, "event-row", "data-id")) == 2
    sign_in(client, acct.auth_id, acct.token)
    assert client.get("/console/operator/events").status_code == 404


def test_a_webhook_from_the_console_to_a_real_receiver(
    client: TestClient, state: TestServices, receiver: Receiver
) -> None:
    acct = make_account(state, balance=5000)
    stock(state, IN_NUMBERS[:2])
    sign_in(client, acct.auth_id, acct.token)
    page = client.get("/console/webhooks")
    assert page.status_code == 200 and 'name="event_types" value="number.purchased"' in page.text
    added = client.post(
        "/console/webhooks",
        data={"csrf": csrf(page), "url": receiver.url, "event_types": ["number.purchased"]},
    )
    assert added.status_code == 201, added.text
    secret = _secret(added)
    assert secret.startswith("whsec_")
    [hook] = marked(added, "webhook-secret", "data-id")
    listed = client.get("/console/webhooks")
    assert marked(listed, "webhook-row", "data-id") == [hook]
    assert secret not in listed.text  # shown once

    buy_over_http(client, acct, IN_NUMBERS[0])
    assert state.jobs.run("webhooks").webhooks_delivered == 1
    [(headers, body)] = receiver.received
    Webhook(secret).verify(body, headers)  # raises if the signature is wrong
    detail = client.get(f"/console/webhooks/{hook}")
    assert marked(detail, "delivery-row", "data-status") == ["delivered"]
    assert marked(detail, "delivery-row", "data-codes") == ["200"]
    assert secret not in detail.text

    # the receiver fails a delivery, which is redelivered from the page once it is back
    receiver.status = 500
    buy_over_http(client, acct, IN_NUMBERS[1])
    state.jobs.run("webhooks")
    detail = client.get(f"/console/webhooks/{hook}")
    assert marked(detail, "delivery-row", "data-codes") == ["500", "200"]
    [failing, _] = marked(detail, "delivery-row", "data-id")
    receiver.status = 200
    r = client.post(
        f"/console/webhooks/{hook}/deliveries/{failing}/redeliver",
        data={"csrf": csrf(detail)},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == f"/console/webhooks/{hook}"
    assert state.jobs.run("webhooks").webhooks_delivered == 1
    detail = client.get(f"/console/webhooks/{hook}")
    assert marked(detail, "delivery-row", "data-codes") == ["500,200", "200"]
    assert marked(detail, "delivery-row", "data-status") == ["delivered", "delivered"]

    # rotate: a new secret, shown once; the old one keeps signing for a while
    rotated = client.post(f"/console/webhooks/{hook}/rotate", data={"csrf": csrf(detail)})
    assert rotated.status_code == 200
    new_secret = _secret(rotated)
    assert new_secret.startswith("whsec_") and new_secret != secret

    # an endpoint disabled after failures is enabled again from its page
    with state.db.write() as conn:
        conn.execute(
            update(webhook_endpoints)
            .where(webhook_endpoints.c.id == hook)
            .values(enabled=False, disabled_reason="5 failed deliveries in a row")
        )
    detail = client.get(f"/console/webhooks/{hook}")
    assert marked(detail, "webhook-details", "data-enabled") == ["false"]
    assert 'data-testid="enable-webhook"' in detail.text
    r = client.post(f"/console/webhooks/{hook}/enable", data={"csrf": csrf(detail)})
    assert r.status_code == 200 and "enabled again" in r.text
    assert marked(r, "webhook-details", "data-enabled") == ["true"]

    # delete, confirmed first
    confirm = client.get(f"/console/webhooks/{hook}", params={"delete": "1"})
    assert 'data-testid="confirm"' in confirm.text
    r = client.post(f"/console/webhooks/{hook}/delete", data={"csrf": csrf(confirm)})
    assert r.status_code == 200 and "deleted" in r.text
    assert marked(r, "webhook-row", "data-id") == []
    assert client.get(f"/console/webhooks/{hook}").status_code == 404


def test_refusals_and_other_accounts(
    client: TestClient, state: TestServices, receiver: Receiver
) -> None:
    acct = make_account(state)
    other = make_account(state)
    sign_in(client, acct.auth_id, acct.token)
    page = client.get("/console/webhooks")
    token = csrf(page)
    assert client.post("/console/webhooks", data={"url": receiver.url}).status_code == 403
    for url in ("ftp://example.com/x", "not a url", ""):
        assert client.post("/console/webhooks", data={"csrf": token, "url": url}).status_code == 400
    bad_type = {"csrf": token, "url": receiver.url, "event_types": ["number.nope"]}
    assert client.post("/console/webhooks", data=bad_type).status_code == 400
    added = client.post("/console/webhooks", data={"csrf": token, "url": receiver.url})
    [hook] = marked(added, "webhook-secret", "data-id")
    assert "every type" in added.text

    # the operator's endpoints are its own; another account sees nothing of this one
    sign_in_operator(client)
    ops = client.get("/console/operator/webhooks")
    assert ops.status_code == 200 and marked(ops, "webhook-row", "data-id") == []
    made = client.post("/console/operator/webhooks", data={"csrf": csrf(ops), "url": receiver.url})
    assert made.status_code == 201
    [ops_hook] = marked(made, "webhook-secret", "data-id")
    assert client.get(f"/console/operator/webhooks/{hook}").status_code == 404
    sign_in(client, other.auth_id, other.token)
    page = client.get("/console/webhooks")
    assert marked(page, "webhook-row", "data-id") == []
    for path in (f"/console/webhooks/{hook}", f"/console/webhooks/{ops_hook}"):
        assert client.get(path).status_code == 404
    r = client.post(f"/console/webhooks/{hook}/delete", data={"csrf": csrf(page)})
    assert r.status_code == 404
    assert client.get("/console/operator/webhooks").status_code == 404
    sign_in(client, acct.auth_id, acct.token)
    assert marked(client.get("/console/webhooks"), "webhook-row", "data-id") == [hook]
