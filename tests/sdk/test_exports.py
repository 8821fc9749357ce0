"""CSV exports through the SDK (ADR 0024), in both flavours against a real server: the body
is streamed into a binary file and equals the JSON list it exports."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from didstore.client import APIConnectionError, APIError, AuthenticationError, Client
from didstore.wire.csv import OWNED_NUMBER_COLUMNS, TRANSACTION_COLUMNS
from tests.live_server import Account, LiveServer
from tests.sdk.flavours import Flavour
from tests.sdk.transports import scripted


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


CSV_BODY = b"id,e164\r\n1,+918041000000\r\n"


def test_a_refused_start_is_retried_and_the_file_written_once(flavour: Flavour) -> None:
    transport, seen = scripted(
        httpx.Response(503, json={"error": "unavailable"}),
        httpx.Response(200, content=CSV_BODY, headers={"Content-Type": "text/csv"}),
    )
    client = flavour.client("MA_X", "t", base_url="http://didstore.test", transport=transport)
    out = io.BytesIO()
    assert client.phone_numbers.export_numbers_csv("MA_X", out) == len(CSV_BODY)
    assert out.getvalue() == CSV_BODY and len(seen) == 2
    assert {r.headers["Accept"] for r in seen} == {"text/csv"}


class _CutStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that sends its first chunk, then loses the connection."""

    def __iter__(self) -> Iterator[bytes]:
        yield CSV_BODY[:9]
        raise httpx.ReadError("connection lost")

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield CSV_BODY[:9]
        raise httpx.ReadError("connection lost")


def test_a_stream_cut_after_the_first_byte_is_raised_not_retried(flavour: Flavour) -> None:
    transport, seen = scripted(
        httpx.Response(200, stream=_CutStream()),
        httpx.Response(200, content=CSV_BODY),
    )
    client = flavour.client("MA_X", "t", base_url="http://didstore.test", transport=transport)
    out = io.BytesIO()
    with pytest.raises(APIConnectionError):
        client.transactions.export_csv("MA_X", out)
    assert len(seen) == 1 and out.getvalue() == CSV_BODY[:9]  # a partial file, said so
