"""The Plivo-compatible facade over HTTP (issue 10; ADR 0018): auth, search, buy, list with
Plivo's meta and filters, get, update (app, sub-account move, alias), delete, errors."""

import base64
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import (
    IN_NUMBERS,
    US_NUMBERS,
    AccountHandle,
    Plivo,
    admin_headers,
    plivo_account,
    plivo_buy,
    plivo_error,
    stock,
)
from tests.support import TestServices


def _sub(client: TestClient, main: Plivo, state: TestServices) -> Plivo:
    made = client.post(
        f"/api/v1/accounts/{main.handle.auth_id}/sub-accounts",
        json={"name": "team"},
        headers=main.handle.headers,
    ).json()
    creds = made["auth_credentials"]
    return Plivo(state, AccountHandle(creds["auth_id"], creds["auth_token"]))


def _balance(client: TestClient, p: Plivo) -> float:
    return float(
        client.get(
            f"/api/v1/Account/{p.handle.auth_id}/balance/INR", headers=p.handle.headers
        ).json()["balance"]
    )


def test_only_the_alias_with_the_accounts_token_is_accepted(
    client: TestClient, state: TestServices
) -> None:
    p = plivo_account(state)
    assert client.get(p.url("Number/"), headers=p.headers).status_code == 200
    plivo_error(client.get(p.url("Number/")), 401)
    wrong = base64.b64encode(f"{p.alias}:nope".encode()).decode()
    plivo_error(client.get(p.url("Number/"), headers={"Authorization": f"Basic {wrong}"}), 401)
    didstore_id = base64.b64encode(f"{p.handle.auth_id}:{p.handle.token}".encode()).decode()
    plivo_error(
        client.get(
            f"/v1/Account/{p.handle.auth_id}/Number/",
            headers={"Authorization": f"Basic {didstore_id}"},
        ),
        401,
    )
    plivo_error(client.get(p.url("Number/"), headers=p.handle.headers), 401)  # X-Auth: not Plivo
    other = plivo_account(state)
    plivo_error(client.get(other.url("Number/"), headers=p.headers), 403)
    plivo_error(client.get(p.url("Nothing/"), headers=p.headers), 404)  # unknown route, Plivo form
    plivo_error(client.put(p.url("Number/"), headers=p.headers), 405)
    bad_key = {**p.headers, "Idempotency-Key": " "}
    plivo_error(client.post(p.url("Number/1/"), headers=bad_key), 400)  # the middleware's own 400


def test_account_get_shows_the_alias(client: TestClient, state: TestServices) -> None:
    p = plivo_account(state)
    body = client.get(p.url(), headers=p.headers).json()
    assert body["auth_id"] == p.alias and body["didstore_auth_id"] == p.handle.auth_id


def test_search_filters_and_shape(client: TestClient, state: TestServices) -> None:
    p = plivo_account(state)
    stock(state, US_NUMBERS[:3], currency="USD", setup_fee=1, monthly_fee=2)
    stock(state, ["+18005550100", "+18005550101"], currency="USD", capabilities="voice,sms")
    stock(state, IN_NUMBERS[:2])
    r = client.get(p.url("PhoneNumber/"), params={"country_iso": "US"}, headers=p.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["meta"]["total_count"] == 5 and body["meta"]["next"] is None
    first = body["objects"][0]
    assert first["number"] == US_NUMBERS[0][1:] and first["prefix"] == "415"
    assert first["type"] == "local" and first["monthly_rental_rate"] == "2.00000"
    assert first["setup_rate"] == "1.00000" and first["currency"] == "USD"
    assert first["resource_uri"] == p.url(f"PhoneNumber/{US_NUMBERS[0][1:]}/")

    def numbers(**params: Any) -> list[str]:
        got = client.get(
            p.url("PhoneNumber/"), params={"country_iso": "US", **params}, headers=p.headers
        )
        assert got.status_code == 200, got.text
        return [o["number"] for o in got.json()["objects"]]

    assert numbers(type="tollfree") == ["18005550100", "18005550101"]
    assert numbers(services="sms") == ["18005550100", "18005550101"]
    assert numbers(pattern="800") == ["18005550100", "18005550101"]
    assert numbers(pattern="41555501*0") == [US_NUMBERS[0][1:]]
    assert numbers(region="califor") == [n[1:] for n in US_NUMBERS[:3]] + [
        "18005550100",
        "18005550101",
    ]
    assert len(numbers(limit=2)) == 2
    paged = client.get(
        p.url("PhoneNumber/"), params={"country_iso": "US", "limit": 2}, headers=p.headers
    ).json()
    assert paged["meta"]["next"].endswith("offset=2") and "country_iso=US" in paged["meta"]["next"]
    plivo_error(client.get(p.url("PhoneNumber/"), headers=p.headers), 400)  # country_iso missing
    for bad in (
        {"limit": 21},
        {"limit": 0},
        {"offset": -1},
        {"type": "x"},
        {"services": "fax"},
        {"lata": "123"},  # a filter didstore has no data for: refused, never ignored
    ):
        plivo_error(
            client.get(
                p.url("PhoneNumber/"), params={"country_iso": "US", **bad}, headers=p.headers
            ),
            400,
        )


def test_buy_is_the_vobiz_purchase(client: TestClient, state: TestServices) -> None:
    p = plivo_account(state, balance=1000)
    stock(state, IN_NUMBERS[:2], setup_fee=100, monthly_fee=300)
    digits = IN_NUMBERS[0][1:]
    r = client.post(p.url(f"PhoneNumber/{digits}/"), json={}, headers=p.headers)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["numbers"] == [{"number": digits, "status": "Success"}]
    assert body["status"] == "fulfilled" and body["message"] == "created"
    assert _balance(client, p) == 600
    again = client.post(p.url(f"PhoneNumber/{digits}/"), headers=p.headers)
    assert again.status_code == 201 and _balance(client, p) == 600  # a retry charges nothing
    other = plivo_account(state, balance=1000)
    plivo_error(client.post(other.url(f"PhoneNumber/{digits}/"), headers=other.headers), 404)
    poor = plivo_account(state, balance=0)
    plivo_error(
        client.post(poor.url(f"PhoneNumber/{IN_NUMBERS[1][1:]}/"), headers=poor.headers), 402
    )
    assert state.wallet.verify() == []


def test_buy_with_app_id_attaches_it_in_the_same_transaction(
    client: TestClient, state: TestServices
) -> None:
    p = plivo_account(state, balance=1000)
    stock(state, IN_NUMBERS[:2])
    app = client.post(
        p.url("Application/"),
        json={"app_name": "ivr", "answer_url": "https://example.com/answer"},
        headers=p.headers,
    )
    assert app.status_code == 201, app.text
    app_id = app.json()["app_id"]
    digits = IN_NUMBERS[0][1:]
    r = client.post(p.url(f"PhoneNumber/{digits}/"), json={"app_id": app_id}, headers=p.headers)
    assert r.status_code == 201, r.text
    got = client.get(p.url(f"Number/{digits}/"), headers=p.headers).json()
    assert got["application"] == p.url(f"Application/{app_id}/")
    # another account's application: nothing is bought, nothing is charged
    before = _balance(client, p)
    other = plivo_account(state)
    foreign = client.post(
        other.url("Application/"),
        json={"app_name": "x", "answer_url": "https://example.com/a"},
        headers=other.headers,
    ).json()["app_id"]
    plivo_error(
        client.post(
            p.url(f"PhoneNumber/{IN_NUMBERS[1][1:]}/"), json={"app_id": foreign}, headers=p.headers
        ),
        404,
    )
    assert _balance(client, p) == before
    assert client.get(p.url(f"Number/{IN_NUMBERS[1][1:]}/"), headers=p.headers).status_code == 404


def test_list_meta_links_and_filters(client: TestClient, state: TestServices) -> None:
    p = plivo_account(state, balance=100_000)
    stock(state, IN_NUMBERS[:25])
    stock(state, ["+18005550100"], currency="INR")
    plivo_buy(client, p, [*IN_NUMBERS[:25], "+18005550100"])
    first = client.get(p.url("Number/"), headers=p.headers).json()
    assert first["meta"] == {
        "limit": 20,
        "next": p.url("Number/") + "?limit=20&offset=20",
        "offset": 0,
        "previous": None,
        "total_count": 26,
    }
    assert [o["number"] for o in first["objects"]] == sorted(
        n[1:] for n in [*IN_NUMBERS[:25], "+18005550100"]
    )[:20]
    second = client.get(first["meta"]["next"], headers=p.headers).json()
    assert len(second["objects"]) == 6 and second["meta"]["next"] is None
    assert second["meta"]["previous"] == p.url("Number/") + "?limit=20&offset=0"
    obj = first["objects"][0]
    assert obj["renewal_date"] == "2026-02-28" and obj["added_on"] == "2026-01-31"
    assert obj["sub_account"] is None and obj["alias"] is None

    def listed(**params: Any) -> list[str]:
        got = client.get(p.url("Number/"), params=params, headers=p.headers)
        assert got.status_code == 200, got.text
        return [o["number"] for o in got.json()["objects"]]

    assert listed(type="tollfree") == ["18005550100"]
    assert listed(number_startswith="1800") == ["18005550100"]
    assert listed(number_startswith="9180", limit=3) == [n[1:] for n in IN_NUMBERS[:3]]
    assert listed(services="sms") == []
    assert len(listed(renewal_date="2026-02-28")) == 20
    assert listed(renewal_date__lt="2026-02-28") == []
    assert len(listed(renewal_date__lte="2026-02-28")) == 20
    assert listed(renewal_date__gt="2026-02-28") == []
    assert len(listed(renewal_date__gte="2026-02-28")) == 20
    linked = client.get(
        p.url("Number/"), params={"number_startswith": "9180", "limit": 5}, headers=p.headers
    ).json()["meta"]["next"]
    assert "number_startswith=9180" in linked and "offset=5" in linked
    plivo_error(
        client.get(p.url("Number/"), params={"renewal_date": "soon"}, headers=p.headers), 400
    )
    plivo_error(
        client.get(p.url("Number/"), params={"cnam_lookup": "enabled"}, headers=p.headers), 400
    )


def test_update_alias_app_and_delete(client: TestClient, state: TestServices) -> None:
    p = plivo_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:1])
    plivo_buy(client, p, IN_NUMBERS[:1])
    digits = IN_NUMBERS[0][1:]
    app_id = client.post(
        p.url("Application/"),
        json={"app_name": "ivr", "answer_url": "https://example.com/answer"},
        headers=p.headers,
    ).json()["app_id"]
    r = client.post(
        p.url(f"Number/{digits}/"),
        json={"number": digits, "alias": "front desk", "app_id": app_id},
        headers=p.headers,
    )
    assert r.status_code == 202 and r.json()["message"] == "changed", r.text
    got = client.get(p.url(f"Number/{digits}/"), headers=p.headers).json()
    assert got["alias"] == "front desk" and got["application"].endswith(f"/{app_id}/")
    assert [
        o["number"]
        for o in client.get(
            p.url("Number/"), params={"alias": "front desk"}, headers=p.headers
        ).json()["objects"]
    ] == [digits]
    # the Vobiz view sees the same application
    vobiz = client.get(
        f"/api/v1/Account/{p.handle.auth_id}/numbers/{IN_NUMBERS[0]}", headers=p.handle.headers
    ).json()
    assert vobiz["application_id"] == app_id
    client.post(p.url(f"Number/{digits}/"), json={"app_id": "", "alias": ""}, headers=p.headers)
    got = client.get(p.url(f"Number/{digits}/"), headers=p.headers).json()
    assert got["alias"] is None and got["application"] is None
    plivo_error(client.post(p.url(f"Number/{digits}/"), json={"alias": 5}, headers=p.headers), 400)
    for unsupported in ({"verification_info": {"a": 1}}, {"cnam_lookup": "enabled"}):
        plivo_error(
            client.post(p.url(f"Number/{digits}/"), json=unsupported, headers=p.headers), 400
        )
    ok = client.post(
        p.url(f"Number/{digits}/"), json={"cnam_lookup": "disabled"}, headers=p.headers
    )
    assert ok.status_code == 202
    plivo_error(client.post(p.url("Number/918099999999/"), json={}, headers=p.headers), 404)
    # delete: the Vobiz release, pending for 24 h; gone from the Plivo view at once
    d = client.delete(p.url(f"Number/{digits}/"), headers=p.headers)
    assert d.status_code == 204 and d.content == b""
    plivo_error(client.get(p.url(f"Number/{digits}/"), headers=p.headers), 404)
    plivo_error(client.delete(p.url(f"Number/{digits}/"), headers=p.headers), 404)
    vobiz = client.get(
        f"/api/v1/Account/{p.handle.auth_id}/numbers/{IN_NUMBERS[0]}", headers=p.handle.headers
    ).json()
    assert vobiz["status"] == "pending_release"
    cancel = client.post(
        f"/api/v1/Account/{p.handle.auth_id}/numbers/{IN_NUMBERS[0]}/cancel-release",
        headers=p.handle.headers,
    )
    assert cancel.status_code == 200
    assert client.get(p.url(f"Number/{digits}/"), headers=p.headers).status_code == 200


def test_subaccount_moves_with_the_cool_off(client: TestClient, state: TestServices) -> None:
    main = plivo_account(state, balance=10_000)
    sub = _sub(client, main, state)
    stock(state, IN_NUMBERS[:1])
    plivo_buy(client, main, IN_NUMBERS[:1])
    digits = IN_NUMBERS[0][1:]
    moved = client.post(
        main.url(f"Number/{digits}/"), json={"subaccount": sub.alias}, headers=main.headers
    )
    assert moved.status_code == 202, moved.text
    got = client.get(main.url(f"Number/{digits}/"), headers=main.headers).json()
    assert got["sub_account"] == sub.alias
    listed = client.get(main.url("Number/"), params={"subaccount": sub.alias}, headers=main.headers)
    assert [o["number"] for o in listed.json()["objects"]] == [digits]
    # the sub-account sees it with its own credentials, and the main account on its path
    assert client.get(sub.url(f"Number/{digits}/"), headers=sub.headers).status_code == 200
    assert client.get(sub.url(f"Number/{digits}/"), headers=main.headers).status_code == 200
    # a call within 15 days: moving it back is refused (409, Plivo form, cool-off details)
    call = client.post(
        f"/api/v1/admin/numbers/{IN_NUMBERS[0]}/calls",
        json={"duration_seconds": 30},
        headers=admin_headers(),
    )
    assert call.status_code == 201, call.text
    back = client.post(main.url(f"Number/{digits}/"), json={"subaccount": ""}, headers=main.headers)
    plivo_error(back, 409)
    assert "cool_off_until" in back.json()
    plivo_error(
        client.post(
            main.url(f"Number/{digits}/"),
            json={"subaccount": "SA" + "X" * 18},
            headers=main.headers,
        ),
        404,
    )
    # a sub-account cannot move numbers
    plivo_error(
        client.post(sub.url(f"Number/{digits}/"), json={"subaccount": ""}, headers=sub.headers),
        403,
    )


def test_applications_are_the_vobiz_applications(client: TestClient, state: TestServices) -> None:
    p = plivo_account(state)
    made = client.post(
        p.url("Application/"),
        json={"app_name": "ivr", "answer_url": "https://example.com/answer"},
        headers=p.headers,
    )
    assert made.status_code == 201, made.text
    app_id = made.json()["app_id"]
    assert made.json()["message"] == "created"
    got = client.get(p.url(f"Application/{app_id}/"), headers=p.headers).json()
    assert got["app_name"] == "ivr" and got["answer_method"] == "POST"
    assert got["resource_uri"] == p.url(f"Application/{app_id}/")
    upd = client.post(
        p.url(f"Application/{app_id}/"),
        json={"answer_url": "https://example.com/v2", "answer_method": "GET"},
        headers=p.headers,
    )
    assert upd.status_code == 202 and upd.json()["message"] == "changed"
    vobiz = client.get(
        f"/api/v1/Account/{p.handle.auth_id}/Application/{app_id}/", headers=p.handle.headers
    ).json()
    assert vobiz["answer_url"] == "https://example.com/v2" and vobiz["answer_method"] == "GET"
    for i in range(3):
        client.post(
            p.url("Application/"),
            json={"app_name": f"a{i}", "answer_url": "https://example.com/a"},
            headers=p.headers,
        )
    plivo_error(
        client.get(p.url("Application/"), params={"app_name": "ivr"}, headers=p.headers), 400
    )
    page = client.get(p.url("Application/"), params={"limit": 3}, headers=p.headers).json()
    assert page["meta"]["total_count"] == 4 and page["meta"]["next"].endswith("offset=3")
    plivo_error(client.post(p.url("Application/"), json={"app_name": "x"}, headers=p.headers), 400)
    plivo_error(
        client.post(
            p.url("Application/"),
            json={"app_name": "x", "answer_url": "https://e.com/", "subaccount": "SA" + "Z" * 18},
            headers=p.headers,
        ),
        404,
    )
    assert client.delete(p.url(f"Application/{app_id}/"), headers=p.headers).status_code == 204
    plivo_error(client.get(p.url(f"Application/{app_id}/"), headers=p.headers), 404)
    plivo_error(client.delete(p.url(f"Application/{app_id}/"), headers=p.headers), 404)


def test_an_application_in_use_cannot_be_deleted(client: TestClient, state: TestServices) -> None:
    p = plivo_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:1])
    app_id = client.post(
        p.url("Application/"),
        json={"app_name": "ivr", "answer_url": "https://example.com/answer"},
        headers=p.headers,
    ).json()["app_id"]
    r = client.post(
        p.url(f"PhoneNumber/{IN_NUMBERS[0][1:]}/"), json={"app_id": app_id}, headers=p.headers
    )
    assert r.status_code == 201
    plivo_error(client.delete(p.url(f"Application/{app_id}/"), headers=p.headers), 409)


def test_malformed_bodies_are_400_in_plivo_form(client: TestClient, state: TestServices) -> None:
    p = plivo_account(state)
    for body in (b"[1]", b"{not json"):
        plivo_error(
            client.post(
                p.url("Application/"),
                content=body,
                headers={**p.headers, "Content-Type": "application/json"},
            ),
            400,
        )


def test_openapi_documents_every_facade_status(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    facade = {p: ops for p, ops in paths.items() if p.startswith("/v1/Account/{auth_id}")}
    assert len(facade) == 9
    for path, ops in facade.items():
        for method, op in ops.items():
            statuses = set(op["responses"])
            assert {"400", "401", "403", "500", "503"} <= statuses, (method, path)
            schema = op["responses"]["401"]["content"]["application/json"]["schema"]
            assert schema["required"] == ["api_id", "error"]
            if method in ("post", "delete"):
                assert {"409", "422"} <= statuses, (method, path)
    assert "402" in paths["/v1/Account/{auth_id}/PhoneNumber/{number}"]["post"]["responses"]
    assert "201" in paths["/v1/Account/{auth_id}/PhoneNumber/{number}"]["post"]["responses"]
    assert "204" in paths["/v1/Account/{auth_id}/Number/{number}"]["delete"]["responses"]


def test_the_next_owner_never_sees_the_previous_alias(
    client: TestClient, state: TestServices, clock: Any
) -> None:
    from datetime import timedelta

    from didstore.services.lifecycle_job import run_lifecycle

    first, second = plivo_account(state), plivo_account(state)
    stock(state, IN_NUMBERS[:1])
    digits = IN_NUMBERS[0][1:]
    plivo_buy(client, first, IN_NUMBERS[:1])
    client.post(first.url(f"Number/{digits}/"), json={"alias": "secret"}, headers=first.headers)
    released = client.delete(
        f"/api/v1/Account/{first.handle.auth_id}/numbers/{IN_NUMBERS[0]}",
        params={"immediate": "true"},
        headers=first.handle.headers,
    )
    assert released.status_code == 200, released.text
    clock.set(clock.now() + timedelta(days=45))
    assert state.call(run_lifecycle, state.adb, clock).returned_to_inventory == 1
    plivo_buy(client, second, IN_NUMBERS[:1])
    got = client.get(second.url(f"Number/{digits}/"), headers=second.headers).json()
    assert got["alias"] is None
