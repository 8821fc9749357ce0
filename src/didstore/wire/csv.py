"""CSV as the API, the console and the CLI write it (ADR 0024): the JSON wire objects,
flattened into columns, encoded a batch at a time so that an export of any size holds one
batch in memory.

- **Columns** are the keys of the JSON object in its order; a nested object of fixed keys
  becomes ``parent.child`` columns (``capabilities.voice``). Each export's columns are fixed
  (``*_COLUMNS`` below), so an empty export is the header row alone.
- **Cells**: a string as it is; ``true``/``false`` for booleans; a number as JSON writes it;
  an empty cell for ``null``; a list or a free-form object as compact JSON in one cell
  (``tags``, the audit log's ``before``/``after``), keys sorted.
- **Quoting**: RFC 4180 by the standard ``csv`` module (a cell with a comma, a quote or a
  line break is quoted, quotes doubled); lines end with CRLF; UTF-8 without a byte-order mark.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

import orjson

from didstore.wire.format import timestamp

T = TypeVar("T")

#: ``wire.numbers.owned_number``, flattened (the owned-number list).
OWNED_NUMBER_COLUMNS: tuple[str, ...] = (
    "id", "account_id", "e164", "country", "region", "capabilities.voice",
    "capabilities.sms", "capabilities.mms", "capabilities.fax", "status", "provider",
    "setup_fee", "monthly_fee", "currency", "application_id", "voice_enabled", "tags",
    "purchased_at", "is_blocked", "created_at", "updated_at", "is_trial_number",
    "last_billing_date", "next_billing_date", "minimum_commitment_months",
    "aadhaar_verification_required", "aadhaar_verified", "source", "released_at",
    "trunk_group_id",
)  # fmt: skip

#: ``wire.accounts.transaction`` (the ledger listing).
TRANSACTION_COLUMNS: tuple[str, ...] = (
    "id", "account_id", "balance_id", "type", "amount", "currency", "description",
    "reference", "reference_type", "status", "processed_at", "created_at", "updated_at",
)  # fmt: skip

#: ``services.audit_query.audit_entry`` with RFC 3339 times (the audit log).
AUDIT_COLUMNS: tuple[str, ...] = (
    "id", "at", "actor_type", "actor_id", "credential", "account_id", "action",
    "entity_type", "entity_id", "e164", "before", "after", "request_id", "source_ip",
)  # fmt: skip

#: ``wire.numbers.stock_number`` (the operator's inventory: every number, any state).
INVENTORY_COLUMNS: tuple[str, ...] = (
    "id", "e164", "state", "status", "account_id", "country", "region", "capabilities.voice",
    "capabilities.sms", "capabilities.mms", "capabilities.fax", "provider", "setup_fee",
    "monthly_fee", "currency", "tags", "is_trial_number", "minimum_commitment_months",
    "aadhaar_verification_required", "source", "trunk_group_id", "application_id",
    "purchased_at", "next_billing_date", "cooldown_ends_at", "released_at", "created_at",
    "updated_at",
)  # fmt: skip


def _path(column: str) -> tuple[str, ...]:
    return tuple(column.split("."))


def value_at(obj: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """``obj["a"]["b"]`` for the column ``a.b``; ``None`` when a key is missing."""
    value: Any = obj
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def cell(value: Any) -> str:
    """One value as its CSV cell (see the module's rules)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return orjson.dumps(value).decode()
    if isinstance(value, datetime):
        return timestamp(value)
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


class _Encoder:
    """Rows to UTF-8 bytes, one chunk per call, through one reusable buffer."""

    def __init__(self, columns: Sequence[str]) -> None:
        self.columns = tuple(columns)
        self._paths = [_path(c) for c in self.columns]
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")

    def _take(self) -> bytes:
        data = self._buffer.getvalue().encode()
        self._buffer.seek(0)
        self._buffer.truncate()
        return data

    def header(self) -> bytes:
        self._writer.writerow(self.columns)
        return self._take()

    def rows(self, rows: Iterable[Mapping[str, Any]]) -> bytes:
        paths = self._paths
        for row in rows:
            self._writer.writerow([cell(value_at(row, p)) for p in paths])
        return self._take()


def encode(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> bytes:
    """A whole (small) CSV document at once: the header row, then one line per row."""
    encoder = _Encoder(columns)
    return encoder.header() + encoder.rows(rows)


async def stream(
    columns: Sequence[str], batches: AsyncIterable[Iterable[Mapping[str, Any]]]
) -> AsyncIterator[bytes]:
    """The header row, then one chunk per batch of wire objects: what a streamed export
    sends. Only the batch being encoded is held."""
    encoder = _Encoder(columns)
    yield encoder.header()
    async for batch in batches:
        chunk = encoder.rows(batch)
        if chunk:
            yield chunk


async def mapped(
    batches: AsyncIterable[list[T]], shape: Callable[[T], Mapping[str, Any]]
) -> AsyncIterator[list[Mapping[str, Any]]]:
    """Each batch of service objects as wire objects (``shape``: a ``wire`` function)."""
    async for batch in batches:
        yield [shape(item) for item in batch]
