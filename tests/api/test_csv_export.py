"""CSV exports (issue 13 item 5, ADR 0024): ``Accept: text/csv`` on the owned-number list,
the ledger, the operator's inventory and the audit log answers the whole matching list as
CSV, with the JSON objects' fields as columns."""

from __future__ import annotations

import csv
import io
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from didstore.api.csv import prefers_csv
from didstore.services.models import CLI
from didstore.wire import csv as wire_csv
from tests.conftest import (
    IN_NUMBERS,
    US_NUMBERS,
    AccountHandle,
    admin_headers,
    make_account,
    make_sub_account,
    stock,
)
from tests.support import TestServices

CSV = {"Accept": "text/csv"}


def _rows(text: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def _as_cells(obj: dict[str, Any], columns: tuple[str, ...]) -> dict[str, str]:
    """A JSON object as its CSV row reads back (the writer's rules, applied independently:
    ``a.b`` columns from nested objects, booleans lower case, null empty, lists and objects
    as JSON)."""
    cells: dict[str, str] = {}
    for column in columns:
        value: Any = obj
        for key in column.split("."):
            value = value[key]
        if value is None:
            cells[column] = ""
        elif isinstance(value, bool):
            cells[column] = "true" if value else "false"
        elif isinstance(value, list | dict):
            cells[column] = orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
        else:
            cells[column] = str(value)
    return cells


def _buy(client: TestClient, acct: AccountHandle, e164: str, auth_id: str | None = None) -> None:
    r = client.post(
        f"/api/v1/Account/{auth_id or acct.auth_id}/numbers/purchase-from-inventory",
        json={"e164": e164},
        headers=acct.headers,
    )
    assert r.status_code == 200, r.text


def _csv_get(client: TestClient, url: str, headers: dict[str, str], **params: Any) -> Any:
    r = client.get(url, params=params, headers={**headers, **CSV})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"].startswith("attachment; filename=")
    return r


# -- owned numbers ---------------------------------------------------------------------------
def test_owned_numbers_csv_is_the_whole_json_list(client: TestClient, state: TestServices) -> None:
    acct = make_account(state, balance=100_000)
    sub = make_sub_account(state, acct)
    other = make_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:7], tags=['gold, "vip"', "line\nbreak"])
    for e164 in IN_NUMBERS[:5]:
        _buy(client, acct, e164)
    _buy(client, acct, IN_NUMBERS[5], auth_id=sub.auth_id)
    _buy(client, other, IN_NUMBERS[6])
    url = f"/api/v1/Account/{acct.auth_id}/numbers"
    pages = [
        client.get(url, params={"page": p, "per_page": 2}, headers=acct.headers).json()
        for p in (1, 2, 3, 4)
    ]
    listed = [item for page in pages for item in page["items"]]
    assert len(listed) == 6  # the sub-account's number included, the other account's not

    r = _csv_get(client, url, acct.headers, page=2, per_page=2)  # paging ignored
    columns, rows = _rows(r.text)
    assert columns == list(wire_csv.OWNED_NUMBER_COLUMNS)
    assert rows == [_as_cells(item, wire_csv.OWNED_NUMBER_COLUMNS) for item in listed]
    assert rows[0]["tags"] == '["gold, \\"vip\\"","line\\nbreak"]'
    assert IN_NUMBERS[6] not in r.text

    # the same filters as JSON: search, include_subaccounts
    only_own = _csv_get(client, url, acct.headers, include_subaccounts="false")
    assert [row["e164"] for row in _rows(only_own.text)[1]] == IN_NUMBERS[:5]
    searched = _csv_get(client, url, acct.headers, search=IN_NUMBERS[3][-4:])
    assert [row["e164"] for row in _rows(searched.text)[1]] == [IN_NUMBERS[3]]
    # a sub-account exports its own numbers only
    sub_rows = _rows(_csv_get(client, f"/api/v1/Account/{sub.auth_id}/numbers", sub.headers).text)
    assert [row["e164"] for row in sub_rows[1]] == [IN_NUMBERS[5]]


def test_an_empty_export_is_the_header_row(client: TestClient, state: TestServices) -> None:
    acct = make_account(state)
    r = _csv_get(client, f"/api/v1/Account/{acct.auth_id}/numbers", acct.headers)
    assert r.text == ",".join(wire_csv.OWNED_NUMBER_COLUMNS) + "\r\n"
    r = _csv_get(client, f"/api/v1/Account/{acct.auth_id}/transactions", acct.headers)
    assert r.text == ",".join(wire_csv.TRANSACTION_COLUMNS) + "\r\n"


def test_csv_needs_the_same_credentials_and_scope(client: TestClient, state: TestServices) -> None:
    acct = make_account(state, balance=10_000)
    other = make_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:1])
    _buy(client, acct, IN_NUMBERS[0])
    for path in ("numbers", "transactions"):
        url = f"/api/v1/Account/{acct.auth_id}/{path}"
        anonymous = client.get(url, headers=CSV)
        assert anonymous.status_code == 401
        assert anonymous.headers["content-type"].startswith("application/json")
        foreign = client.get(url, headers={**other.headers, **CSV})
        assert foreign.status_code in (403, 404), foreign.text
        assert IN_NUMBERS[0] not in foreign.text
    for path in ("audit", "inventory"):
        refused = client.get(f"/api/v1/admin/{path}", headers={**acct.headers, **CSV})
        assert refused.status_code in (401, 403)
    # a bad filter is refused before anything is streamed
    bad = client.get(
        f"/api/v1/Account/{acct.auth_id}/numbers", params={"page": "x"}, headers=acct.headers | CSV
    )
    assert bad.status_code == 400


@pytest.mark.parametrize(
    ("accept", "csv_wanted"),
    [
        ("", False),
        ("*/*", False),
        ("text/*", False),
        ("application/json", False),
        ("text/csv", True),
        ("text/csv; charset=utf-8", True),
        ("TEXT/CSV", True),
        ("text/csv, application/json", True),
        ("application/json, text/csv", False),
        ("application/json;q=0.5, text/csv", True),
        ("text/csv;q=0.4, application/json;q=0.9", False),
        ("text/csv;q=0", False),
        ("text/csv, */*;q=0.1", True),
        ("*/*, text/csv;q=0.5", False),
        ("text/csv;q=bad", False),
        ("text/csv;q=nan", False),  # float() reads these, but they are no quality value
        ("text/csv;q=inf", False),
        ("text/csv;q=1e-3", False),
        ("text/csv;q=0.001", True),
    ],
)
def test_accept_negotiation(accept: str, csv_wanted: bool) -> None:
    assert prefers_csv(accept) is csv_wanted


def test_json_answers_are_unchanged_without_text_csv(
    client: TestClient, state: TestServices
) -> None:
    acct = make_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:1])
    _buy(client, acct, IN_NUMBERS[0])
    url = f"/api/v1/Account/{acct.auth_id}/numbers"
    plain = client.get(url, headers=acct.headers)
    for accept in ("*/*", "application/json", "application/json, text/csv"):
        r = client.get(url, headers={**acct.headers, "Accept": accept})
        assert r.headers["content-type"] == "application/json"
        assert r.content == plain.content


# -- transactions ----------------------------------------------------------------------------
def test_transactions_csv_is_the_whole_ledger_listing(
    client: TestClient, state: TestServices
) -> None:
    acct = make_account(state, balance=10_000)
    other = make_account(state, balance=5_000)
    account = state.accounts.get(acct.auth_id)
    tricky = 'refund, "goodwill"\nsecond line'
    for n in range(4):
        state.wallet.credit(CLI, account, amount=10 + n, currency_code="INR", description=tricky)
    stock(state, IN_NUMBERS[:2])
    _buy(client, acct, IN_NUMBERS[0])
    _buy(client, other, IN_NUMBERS[1])
    url = f"/api/v1/Account/{acct.auth_id}/transactions"
    listed = client.get(url, params={"per_page": 100}, headers=acct.headers).json()
    assert listed["total"] == 6
    columns, rows = _rows(_csv_get(client, url, acct.headers, per_page=1).text)
    assert columns == list(wire_csv.TRANSACTION_COLUMNS)
    assert rows == [_as_cells(t, wire_csv.TRANSACTION_COLUMNS) for t in listed["transactions"]]
    assert [r["description"] for r in rows].count(tricky) == 4  # quoted, read back whole

    # the JSON listing's filters apply
    credits = client.get(url, params={"type": "credit"}, headers=acct.headers).json()
    filtered = _rows(_csv_get(client, url, acct.headers, type="credit").text)[1]
    assert [r["id"] for r in filtered] == [t["id"] for t in credits["transactions"]]
    assert len(filtered) == 5
    assert client.get(url, params={"type": "x"}, headers={**acct.headers, **CSV}).status_code == 400


# -- operator: inventory and audit -----------------------------------------------------------
def test_operator_inventory_pages_by_key_and_exports_whole(
    client: TestClient, state: TestServices
) -> None:
    acct = make_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:5])
    stock(state, US_NUMBERS[:2], currency="USD")
    _buy(client, acct, IN_NUMBERS[2])
    url = "/api/v1/admin/inventory"
    seen: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 3}
        if after:
            params["after"] = after
        page = client.get(url, params=params, headers=admin_headers()).json()
        seen += page["objects"]
        after = page["next_after"]
        if after is None:
            break
    assert [n["e164"] for n in seen] == sorted(US_NUMBERS[:2] + IN_NUMBERS[:5])
    bought = next(n for n in seen if n["e164"] == IN_NUMBERS[2])
    assert (bought["state"], bought["account_id"]) == ("active", acct.auth_id)

    columns, rows = _rows(_csv_get(client, url, admin_headers(), limit=1).text)
    assert columns == list(wire_csv.INVENTORY_COLUMNS)
    assert rows == [_as_cells(n, wire_csv.INVENTORY_COLUMNS) for n in seen]
    available = _rows(_csv_get(client, url, admin_headers(), state="available", country="IN").text)
    assert [r["e164"] for r in available[1]] == [IN_NUMBERS[i] for i in (0, 1, 3, 4)]
    for bad in ({"state": "sold"}, {"limit": 0}, {"limit": 1001}, {"country": "India"}):
        assert client.get(url, params=bad, headers=admin_headers()).status_code == 400


def test_audit_csv_is_the_whole_filtered_log(client: TestClient, state: TestServices) -> None:
    acct = make_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:3])
    for e164 in IN_NUMBERS[:3]:
        _buy(client, acct, e164)
    url = "/api/v1/admin/audit"
    listed = client.get(url, params={"per_page": 100}, headers=admin_headers()).json()
    assert listed["meta"]["total"] >= 5
    columns, rows = _rows(_csv_get(client, url, admin_headers(), per_page=1).text)
    assert columns == list(wire_csv.AUDIT_COLUMNS)
    assert rows == [_as_cells(o, wire_csv.AUDIT_COLUMNS) for o in listed["objects"]]
    one = _rows(_csv_get(client, url, admin_headers(), e164=IN_NUMBERS[1]).text)[1]
    assert one and {r["e164"] for r in one} == {IN_NUMBERS[1]}
    by_account = client.get(
        url, params={"account_id": acct.auth_id, "per_page": 100}, headers=admin_headers()
    ).json()
    exported = _rows(_csv_get(client, url, admin_headers(), account_id=acct.auth_id).text)[1]
    assert [r["id"] for r in exported] == [str(o["id"]) for o in by_account["objects"]]
