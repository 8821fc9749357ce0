"""CSV exports through the SDK (ADR 0024), in both flavours against a real server: the body
is streamed into a binary file and equals the JSON list it exports."""

from __future__ import annotations

import csv
import io

import pytest

from didstore.client import APIError, AuthenticationError, Client
from didstore.wire.csv import OWNED_NUMBER_COLUMNS, TRANSACTION_COLUMNS
from tests.live_server import Account, LiveServer
from tests.sdk.flavours import Flavour


def _read(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(data.decode(), newline=""))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def test_owned_numbers_export_streams_the_whole_list(live: LiveServer, client: Client) -> None:
    aid = client.auth_id or ""
    numbers = live.stock(3)
    for number in numbers[:2]:
        client.phone_numbers.purchase_from_inventory(aid, number)
    out = io.BytesIO()
    written = client.phone_numbers.export_numbers_csv(aid, out)
    assert written == len(out.getvalue()) > 0
    columns, rows = _read(out.getvalue())
    assert columns == list(OWNED_NUMBER_COLUMNS)
    listed = list(client.phone_numbers.list_numbers(aid, per_page=1))
    assert [r["e164"] for r in rows] == [n.e164 for n in listed] == sorted(numbers[:2])
    assert [r["id"] for r in rows] == [n.id for n in listed]
    one = io.BytesIO()
    client.phone_numbers.export_numbers_csv(aid, one, search=numbers[1], include_subaccounts=True)
    assert [r["e164"] for r in _read(one.getvalue())[1]] == [numbers[1]]


def test_transactions_export_applies_the_filters(live: LiveServer, client: Client) -> None:
    aid = client.auth_id or ""
    client.phone_numbers.purchase_from_inventory(aid, live.stock(1)[0])
    out = io.BytesIO()
    client.transactions.export_csv(aid, out)
    columns, rows = _read(out.getvalue())
    assert columns == list(TRANSACTION_COLUMNS)
    listed = list(client.transactions.list(aid))
    assert [r["id"] for r in rows] == [t.id for t in listed]
    debits = io.BytesIO()
    client.transactions.export_csv(aid, debits, type="debit")
    assert {r["type"] for r in _read(debits.getvalue())[1]} == {"debit"}


def test_an_export_refused_writes_nothing(
    live: LiveServer, account: Account, flavour: Flavour
) -> None:
    other = live.create_account(balance=0)
    client = flavour.client(account.auth_id, account.auth_token, base_url=live.url)
    out = io.BytesIO()
    with pytest.raises(APIError):
        client.phone_numbers.export_numbers_csv(other.auth_id, out)
    bad = flavour.client(account.auth_id, "wrong-token", base_url=live.url, max_retries=0)
    with pytest.raises(AuthenticationError):
        bad.transactions.export_csv(account.auth_id, out)
    assert out.getvalue() == b""
