"""The real ``vobiz-python`` 0.1.1 SDK (PyPI) against a real ``didstore serve`` process.

The SDK hard-codes ``https://api.vobiz.ai``: ``VOBIZ_API_V1`` in each ``vobiz.resources``
module and ``VOBIZ_API``/``VOBIZ_API_BASE_URI`` in ``vobiz.rest.client``. Only those
constants are patched; every request is the SDK's own (lowercase ``account``, a raw ``+`` in
paths, ``include_subaccounts=True``, ``limit``/``offset`` on transactions). Errors map to
its exception classes by status (spec §7.3): 400 ValidationError, 401 AuthenticationError,
403 ForbiddenError, 404 ResourceNotFoundError, anything else (402) plain VobizRestError.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

import pytest
import vobiz
import vobiz.resources
import vobiz.rest.client
from vobiz import exceptions as vx

from tests.conftest import AccountHandle
from tests.e2e.conftest import Operator, Server, fresh_numbers

pytestmark = pytest.mark.e2e

PRICE = 100 + 300  # setup + first month, as stocked by Operator.stock


@pytest.fixture
def sdk(server: Server, monkeypatch: pytest.MonkeyPatch) -> Callable[[AccountHandle], Any]:
    """A factory of ``vobiz.RestClient`` pointed at the test server."""
    base = server.api_v1
    patched = 0
    for info in pkgutil.iter_modules(vobiz.resources.__path__, "vobiz.resources."):
        module = importlib.import_module(info.name)
        if hasattr(module, "VOBIZ_API_V1"):
            monkeypatch.setattr(module, "VOBIZ_API_V1", base)
            patched += 1
    assert patched >= 3, "vobiz.resources layout changed: nothing to patch"
    monkeypatch.setattr(vobiz.rest.client, "VOBIZ_API", f"{server.base_url}/api")
    monkeypatch.setattr(vobiz.rest.client, "VOBIZ_API_BASE_URI", f"{base}/Account")

    def make(handle: AccountHandle) -> Any:
        client = vobiz.RestClient(handle.auth_id, handle.token)
        assert client.base_uri.startswith(server.base_url)
        return client

    return make


def _balance(client: Any, auth_id: str, currency: str = "INR") -> float:
    return float(client.accounts.get_balance(auth_id, currency).balance)


def _owned(client: Any, **kw: Any) -> dict[str, Any]:
    resp = client.phone_numbers.list(per_page=100, **kw)
    return {n.e164: n for n in resp.items}


def test_inventory_purchase_list_release_lifecycle(
    sdk: Callable[[AccountHandle], Any], operator: Operator
) -> None:
    mine = fresh_numbers(3)
    operator.stock(mine)
    acct = operator.funded_account(10_000, release_fee=7)
    client = sdk(acct)

    # inventory: filtered by a substring unique to these numbers
    inv = client.phone_numbers.list_inventory(country="IN", per_page=100, search=mine[0][1:])
    assert [n.e164 for n in inv.items] == [mine[0]]
    item = inv.items[0]
    assert item.account_id == "" and item.setup_fee == 100 and item.monthly_fee == 300
    assert item.currency == "INR" and item.country == "IN" and item.status == "active"

    # purchase: the number, owned by the caller, and the wallet debited setup + month
    bought = client.phone_numbers.purchase_from_inventory(mine[0])
    assert bought.message == "Number purchased successfully"
    assert bought.number.e164 == mine[0] and bought.number.account_id == acct.auth_id
    assert bought.number.status == "active" and bought.number.purchased_at
    assert _balance(client, acct.auth_id) == 10_000 - PRICE

    inv = client.phone_numbers.list_inventory(country="IN", per_page=100, search=mine[0][1:])
    assert inv.items == [] and inv.total == 0

    owned = _owned(client)
    assert set(owned) == {mine[0]}
    assert owned[mine[0]].source == "purchased" and owned[mine[0]].tags == []
    assert set(_owned(client, include_subaccounts=True)) == {mine[0]}

    # ledger: one purchase debit; the operator's credit before it
    tx = client.accounts.get_transactions(acct.auth_id, limit=10, offset=0)
    kinds = [(t.type, t.reference_type, t.amount) for t in tx.transactions]
    assert kinds == [("debit", "did_purchase", PRICE), ("credit", "payment", 10_000)]
    assert tx.total == 2 and tx.summary.total_debit == PRICE
    assert tx.summary.total_credit == 10_000

    # release (raw "+" in the path): fee charged, pending for 24 h, cancellable
    rel = client.phone_numbers.release(mine[0])
    assert rel.status == "pending_release" and rel.release_fee == 7
    assert rel.cancel_url == f"/api/v1/account/{acct.auth_id}/numbers/{mine[0]}/cancel-release"
    assert _balance(client, acct.auth_id) == 10_000 - PRICE - 7
    assert owned_status(client, mine[0]) == "pending_release"
    tx = client.accounts.get_transactions(acct.auth_id)
    assert (tx.transactions[0].reference_type, tx.transactions[0].amount) == ("did_release", 7)

    # releasing again while pending is a 400
    with pytest.raises(vx.ValidationError):
        client.phone_numbers.release(mine[0])

    # 24 h later it is gone from the list; 45 days later it is back in inventory
    operator.advance_clock(25 * 3600)
    assert mine[0] not in _owned(client)
    search = mine[0][1:]
    assert client.phone_numbers.list_inventory(search=search).total == 0
    operator.advance_clock(46 * 86400)
    assert [n.e164 for n in client.phone_numbers.list_inventory(search=search).items] == [mine[0]]
    assert _balance(client, acct.auth_id) == 10_000 - PRICE - 7


def owned_status(client: Any, e164: str) -> str:
    return str(_owned(client)[e164].status)


def test_errors_map_to_sdk_exception_classes(
    sdk: Callable[[AccountHandle], Any], operator: Operator, server: Server
) -> None:
    numbers = fresh_numbers(2)
    operator.stock(numbers)
    rich = operator.funded_account(5_000)
    poor = operator.funded_account(PRICE - 1)
    rich_c, poor_c = sdk(rich), sdk(poor)

    # 404: never stocked
    (ghost,) = fresh_numbers(1)
    with pytest.raises(vx.ResourceNotFoundError) as nf:
        rich_c.phone_numbers.purchase_from_inventory(ghost)
    assert nf.value.args[0] == "not_found"

    # 402: insufficient balance, nothing changed (VobizRestError itself: no subclass for 402)
    with pytest.raises(vx.VobizRestError) as pay:
        poor_c.phone_numbers.purchase_from_inventory(numbers[0])
    assert type(pay.value) is vx.VobizRestError
    assert _balance(poor_c, poor.auth_id) == PRICE - 1
    search = numbers[0][1:]
    assert [n.e164 for n in poor_c.phone_numbers.list_inventory(search=search).items] == [
        numbers[0]
    ]

    # 404: already sold to someone else
    rich_c.phone_numbers.purchase_from_inventory(numbers[0])
    with pytest.raises(vx.ResourceNotFoundError):
        poor_c.phone_numbers.purchase_from_inventory(numbers[0])

    # 403: releasing a number another account owns (flat envelope)
    with pytest.raises(vx.ForbiddenError) as fb:
        poor_c.phone_numbers.release(numbers[0])
    assert fb.value.args[0] == "forbidden"
    assert owned_status(rich_c, numbers[0]) == "active"

    # 403: another account's path (nested envelope)
    with pytest.raises(vx.ForbiddenError) as mm:
        poor_c.accounts.get_balance(rich.auth_id, "INR")
    assert mm.value.args[0].code == 403
    assert mm.value.args[0].message == "Access denied: account ID mismatch"

    # 400: not a phone number
    with pytest.raises(vx.ValidationError):
        rich_c.phone_numbers.purchase_from_inventory("not-a-number")

    # 401: wrong token
    with pytest.raises(vx.AuthenticationError):
        sdk(AccountHandle(rich.auth_id, "wrong-token")).phone_numbers.list()
    assert _balance(rich_c, rich.auth_id) == 5_000 - PRICE


def test_auth_me_and_sub_accounts(sdk: Callable[[AccountHandle], Any], operator: Operator) -> None:
    numbers = fresh_numbers(2)
    operator.stock(numbers)
    main = operator.funded_account(2_000)
    client = sdk(main)

    me = client.accounts.get()
    assert me.auth_id == main.auth_id and me.account_type == "standard"
    assert me.pricing_tier.currency == "INR" and me.auth_secret == "<redacted>"

    created = client.subaccounts.create(
        name="Support team",
        email="support@example.com",
        rate_limit=1000,
        permissions={"calls": True, "cdr": True},
        password="SecurePass123!",
    )
    sub_id = created.auth_credentials.auth_id
    assert sub_id.startswith("SA_") and created.sub_account.parent_auth_id == main.auth_id
    assert created.sub_account.auth_token == "<redacted>"
    listed = client.subaccounts.list(page=1, size=20, active_only=True)
    assert [s.auth_id for s in listed.sub_accounts] == [sub_id] and listed.total == 1
    assert client.subaccounts.get(sub_id).name == "Support team"

    # the sub-account buys with its own credentials; the parent pays
    sub = sdk(AccountHandle(sub_id, created.auth_credentials.auth_token))
    bought = sub.phone_numbers.purchase_from_inventory(numbers[0], currency="INR")
    assert bought.number.account_id == sub_id
    assert _balance(client, main.auth_id) == 2_000 - PRICE
    assert _balance(sub, sub_id) == 2_000 - PRICE  # a sub-account sees its parent's wallet

    client.phone_numbers.purchase_from_inventory(numbers[1])
    assert set(_owned(client)) == set(numbers)  # MA_ lists include SA_ numbers by default
    assert set(_owned(client, include_subaccounts=True)) == set(numbers)
    assert set(_owned(client, include_subaccounts=False)) == {numbers[1]}
    assert set(_owned(sub)) == {numbers[0]}
    assert _owned(client)[numbers[0]].account_id == sub_id

    # the parent releases its sub-account's number; the parent's wallet pays the fee (0 here)
    assert client.phone_numbers.release(numbers[0]).status == "pending_release"
    assert owned_status(sub, numbers[0]) == "pending_release"

    # a sub-account cannot manage sub-accounts
    with pytest.raises(vx.ForbiddenError):
        sub.subaccounts.list()
