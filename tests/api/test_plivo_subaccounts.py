"""Plivo's ``Subaccount/`` resource on the facade: the same sub-accounts as the Vobiz
routes, named by their Plivo alias (ADR 0018)."""

from fastapi.testclient import TestClient

from didstore.domain.ids import plivo_auth_id
from tests.conftest import (
    IN_NUMBERS,
    AccountHandle,
    Plivo,
    plivo_account,
    plivo_buy,
    plivo_error,
    stock,
)
from tests.support import TestServices


def test_create_read_update_delete(client: TestClient, state: TestServices) -> None:
    main = plivo_account(state)
    made = client.post(
        main.url("Subaccount/"), json={"name": "team", "enabled": True}, headers=main.headers
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["message"] == "created" and body["auth_id"].startswith("SA")
    alias, token = body["auth_id"], body["auth_token"]
    got = client.get(main.url(f"Subaccount/{alias}/"), headers=main.headers).json()
    assert got["name"] == "team" and got["enabled"] is True and got["auth_token"] == "<redacted>"
    assert got["auth_id"] == plivo_auth_id(got["didstore_auth_id"], "sub")
    # the new sub-account logs in to the facade with its alias and the token shown once
    sub = Plivo(state, AccountHandle(got["didstore_auth_id"], token))
    assert sub.alias == alias
    assert client.get(sub.url("Number/"), headers=sub.headers).status_code == 200
    # the Vobiz route sees the same sub-account
    vobiz = client.get(
        f"/api/v1/accounts/{main.handle.auth_id}/sub-accounts/{got['didstore_auth_id']}",
        headers=main.handle.headers,
    )
    assert vobiz.status_code == 200 and vobiz.headers["x-plivo-auth-id"] == alias
    upd = client.post(
        main.url(f"Subaccount/{alias}/"),
        json={"name": "renamed", "enabled": False},
        headers=main.headers,
    )
    assert upd.status_code == 202, upd.text
    got = client.get(main.url(f"Subaccount/{alias}/"), headers=main.headers).json()
    assert got["name"] == "renamed" and got["enabled"] is False
    plivo_error(client.get(sub.url("Number/"), headers=sub.headers), 401)  # disabled
    assert client.delete(main.url(f"Subaccount/{alias}/"), headers=main.headers).status_code == 204
    plivo_error(client.get(main.url(f"Subaccount/{alias}/"), headers=main.headers), 404)


def test_list_pages_and_defaults(client: TestClient, state: TestServices) -> None:
    main = plivo_account(state)
    for i in range(3):
        client.post(main.url("Subaccount/"), json={"name": f"s{i}"}, headers=main.headers)
    page = client.get(main.url("Subaccount/"), params={"limit": 2}, headers=main.headers).json()
    assert page["meta"]["total_count"] == 3 and page["meta"]["next"].endswith("offset=2")
    assert [s["enabled"] for s in page["objects"]] == [False, False]  # Plivo's default
    second = client.get(page["meta"]["next"], headers=main.headers).json()
    assert [s["name"] for s in second["objects"]] == ["s2"]
    plivo_error(
        client.get(main.url("Subaccount/"), params={"limit": 2, "offset": 1}, headers=main.headers),
        400,
    )


def test_refusals(client: TestClient, state: TestServices) -> None:
    main = plivo_account(state, balance=10_000)
    plivo_error(client.post(main.url("Subaccount/"), json={}, headers=main.headers), 400)
    plivo_error(
        client.post(
            main.url("Subaccount/"), json={"name": "x", "enabled": "yes"}, headers=main.headers
        ),
        400,
    )
    plivo_error(client.get(main.url("Subaccount/SA" + "Q" * 18 + "/"), headers=main.headers), 404)
    alias = client.post(
        main.url("Subaccount/"), json={"name": "holder", "enabled": True}, headers=main.headers
    ).json()["auth_id"]
    stock(state, IN_NUMBERS[:1])
    plivo_buy(client, main, IN_NUMBERS[:1])
    moved = client.post(
        main.url(f"Number/{IN_NUMBERS[0][1:]}/"), json={"subaccount": alias}, headers=main.headers
    )
    assert moved.status_code == 202
    plivo_error(client.delete(main.url(f"Subaccount/{alias}/"), headers=main.headers), 409)
    plivo_error(
        client.request(
            "DELETE", main.url(f"Subaccount/{alias}/"), json={"cascade": True}, headers=main.headers
        ),
        400,
    )
    other = plivo_account(state)
    plivo_error(client.get(other.url(f"Subaccount/{alias}/"), headers=other.headers), 404)
