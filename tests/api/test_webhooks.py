"""Webhook endpoints over HTTP (api/routes/webhooks.py): bad bodies are 400s, the secret is
shown once, and another account can neither see nor delete an endpoint."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_account
from tests.support import TestServices
from tests.webhook_receiver import Receiver, subscribe

pytestmark = pytest.mark.private_webhooks


def test_webhook_inputs_and_ownership(
    client: TestClient, state: TestServices, receivers: list[Receiver]
) -> None:
    a, b = make_account(state), make_account(state)
    base = f"/api/v1/Account/{a.auth_id}/webhooks"
    for body in (
        {},
        {"url": "ftp://example.com/x"},
        {"url": receivers[0].url, "event_types": ["number.nope"]},
        {"url": receivers[0].url, "event_types": "number.purchased"},
    ):
        r = client.post(base, json=body, headers=a.headers)
        assert r.status_code == 400, (body, r.text)
    hook = subscribe(client, a, receivers[0].url)
    listed = client.get(base, headers=a.headers).json()["webhooks"]
    assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]
    # another account can neither see nor delete it
    assert client.get(base, headers=b.headers).status_code == 403
    other = f"/api/v1/Account/{b.auth_id}/webhooks/{hook['id']}"
    assert client.delete(other, headers=b.headers).status_code == 404
    assert client.delete(f"{base}/{hook['id']}", headers=a.headers).status_code == 204
    assert client.get(f"{base}/{hook['id']}", headers=a.headers).status_code == 404
    assert client.get(base, headers=a.headers).json()["webhooks"] == []


def test_malformed_urls_are_400_not_500(client: TestClient, state: TestServices) -> None:
    """A probe found ``http://[zzz]/x`` answered 500 (urlsplit raised on the bracketed host),
    and a space or a line break in the URL was stored as is."""
    a = make_account(state)
    base = f"/api/v1/Account/{a.auth_id}/webhooks"
    for url in (
        "http://[zzz]/x",
        "http://[::1/x",
        "https://exa mple.com/x",
        "https://example.com/x\r\nX-Injected: 1",
        "https://example.com/\tx",
        "https://exa<mple.com/x",
    ):
        r = client.post(base, json={"url": url}, headers=a.headers)
        assert r.status_code == 400, (url, r.text)
        assert r.json()["error"] == "invalid_request"
    assert client.get(base, headers=a.headers).json()["webhooks"] == []
