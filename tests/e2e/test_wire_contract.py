"""The wire contract the newer (Fern-generated, ``extra="forbid"``) Vobiz SDK enforces, checked
with plain httpx against a real ``didstore serve`` process.

That SDK is not on PyPI, so this test stands in for it: every compatible response must carry
EXACTLY the documented key set with the documented types (an extra or missing key, a null in
a required field or a fractional ``int`` is a ParsingError there). The key lists, copied
from the specs, are in ``tests/e2e/vobiz_contract.py``. Path forms and casings per numbers
spec §2, §1.3 and §9.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import AccountHandle
from tests.e2e.conftest import Operator, Server, fresh_numbers
from tests.e2e.vobiz_contract import (
    AUTH_ME,
    BALANCE,
    BY_REFERENCE_TYPE,
    CANCEL_OPTIONAL,
    CANCEL_REQUIRED,
    CAPABILITIES,
    ERROR_SCHEMA,
    INVENTORY_ITEM,
    PAGE,
    PHONE_NUMBER,
    PRICING_TIER,
    SUB_ACCOUNT,
    SUB_CREATE,
    SUB_CREDENTIALS,
    SUB_FORBIDDEN,
    SUB_LIST,
    SUB_TOKENS,
    SUMMARY,
    TRANSACTION_ROW,
    TRANSACTIONS,
    UNRENT,
)

pytestmark = pytest.mark.e2e


def _type_ok(value: Any, code: str) -> bool:
    nullable = code.endswith("?")
    code = code.rstrip("?")
    if value is None:
        return nullable or code == "any"
    if code == "any":
        return True
    if code == "s":
        return isinstance(value, str)
    if code == "i":
        return isinstance(value, int) and not isinstance(value, bool)
    if code == "f":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if code == "b":
        return isinstance(value, bool)
    if code in ("obj", "caps"):
        return isinstance(value, dict)
    if code == "list":
        return isinstance(value, list)
    if code == "list[s]":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if code == "dt":
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except (AttributeError, ValueError):
            return False
        return "T" in value
    raise AssertionError(f"unknown type code {code}")


def assert_shape(obj: Any, spec: dict[str, str], what: str) -> None:
    """Exactly the keys of ``spec`` with their types (capabilities checked one level down)."""
    assert isinstance(obj, dict), f"{what}: not an object: {obj!r}"
    extra, missing = set(obj) - set(spec), set(spec) - set(obj)
    assert not extra and not missing, f"{what}: extra {sorted(extra)}, missing {sorted(missing)}"
    bad = {k: obj[k] for k, code in spec.items() if not _type_ok(obj[k], code)}
    assert not bad, f"{what}: wrong types {bad}"
    for key, code in spec.items():
        if code == "caps":
            assert_shape(obj[key], CAPABILITIES, f"{what}.{key}")


# -- helpers ----------------------------------------------------------------------------------
def client_for(server: Server, handle: AccountHandle) -> httpx.Client:
    return httpx.Client(
        base_url=server.base_url,
        headers={"X-Auth-ID": handle.auth_id, "X-Auth-Token": handle.token},
        timeout=30,
    )


def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, f"{r.request.method} {r.request.url}: {r.status_code} {r.text}"
    return r.json()


def buy(c: httpx.Client, auth_id: str, e164: str) -> dict[str, Any]:
    body = ok(
        c.post(f"/api/v1/Account/{auth_id}/numbers/purchase-from-inventory", json={"e164": e164})
    )
    return body


@pytest.fixture
def world(server: Server, operator: Operator) -> dict[str, Any]:
    """A funded account (release fee 700) with one owned number and two more in stock."""
    numbers = fresh_numbers(3)
    operator.stock(numbers, tags=["bangalore"])
    acct = operator.funded_account(100_000, release_fee=700)
    c = client_for(server, acct)
    purchase = buy(c, acct.auth_id, numbers[0])
    return {"acct": acct, "c": c, "numbers": numbers, "purchase": purchase}


# -- shapes -----------------------------------------------------------------------------------
def test_inventory_item_has_exactly_20_keys(world: dict[str, Any]) -> None:
    c, acct, numbers = world["c"], world["acct"], world["numbers"]
    body = ok(
        c.get(
            f"/api/v1/Account/{acct.auth_id}/inventory/numbers",
            params={"search": numbers[1][1:], "country": "IN"},
        )
    )
    assert_shape(body, PAGE, "inventory page")
    assert [i["e164"] for i in body["items"]] == [numbers[1]]
    item = body["items"][0]
    assert_shape(item, INVENTORY_ITEM, "inventory item")
    assert item["account_id"] == "" and item["setup_fee"] == 100 and item["monthly_fee"] == 300
    assert item["tags"] == ["bangalore"] and item["status"] == "active"


def test_purchase_and_list_carry_the_27_key_phone_number(world: dict[str, Any]) -> None:
    c, acct, numbers, purchase = world["c"], world["acct"], world["numbers"], world["purchase"]
    assert set(purchase) == {"message", "number"}
    assert_shape(purchase["number"], PHONE_NUMBER, "purchase.number")
    assert purchase["number"]["source"] == "inventory"
    body = ok(c.get(f"/api/v1/Account/{acct.auth_id}/numbers"))
    assert_shape(body, PAGE, "numbers page")
    (item,) = body["items"]
    assert_shape(item, PHONE_NUMBER, "owned number")
    assert item["e164"] == numbers[0] and item["account_id"] == acct.auth_id
    assert item["tags"] == ["bangalore"] and item["region"] == "Karnataka"
    assert item["setup_fee"] == 100 and item["monthly_fee"] == 300


def test_unrent_and_cancel_release_shapes(world: dict[str, Any]) -> None:
    c, acct, numbers = world["c"], world["acct"], world["numbers"]
    body = ok(c.delete(f"/api/v1/Account/{acct.auth_id}/numbers/{numbers[0]}"))
    assert_shape(body, UNRENT, "unrent")
    assert body["status"] == "pending_release" and body["release_fee"] == 700
    assert body["cancel_url"] == (
        f"/api/v1/account/{acct.auth_id}/numbers/{numbers[0]}/cancel-release"
    )
    cancel = ok(c.post(body["cancel_url"]))
    allowed = {**CANCEL_REQUIRED, **CANCEL_OPTIONAL}
    assert set(CANCEL_REQUIRED) <= set(cancel) <= set(allowed), cancel
    assert all(_type_ok(v, allowed[k]) for k, v in cancel.items()), cancel
    assert cancel["status"] == "active" and cancel["refund_amount"] == 700
    assert cancel["currency"] == "INR"

    # immediate release: the same six keys, not cancellable
    buy(c, acct.auth_id, numbers[1])
    now = ok(c.delete(f"/api/v1/Account/{acct.auth_id}/numbers/{numbers[1]}?immediate=true"))
    assert_shape(now, UNRENT, "immediate unrent")
    assert now["status"] == "released"
    again = c.post(now["cancel_url"])
    assert again.status_code == 400
    assert again.json() == {"error": "number is not pending release"}


def test_balance_transactions_and_summary_shapes(world: dict[str, Any]) -> None:
    c, acct = world["c"], world["acct"]
    bal = ok(c.get(f"/api/v1/Account/{acct.auth_id}/balance/INR"))
    assert_shape(bal, BALANCE, "balance")
    assert bal["balance"] == bal["available_balance"] == 100_000 - 400
    assert bal["account_id"] == acct.auth_id

    body = ok(c.get(f"/api/v1/Account/{acct.auth_id}/transactions"))
    assert_shape(body, TRANSACTIONS, "transactions")
    assert body["total"] == 2 and body["page"] == 1 and body["total_pages"] == 1
    for row in body["transactions"]:
        assert_shape(row, TRANSACTION_ROW, "transaction row")
        assert row["account_id"] == acct.auth_id and row["balance_id"] == bal["id"]
    assert [(t["type"], t["reference_type"]) for t in body["transactions"]] == [
        ("debit", "did_purchase"),
        ("credit", "payment"),
    ]
    assert_shape(body["summary"], SUMMARY, "summary")
    for group in body["summary"]["by_reference_type"]:
        assert_shape(group, BY_REFERENCE_TYPE, "summary.by_reference_type")
    assert body["summary"]["total_credit"] == 100_000 and body["summary"]["total_debit"] == 400
    assert body["summary"]["net_amount"] == 100_000 - 400

    # legacy limit/offset (PY, OLD) map onto the pages
    paged = ok(c.get(f"/api/v1/Account/{acct.auth_id}/transactions?limit=1&offset=1"))
    assert (paged["page"], paged["per_page"], paged["total_pages"]) == (2, 1, 2)
    assert [t["reference_type"] for t in paged["transactions"]] == ["payment"]


def test_auth_me_has_exactly_46_keys(world: dict[str, Any]) -> None:
    c, acct = world["c"], world["acct"]
    me = ok(c.get("/api/v1/auth/me"))
    assert_shape(me, AUTH_ME, "auth/me")
    assert_shape(me["features"], {"call_queue": "b"}, "auth/me.features")
    assert_shape(me["pricing_tier"], PRICING_TIER, "auth/me.pricing_tier")
    assert me["auth_id"] == acct.auth_id and me["pricing_tier"]["currency"] == "INR"


def test_sub_account_create_list_retrieve_shapes(server: Server, world: dict[str, Any]) -> None:
    c, acct = world["c"], world["acct"]
    base = f"/api/v1/accounts/{acct.auth_id}/sub-accounts"
    created = ok(c.post(f"{base}/", json={"name": "ops"}), 201)
    assert_shape(created, SUB_CREATE, "sub-account create")
    assert_shape(created["sub_account"], SUB_ACCOUNT, "create.sub_account")
    assert_shape(created["auth_credentials"], SUB_CREDENTIALS, "create.auth_credentials")
    assert_shape(created["tokens"], SUB_TOKENS, "create.tokens")
    sub_id = created["auth_credentials"]["auth_id"]
    assert sub_id.startswith("SA_") and created["sub_account"]["auth_id"] == sub_id

    listed = ok(c.get(f"{base}/"))
    assert_shape(listed, SUB_LIST, "sub-account list")
    assert listed["total"] == 1
    (item,) = listed["sub_accounts"]
    assert "permissions" in item  # list items must carry it (null allowed)
    assert_shape(item, SUB_ACCOUNT, "sub-account list item")
    assert item["auth_token"] == "<redacted>"

    got = ok(c.get(f"{base}/{sub_id}"))
    assert_shape(got, SUB_ACCOUNT, "sub-account retrieve")
    updated = ok(c.put(f"{base}/{sub_id}", json={"name": "ops-2", "enabled": True}))
    assert_shape(updated, SUB_ACCOUNT, "sub-account update")
    assert updated["name"] == "ops-2"
    for shape in (created["sub_account"], item, got, updated):
        assert not SUB_FORBIDDEN & set(shape)

    # the new credentials work, and delete answers 204 without a body (or exactly {message})
    with client_for(server, AccountHandle(sub_id, created["auth_credentials"]["auth_token"])) as s:
        assert ok(s.get("/api/v1/auth/me"))["auth_id"] == sub_id
    gone = c.delete(f"{base}/{sub_id}")
    assert gone.status_code in (200, 204)
    assert gone.content == b"" or set(gone.json()) == {"message"}


# -- error envelopes (numbers §7.1) -----------------------------------------------------------
def test_error_envelopes(server: Server, operator: Operator, world: dict[str, Any]) -> None:
    c, acct, numbers = world["c"], world["acct"], world["numbers"]
    (ghost,) = fresh_numbers(1)
    path = f"/api/v1/Account/{acct.auth_id}/numbers/purchase-from-inventory"

    nf = c.post(path, json={"e164": ghost})
    assert nf.status_code == 404
    assert set(nf.json()) <= ERROR_SCHEMA and nf.json()["error"] == "not_found"

    poor = operator.funded_account(10)
    with client_for(server, poor) as p:
        pay = p.post(
            f"/api/v1/Account/{poor.auth_id}/numbers/purchase-from-inventory",
            json={"e164": numbers[2]},
        )
        assert pay.status_code == 402
        assert set(pay.json()) == {"error", "message"}
        assert pay.json()["error"] == "insufficient_balance"

        mine = p.delete(f"/api/v1/Account/{poor.auth_id}/numbers/{numbers[0]}")
        assert mine.status_code == 403 and mine.json()["error"] == "forbidden"

        other = p.get(f"/api/v1/Account/{acct.auth_id}/numbers")
        assert other.status_code == 403
        assert other.json() == {
            "error": {"code": 403, "message": "Access denied: account ID mismatch"}
        }

    bad = c.post(path, json={"e164": "12ab"})
    assert bad.status_code == 400 and set(bad.json()) == {"error", "message"}

    unauth = httpx.get(
        f"{server.base_url}/api/v1/Account/{acct.auth_id}/numbers",
        headers={"X-Auth-ID": acct.auth_id, "X-Auth-Token": "nope"},
    )
    assert unauth.status_code == 401
    err = unauth.json()["error"]
    assert (
        set(unauth.json()) == {"error"} and err["code"] == 401 and isinstance(err["message"], str)
    )

    not_pending = c.post(f"/api/v1/account/{acct.auth_id}/numbers/{numbers[0]}/cancel-release")
    assert not_pending.status_code == 400
    assert not_pending.json() == {"error": "number is not pending release"}


# -- path forms and casings (numbers §2, §1.3, §9) --------------------------------------------
FORMS = {
    "plus": lambda n: n,
    "pct2B": lambda n: "%2B" + n[1:],
    "pct252B": lambda n: "%252B" + n[1:],
    "digits": lambda n: n[1:],
}


@pytest.mark.parametrize("form", list(FORMS))
def test_number_path_forms_for_release_and_cancel(
    server: Server, operator: Operator, form: str
) -> None:
    (number,) = fresh_numbers(1)
    operator.stock([number])
    acct = operator.funded_account(10_000, release_fee=5)
    with client_for(server, acct) as c:
        buy(c, acct.auth_id, number)
        segment = FORMS[form](number)
        r = c.delete(f"/api/v1/Account/{acct.auth_id}/numbers/{segment}")
        assert f"/numbers/{segment}".encode() in r.request.url.raw_path  # sent as written
        assert ok(r)["status"] == "pending_release"
        r = c.post(f"/api/v1/account/{acct.auth_id}/numbers/{segment}/cancel-release")
        assert f"/numbers/{segment}/".encode() in r.request.url.raw_path
        assert ok(r)["refund_amount"] == 5
        listed = ok(c.get(f"/api/v1/Account/{acct.auth_id}/numbers"))["items"]
        assert [(n["e164"], n["status"]) for n in listed] == [(number, "active")]


@pytest.mark.parametrize("casing", ["Account", "account"])
@pytest.mark.parametrize("slash", ["", "/"])
def test_account_casing_and_trailing_slash(world: dict[str, Any], casing: str, slash: str) -> None:
    c, acct, numbers = world["c"], world["acct"], world["numbers"]
    root = f"/api/v1/{casing}/{acct.auth_id}"
    owned = ok(c.get(f"{root}/numbers{slash}"))
    assert [n["e164"] for n in owned["items"]] == [numbers[0]]
    inv = ok(c.get(f"{root}/inventory/numbers{slash}", params={"search": numbers[1][1:]}))
    assert [n["e164"] for n in inv["items"]] == [numbers[1]]
    assert_shape(ok(c.get(f"{root}/balance/INR{slash}")), BALANCE, "balance")
    assert ok(c.get(f"{root}/transactions{slash}"))["total"] == 2
    listed = ok(c.get(f"/api/v1/accounts/{acct.auth_id}/sub-accounts{slash}"))
    assert_shape(listed, SUB_LIST, "sub-account list")


def test_purchase_through_lowercase_path_with_trailing_slash(world: dict[str, Any]) -> None:
    c, acct, numbers = world["c"], world["acct"], world["numbers"]
    body = ok(
        c.post(
            f"/api/v1/account/{acct.auth_id}/numbers/purchase-from-inventory/",
            json={"e164": numbers[1], "currency": "INR"},
        )
    )
    assert_shape(body["number"], PHONE_NUMBER, "purchase.number")
    assert body["number"]["e164"] == numbers[1]


def test_query_forms(world: dict[str, Any]) -> None:
    """``search`` with an encoded ``+``, booleans as ``True``/``true``/``False``, and the
    legacy ``limit``/``offset`` on the owned list."""
    c, acct, numbers = world["c"], world["acct"], world["numbers"]
    root = f"/api/v1/Account/{acct.auth_id}"
    plus = quote(numbers[0], safe="")
    hit = ok(c.get(f"{root}/numbers?search={plus}"))
    assert [n["e164"] for n in hit["items"]] == [numbers[0]]
    for value in ("True", "true", "False", "false"):
        body = ok(c.get(f"{root}/numbers?include_subaccounts={value}"))
        assert [n["e164"] for n in body["items"]] == [numbers[0]]
    bad = c.get(f"{root}/numbers?include_subaccounts=maybe")
    assert bad.status_code == 400 and set(bad.json()) == {"error", "message"}
    legacy = ok(c.get(f"{root}/numbers?limit=1&offset=0"))
    assert (legacy["page"], legacy["per_page"], legacy["total"]) == (1, 1, 1)
