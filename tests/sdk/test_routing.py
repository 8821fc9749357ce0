"""Trunks, applications, number routing, sub-account moves and number health through the SDK
against a real server, in both flavours."""

from __future__ import annotations

import pytest

from didstore.client import Client, ConflictError, NotFoundError
from tests.live_server import Account, LiveServer
from tests.sdk.flavours import Flavour


def test_trunk_crud_and_number_assignment(
    live: LiveServer, client: Client, account: Account
) -> None:
    trunk = client.trunks.create(account.auth_id, "edge", trunk_direction="inbound")
    assert trunk.trunk_id and trunk.name == "edge"
    assert [t.trunk_id for t in client.trunks.list(account.auth_id)] == [trunk.trunk_id]
    assert client.trunks.get(account.auth_id, trunk.trunk_id).trunk_id == trunk.trunk_id
    assert client.trunks.update(account.auth_id, trunk.trunk_id, name="edge2").name == "edge2"
    number = live.stock(1)[0]
    client.phone_numbers.purchase_from_inventory(account.auth_id, number)
    client.phone_numbers.assign_number_to_trunk(account.auth_id, number[1:], trunk.trunk_id)
    assigned = client.phone_numbers.get_number(account.auth_id, number)
    assert assigned.trunk_group_id == trunk.trunk_id
    with pytest.raises(ConflictError) as in_use:
        client.trunks.delete(account.auth_id, trunk.trunk_id)
    assert in_use.value.code != "conflict_retry"
    client.phone_numbers.unassign_number_from_trunk(account.auth_id, "%2B" + number[1:])
    assert client.phone_numbers.get_number(account.auth_id, number).trunk_group_id is None
    client.trunks.delete(account.auth_id, trunk.trunk_id)
    with pytest.raises(NotFoundError):
        client.trunks.get(account.auth_id, trunk.trunk_id)


def test_trunk_list_pages_by_offset(client: Client, account: Account) -> None:
    made = [client.trunks.create(account.auth_id, f"t{i}").trunk_id for i in range(3)]
    pages = list(client.trunks.list(account.auth_id, limit=2).pages())
    assert [len(p.items) for p in pages] == [2, 1]
    assert sorted(t.trunk_id for p in pages for t in p.items) == sorted(made)


def test_application_crud_and_attach(live: LiveServer, client: Client, account: Account) -> None:
    created = client.applications.create(account.auth_id, "ivr", "https://example.com/answer")
    assert created.app_id
    app_id = created.app_id or ""
    assert client.applications.get(account.auth_id, app_id).app_name == "ivr"
    assert app_id in [a.app_id for a in client.applications.list(account.auth_id)]
    client.applications.update(account.auth_id, app_id, app_name="ivr2", default_number_app=False)
    assert client.applications.get(account.auth_id, app_id).app_name == "ivr2"
    number = live.stock(1)[0]
    client.phone_numbers.purchase_from_inventory(account.auth_id, number)
    attached = client.phone_numbers.attach_application(account.auth_id, number, app_id)
    assert attached.number == number
    with pytest.raises(ConflictError):
        client.applications.delete(account.auth_id, app_id)
    client.phone_numbers.detach_application(account.auth_id, number)
    assert client.phone_numbers.get_number(account.auth_id, number).application_id is None
    client.applications.delete(account.auth_id, app_id)
    with pytest.raises(NotFoundError):
        client.applications.get(account.auth_id, app_id)


def test_sub_account_move_and_back(live: LiveServer, client: Client, account: Account) -> None:
    number = live.stock(1)[0]
    client.phone_numbers.purchase_from_inventory(account.auth_id, number)
    created = client.sub_accounts.create(account.auth_id, "branch")
    assert created.auth_credentials is not None
    sub = created.auth_credentials.auth_id
    client.phone_numbers.assign_did_to_subaccount(account.auth_id, number, sub)
    assert client.phone_numbers.get_number(account.auth_id, number).account_id == sub
    client.phone_numbers.unassign_did_from_subaccount(account.auth_id, number)  # never used
    assert client.phone_numbers.get_number(account.auth_id, number).account_id == account.auth_id


def test_operator_forces_a_move_back(live: LiveServer, account: Account, flavour: Flavour) -> None:
    """``force`` is sent as ``force=true`` and honoured for the operator token."""
    number = live.stock(1)[0]
    operator = flavour.client(auth_token="test-operator-token", base_url=live.url)
    operator.phone_numbers.purchase_from_inventory(account.auth_id, number)
    sub = operator.sub_accounts.create(account.auth_id, "branch").auth_credentials
    assert sub is not None
    operator.phone_numbers.assign_did_to_subaccount(account.auth_id, number, sub.auth_id)
    operator.phone_numbers.unassign_did_from_subaccount(account.auth_id, number, force=True)
    assert operator.phone_numbers.get_number(account.auth_id, number).account_id == (
        account.auth_id
    )


def test_number_health(live: LiveServer, client: Client, account: Account) -> None:
    number = live.stock(1)[0]
    client.phone_numbers.purchase_from_inventory(account.auth_id, number)
    health = client.phone_numbers.get_number_health(account.auth_id, number[1:], days=7)
    assert health.http is not None and health.http.status_code == 200
    assert health.e164 in ("", number)
