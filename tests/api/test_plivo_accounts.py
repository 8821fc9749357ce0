"""Every account answers to a stable 20-character Plivo-style alias (issue 10, ADR 0018):
returned when an account is created and read, without changing the Vobiz key sets."""

import re

from fastapi.testclient import TestClient

from didstore.domain.ids import plivo_auth_id
from didstore.services.models import CLI
from tests.conftest import admin_headers, make_account
from tests.support import TestServices

ALIAS = re.compile(r"^(MA|SA)[A-Z0-9]{18}$")


def test_alias_is_deterministic_and_has_plivos_shape() -> None:
    main = plivo_auth_id("MA_BN2MZ1VV", "main")
    assert ALIAS.match(main) and main.startswith("MA")
    assert plivo_auth_id("MA_BN2MZ1VV", "main") == main
    assert plivo_auth_id("SA_BN2MZ1VV", "sub").startswith("SA")
    assert plivo_auth_id("PA_BN2MZ1VV", "partner").startswith("MA")  # the SDK knows MA/SA only
    assert plivo_auth_id("MA_BN2MZ1VW", "main") != main


def test_operator_creations_return_the_alias(client: TestClient) -> None:
    made = client.post(
        "/api/v1/admin/accounts", json={"name": "Acme", "currency": "INR"}, headers=admin_headers()
    )
    assert made.status_code == 201
    body = made.json()
    assert body["plivo_auth_id"] == plivo_auth_id(body["auth_id"], "main")
    partner = client.post(
        "/api/v1/admin/partners", json={"name": "Res", "currency": "INR"}, headers=admin_headers()
    ).json()
    assert partner["plivo_auth_id"] == plivo_auth_id(partner["auth_id"], "partner")
    assert partner["plivo_auth_id"].startswith("MA")


def test_sub_account_routes_carry_it_in_a_header_not_the_body(
    client: TestClient, state: TestServices
) -> None:
    main = make_account(state)
    made = client.post(
        f"/api/v1/accounts/{main.auth_id}/sub-accounts",
        json={"name": "team"},
        headers=main.headers,
    )
    assert made.status_code == 201
    sub_id = made.json()["sub_account"]["auth_id"]
    alias = made.headers["x-plivo-auth-id"]
    assert alias == plivo_auth_id(sub_id, "sub") and ALIAS.match(alias)
    # the Vobiz key sets stay exact (entities spec §3)
    assert "plivo_auth_id" not in made.json()["sub_account"]
    assert set(made.json()) == {"message", "sub_account", "auth_credentials", "tokens"}
    read = client.get(
        f"/api/v1/accounts/{main.auth_id}/sub-accounts/{sub_id}", headers=main.headers
    )
    assert read.headers["x-plivo-auth-id"] == alias
    assert "plivo_auth_id" not in read.json()
    updated = client.put(
        f"/api/v1/accounts/{main.auth_id}/sub-accounts/{sub_id}",
        json={"name": "renamed"},
        headers=main.headers,
    )
    assert updated.headers["x-plivo-auth-id"] == alias
    me = client.get("/api/v1/auth/me", headers=main.headers)
    assert me.headers["x-plivo-auth-id"] == state.accounts.get(main.auth_id).plivo_auth_id
    assert "plivo_auth_id" not in me.json()


def test_partner_customer_creation_returns_it(client: TestClient, state: TestServices) -> None:
    partner = state.accounts.create_partner(CLI, name="Reseller", currency_code="INR")
    made = client.post(
        "/api/v1/partner/accounts",
        json={
            "name": "Customer",
            "email": "c@example.com",
            "phone": "+919876543210",
            "password": "Secure#pass1",
            "country": "IN",
        },
        headers={"X-Auth-ID": partner.account.auth_id, "X-Auth-Token": partner.auth_token},
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["plivo_auth_id"] == plivo_auth_id(body["auth_id"], "main")


def test_the_alias_is_stored_and_found(state: TestServices) -> None:
    main = make_account(state)
    account = state.accounts.get(main.auth_id)
    assert account.plivo_auth_id == plivo_auth_id(main.auth_id, "main")
    assert state.accounts.get_by_plivo_id(account.plivo_auth_id).id == account.id
    assert state.accounts.authenticate_plivo(account.plivo_auth_id, main.token) is not None
    assert state.accounts.authenticate_plivo(account.plivo_auth_id, "wrong") is None
    # only the alias: the didstore id with the right token is not a Plivo credential
    assert state.accounts.authenticate_plivo(main.auth_id, main.token) is None
