"""The answers the fuzzer of ``test_openapi_conformance.py`` rarely or never provokes (a wallet
that cannot pay, a trunk in use, a release outside its window, a reused Idempotency-Key, the
database down), provoked on purpose and checked against ``/openapi.json``: status documented
for the operation, content type, every required header, and the body against its schema."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient
from httpx import Response

from didstore.api.app import canonical_path
from tests.conftest import (
    IN_NUMBERS,
    AccountHandle,
    admin_headers,
    database_unusable,
    make_account,
    stock,
)
from tests.support import TestServices

ACCOUNT = "/api/v1/Account/{auth_id}"


def conforms(client: TestClient, method: str, template: str, response: Response) -> Any:
    """Assert that ``response`` is what the spec documents for ``method template``."""
    spec = client.app.openapi()  # type: ignore[attr-defined]
    operation = spec["paths"][template][method.lower()]
    status = str(response.status_code)
    assert status in operation["responses"], (method, template, status, response.text)
    documented = operation["responses"][status]
    for name, header in documented.get("headers", {}).items():
        if header.get("required"):
            assert name.lower() in response.headers, (method, template, status, name)
    if "content" not in documented:
        assert response.content == b"", (method, template, status)
        return None
    media = response.headers["content-type"].split(";")[0]
    assert media in documented["content"], (method, template, status, media)
    schema = {**documented["content"][media]["schema"], "components": spec["components"]}
    body = response.json()
    errors = [str(e) for e in jsonschema_rs.Draft202012Validator(schema).iter_errors(body)]
    assert not errors, (method, template, status, body, errors[:3])
    return body


def _url(template: str, **values: str) -> str:
    return canonical_path(template.format(**values))


@pytest.fixture
def buyer(state: TestServices) -> AccountHandle:
    return make_account(state, balance=10_000, release_fee=5)


def _buy(client: TestClient, who: AccountHandle, e164: str) -> None:
    r = client.post(
        _url(ACCOUNT + "/numbers/purchase-from-inventory", auth_id=who.auth_id),
        json={"e164": e164},
        headers=who.headers,
    )
    conforms(client, "POST", ACCOUNT + "/numbers/purchase-from-inventory", r)
    assert r.status_code == 200, r.text


def test_payment_and_release_errors(client: TestClient, state: TestServices) -> None:
    poor = make_account(state, balance=1, release_fee=5)
    stock(state, IN_NUMBERS[:2], setup_fee=0, monthly_fee=1)
    template = ACCOUNT + "/numbers/purchase-from-inventory"
    url = _url(template, auth_id=poor.auth_id)
    _buy(client, poor, IN_NUMBERS[0])
    r = client.post(url, json={"e164": IN_NUMBERS[1]}, headers=poor.headers)
    assert r.status_code == 402 and conforms(client, "POST", template, r)
    number = ACCOUNT + "/numbers/{e164}"
    release = client.delete(_url(number, auth_id=poor.auth_id, e164=IN_NUMBERS[0]),
                            headers=poor.headers)  # fmt: skip
    assert release.status_code == 402 and conforms(client, "DELETE", number, release)
    cancel = number + "/cancel-release"
    r = client.post(_url(cancel, auth_id=poor.auth_id, e164=IN_NUMBERS[0]), headers=poor.headers)
    assert r.status_code == 400 and conforms(client, "POST", cancel, r) == {
        "error": r.json()["error"]
    }
    r = client.get(_url(number, auth_id=poor.auth_id, e164=IN_NUMBERS[1]), headers=poor.headers)
    assert r.status_code == 404 and conforms(client, "GET", number, r)


def test_release_twice_and_cancel(client: TestClient, state: TestServices, buyer: AccountHandle):
    stock(state, IN_NUMBERS[:1])
    _buy(client, buyer, IN_NUMBERS[0])
    number = ACCOUNT + "/numbers/{e164}"
    url = _url(number, auth_id=buyer.auth_id, e164=IN_NUMBERS[0])
    quote = client.delete(url + "?dry_run=true", headers=buyer.headers)
    assert conforms(client, "DELETE", number, quote)["dry_run"] is True
    assert conforms(client, "DELETE", number, client.delete(url, headers=buyer.headers))
    twice = client.delete(url, headers=buyer.headers)
    assert twice.status_code == 400 and "message" not in conforms(client, "DELETE", number, twice)
    cancel = client.post(url + "/cancel-release", headers=buyer.headers)
    assert cancel.status_code == 200 and conforms(
        client, "POST", number + "/cancel-release", cancel
    )


def test_final_conflicts_and_application_envelopes(
    client: TestClient, state: TestServices, buyer: AccountHandle
) -> None:
    stock(state, IN_NUMBERS[:1])
    _buy(client, buyer, IN_NUMBERS[0])
    h, me = buyer.headers, buyer.auth_id
    trunk = client.post(_url(ACCOUNT + "/trunks", auth_id=me), json={"name": "pbx"}, headers=h)
    trunk_id = conforms(client, "POST", ACCOUNT + "/trunks", trunk)["trunk_id"]
    assign = ACCOUNT + "/numbers/{e164}/assign"
    r = client.post(_url(assign, auth_id=me, e164=IN_NUMBERS[0]),
                    json={"trunk_group_id": trunk_id}, headers=h)  # fmt: skip
    assert r.status_code == 204 and conforms(client, "POST", assign, r) is None
    one = ACCOUNT + "/trunks/{trunk_id}"
    r = client.delete(_url(one, auth_id=me, trunk_id=trunk_id), headers=h)
    assert r.status_code == 409 and conforms(client, "DELETE", one, r)
    assert "retry-after" not in r.headers

    app_body = {"app_name": "ivr", "answer_url": "https://example.com/answer"}
    app = client.post(_url(ACCOUNT + "/Application", auth_id=me), json=app_body, headers=h)
    app_id = conforms(client, "POST", ACCOUNT + "/Application", app)["app_id"]
    attach = ACCOUNT + "/numbers/{e164}/application"
    r = client.post(_url(attach, auth_id=me, e164=IN_NUMBERS[0]),
                    json={"application_id": app_id}, headers=h)  # fmt: skip
    assert conforms(client, "POST", attach, r)["application"]["app_id"] == app_id
    one_app = ACCOUNT + "/Application/{app_id}"
    r = client.delete(_url(one_app, auth_id=me, app_id=app_id), headers=h)
    assert r.status_code == 409 and conforms(client, "DELETE", one_app, r)
    r = client.get(_url(one_app, auth_id=me, app_id="12345678901234567"), headers=h)
    assert r.status_code == 404 and set(conforms(client, "GET", one_app, r)) == {"error", "app_id"}


def test_auth_errors_and_idempotency(
    client: TestClient, state: TestServices, buyer: AccountHandle
) -> None:
    other = make_account(state)
    template = ACCOUNT + "/balances"
    r = client.get(_url(template, auth_id=buyer.auth_id))
    assert r.status_code == 401 and conforms(client, "GET", template, r)
    r = client.get(_url(template, auth_id=buyer.auth_id), headers=other.headers)
    assert r.status_code == 403 and conforms(client, "GET", template, r)
    admin = "/api/v1/admin/partners"
    r = client.post(admin, json={"name": "p", "currency": "INR"}, headers=buyer.headers)
    assert r.status_code == 403 and conforms(client, "POST", admin, r)
    headers = {**admin_headers(), "Idempotency-Key": "spec-1"}
    first = client.post(admin, json={"name": "p", "currency": "INR"}, headers=headers)
    assert first.status_code == 201 and conforms(client, "POST", admin, first)
    replay = client.post(admin, json={"name": "p", "currency": "INR"}, headers=headers)
    assert replay.headers["idempotent-replayed"] == "true" and conforms(
        client, "POST", admin, replay
    )
    reused = client.post(admin, json={"name": "q", "currency": "INR"}, headers=headers)
    assert reused.status_code == 422 and conforms(client, "POST", admin, reused)
    bad_key = {**admin_headers(), "Idempotency-Key": "x" * 300}
    r = client.post(admin, json={"name": "p", "currency": "INR"}, headers=bad_key)
    assert r.status_code == 400 and conforms(client, "POST", admin, r)


def test_database_down_is_a_documented_503(
    client: TestClient, state: TestServices, buyer: AccountHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    stock(state, IN_NUMBERS[:1])
    template = ACCOUNT + "/numbers/purchase-from-inventory"
    with database_unusable(state, monkeypatch):
        r = client.post(_url(template, auth_id=buyer.auth_id), json={"e164": IN_NUMBERS[0]},
                        headers=buyer.headers)  # fmt: skip
    assert r.status_code == 503 and conforms(client, "POST", template, r)


def test_partner_reports_answer_documented_csv(client: TestClient, state: TestServices) -> None:
    created = client.post("/api/v1/admin/partners", json={"name": "p", "currency": "INR"},
                          headers=admin_headers())  # fmt: skip
    partner = {"X-Auth-ID": created.json()["auth_id"], "X-Auth-Token": created.json()["auth_token"]}
    for report in ("renewals", "routing", "kyc", "costs"):
        template = f"/api/v1/partner/reports/{report}"
        as_csv = client.get(template, headers={**partner, "Accept": "text/csv"})
        assert as_csv.headers["content-type"].startswith("text/csv")
        spec = client.app.openapi()  # type: ignore[attr-defined]
        assert "text/csv" in spec["paths"][template]["get"]["responses"]["200"]["content"]
        conforms(client, "GET", template, client.get(template, headers=partner))
