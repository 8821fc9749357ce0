"""Webhook delivery, run by the job runner (``didstore worker``, the server's job thread,
``jobs run webhooks``), never inside a customer's request (ADR 0020).

Each run:
1. **fans out**: for each enabled endpoint (locked, so two workers never both do one), the
   events after its cursor that it subscribes to become ``pending`` deliveries, one per
   (endpoint, event) (a unique key), and the cursor moves on, in one transaction;
2. **sends** the due deliveries: claimed by moving their next attempt a lease ahead (a
   worker that dies mid-send leaves them to be sent again when the lease ends: at least
   once), POSTed outside any transaction and signed per the Standard Webhooks specification
   (``standardwebhooks``: ``webhook-id``, ``webhook-timestamp``, ``webhook-signature``, with
   a second signature by the previous secret while a rotation's grace lasts);
3. **records** each attempt in the delivery log. A 2xx acknowledges the delivery. Anything
   else is retried with exponential backoff and jitter (10 s doubling to at most 4 h, each
   delay between half and all of that) until 24 h have passed since the first attempt; then
   the delivery is ``failed``. After ``DISABLE_AFTER`` failed deliveries in a row (no
   success between them) the endpoint is disabled until re-enabled.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx
import orjson
from sqlalchemy import and_, bindparam, func, select, update
from standardwebhooks.webhooks import Webhook

from didstore.clock import Clock
from didstore.db.database import Connection, Database
from didstore.db.tables import (
    accounts,
    events,
    webhook_attempts,
    webhook_deliveries,
    webhook_endpoints,
)
from didstore.domain.ids import new_uuid
from didstore.services.event_feed import Event, EventFeed
from didstore.services.outbound import AddressRefused, PinnedBackend
from didstore.services.webhooks import signing_secrets

RETRY_FOR = timedelta(hours=24)
FIRST_DELAY = timedelta(seconds=10)
MAX_DELAY = timedelta(hours=4)
DISABLE_AFTER = 5  # failed deliveries in a row (each after 24 h of retries)
LEASE = timedelta(minutes=5)
TIMEOUT = 10.0  # each of connect, write, read
TOTAL_TIMEOUT = 30.0  # a whole attempt, however slowly the receiver trickles its answer
SEND_BATCH = 100
FAN_OUT_BATCH = 1000
CONCURRENCY = 16

_ep, _d = webhook_endpoints.c, webhook_deliveries.c


def backoff(failures: int, rng: random.Random) -> timedelta:
    """The wait after the ``failures``-th failed attempt: exponential, with jitter."""
    base: timedelta = min(FIRST_DELAY * 2 ** min(failures - 1, 30), MAX_DELAY)
    return base * (0.5 + rng.random() / 2)


@dataclass
class DeliveryReport:
    fanned_out: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True)
class _Send:
    delivery_id: str
    endpoint_id: str
    url: str
    secrets: list[str]
    first_attempt_at: datetime | None
    attempts: int
    event: Event | None


@dataclass(frozen=True, slots=True)
class _Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


_ENDPOINT_FOR_FAN_OUT = (
    select(webhook_endpoints, accounts.c.auth_id, accounts.c.kind)
    .outerjoin(accounts, accounts.c.id == _ep.account_id)
    .where(_ep.id == bindparam("endpoint_id"), _ep.enabled.is_(True))
    .with_for_update(skip_locked=True, of=webhook_endpoints)
)
_MAX_EVENT = select(func.coalesce(func.max(events.c.id), 0))


#: what a failed POST raises (recorded in the delivery log, then retried)
HTTP_ERRORS = (
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    httpcore.ProxyError,
    OSError,
)
#: how much of a refusing receiver's answer the delivery log keeps
ANSWER_KEPT = 4096


def _wire_url(url: str) -> httpcore.URL:
    """``url`` as it goes on the wire: an internationalised host IDNA-encoded (``xn--…``),
    the path and query percent-encoded where they must be (httpcore takes ASCII only)."""
    u = httpx.URL(url)
    return httpcore.URL(scheme=u.raw_scheme, host=u.raw_host, port=u.port, target=u.raw_path)


async def _send_post(
    http: httpcore.AsyncConnectionPool, url: str, headers: dict[str, str], body: bytes
) -> tuple[int, str]:
    """POST ``body``; the status and the start of the answer (never more than
    ``ANSWER_KEPT`` bytes read, however much the receiver sends)."""
    timeouts = {"connect": TIMEOUT, "read": TIMEOUT, "write": TIMEOUT, "pool": TIMEOUT}
    async with http.stream(
        "POST",
        _wire_url(url),
        headers=list(headers.items()),
        content=body,
        extensions={"timeout": timeouts},
    ) as response:
        kept = b""
        async for chunk in response.aiter_stream():
            kept += chunk
            if len(kept) >= ANSWER_KEPT:
                break
    return response.status, kept[:ANSWER_KEPT].decode("utf-8", "replace")


def event_body(e: Event) -> bytes:
    """What a delivery POSTs: the event exactly as the feed shows it."""
    from didstore.wire.events import event as event_wire

    return orjson.dumps(event_wire(e))


def sign(secrets: list[str], msg_id: str, at: datetime, body: bytes) -> str:
    """The ``webhook-signature`` header: one ``v1,…`` signature per secret."""
    return " ".join(Webhook(s).sign(msg_id, at, body) for s in secrets)


class WebhookDelivery:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        feed: EventFeed,
        *,
        allow_private_urls: bool = False,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.feed = feed
        self.allow_private = allow_private_urls
        self.rng = rng or random.Random()

    async def run(self) -> DeliveryReport:
        report = DeliveryReport()
        await self.feed.sequence()
        report.fanned_out = await self.fan_out()
        await self.send_due(report)
        return report

    # -- 1. fan out ---------------------------------------------------------------------------
    async def fan_out(self) -> int:
        async with self.db.read() as conn:  # only endpoints with events left to take
            top = int((await conn.execute(_MAX_EVENT)).scalar_one())
            ids = (
                await conn.execute(
                    select(_ep.id).where(_ep.enabled.is_(True), _ep.cursor < top).order_by(_ep.id)
                )
            ).scalars()
        total = 0
        for endpoint_id in ids:
            while True:
                async with self.db.write() as conn:
                    added, more = await self._fan_out_one(conn, endpoint_id)
                total += added
                if not more:
                    break
        return total

    async def _fan_out_one(self, conn: Connection, endpoint_id: str) -> tuple[int, bool]:
        ep = (await conn.execute(_ENDPOINT_FOR_FAN_OUT, {"endpoint_id": endpoint_id})).first()
        if ep is None:  # disabled, deleted, or another worker has it now
            return 0, False
        m = ep._mapping
        top = int((await conn.execute(_MAX_EVENT)).scalar_one())
        query = select(events.c.id).where(events.c.id > m["cursor"], events.c.id <= top)
        if m["account_id"] is not None:
            column = events.c.main_account_id if m["kind"] == "main" else events.c.account_id
            query = query.where(column == m["auth_id"])
        if m["event_types"]:
            query = query.where(events.c.type.in_(list(m["event_types"])))
        found = (await conn.execute(query.order_by(events.c.id).limit(FAN_OUT_BATCH))).scalars()
        now = self.clock.now()
        if found:
            await conn.insert_rows(
                webhook_deliveries,
                [
                    {
                        "id": new_uuid(),
                        "endpoint_id": endpoint_id,
                        "event_id": event_id,
                        "status": "pending",
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                    }
                    for event_id in found
                ],
            )
        more = len(found) == FAN_OUT_BATCH
        cursor = int(found[-1]) if more else top
        if cursor != m["cursor"]:
            await conn.execute(
                update(webhook_endpoints).where(_ep.id == endpoint_id).values(cursor=cursor)
            )
        return len(found), more

    # -- 2. send ------------------------------------------------------------------------------
    async def send_due(self, report: DeliveryReport) -> None:
        while True:
            batch = await self._claim()
            if not batch:
                return
            sem = asyncio.Semaphore(CONCURRENCY)
            async with httpcore.AsyncConnectionPool(  # never follows redirects
                ssl_context=httpx.create_ssl_context(),
                max_connections=CONCURRENCY,
                network_backend=PinnedBackend(allow_private=self.allow_private),
            ) as http:
                await asyncio.gather(*(self._send(http, sem, item, report) for item in batch))
            if len(batch) < SEND_BATCH:
                return

    async def _send(
        self,
        http: httpcore.AsyncConnectionPool,
        sem: asyncio.Semaphore,
        item: _Send,
        report: DeliveryReport,
    ) -> None:
        async with sem:
            outcome = await self._post(http, item)
        await self._record(item, outcome, report)

    async def _claim(self) -> list[_Send]:
        now = self.clock.now()
        async with self.db.read() as conn:  # most runs find nothing due: no write then
            due = _d.status == "pending", _d.next_attempt_at <= now
            if (await conn.execute(select(_d.id).where(*due).limit(1))).first() is None:
                return []
        async with self.db.write() as conn:
            rows = (
                await conn.execute(
                    select(
                        _d.id,
                        _d.endpoint_id,
                        _d.event_id,
                        _d.attempts,
                        _d.first_attempt_at,
                        _ep.url,
                        _ep.secret,
                        _ep.previous_secret,
                        _ep.previous_secret_until,
                    )
                    .join(webhook_endpoints, _ep.id == _d.endpoint_id)
                    .where(_d.status == "pending", _d.next_attempt_at <= now, _ep.enabled.is_(True))
                    .order_by(_d.next_attempt_at, _d.event_id)
                    .limit(SEND_BATCH)
                    .with_for_update(skip_locked=True, of=webhook_deliveries)
                )
            ).all()
            if not rows:
                return []
            ids = [r.id for r in rows]
            await conn.execute(
                update(webhook_deliveries).where(_d.id.in_(ids)).values(next_attempt_at=now + LEASE)
            )
            found = await conn.execute(
                select(
                    events.c.id,
                    events.c.type,
                    events.c.created_at,
                    events.c.account_id,
                    events.c.data,
                ).where(events.c.id.in_(sorted({int(r.event_id) for r in rows})))
            )
            by_id = {int(e[0]): Event(int(e[0]), e[1], e[2], e[3], e[4]) for e in found}
        return [
            _Send(
                r.id,
                r.endpoint_id,
                r.url,
                signing_secrets(r._mapping, now),
                r.first_attempt_at,
                int(r.attempts),
                by_id.get(int(r.event_id)),
            )
            for r in rows
        ]

    async def _post(self, http: httpcore.AsyncConnectionPool, item: _Send) -> _Outcome:
        """POST the event. The connection goes only to an address that passed the outbound
        rule at this very attempt (``PinnedBackend``: the name may point elsewhere now than
        when it was stored, and cannot switch between the check and the connection)."""
        started = time.monotonic()

        def done(code: int | None, error: str | None) -> _Outcome:
            return _Outcome(code, error, int((time.monotonic() - started) * 1000))

        if item.event is None:
            return done(None, "the event is past the retention window")
        body = event_body(item.event)
        msg_id = f"evt_{item.event.id}"
        signed_at = datetime.now(UTC)  # wall-clock time: receivers check it against theirs
        headers = {
            "content-type": "application/json",
            "user-agent": "didstore-webhooks",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(signed_at.timestamp())),
            "webhook-signature": sign(item.secrets, msg_id, signed_at, body),
        }
        try:
            async with asyncio.timeout(TOTAL_TIMEOUT):
                status, text = await _send_post(http, item.url, headers, body)
        except AddressRefused:
            return done(None, f"{urlsplit(item.url).hostname} resolves to a non-public address")
        except TimeoutError:
            return done(None, f"no answer within {TOTAL_TIMEOUT:.0f} s")
        except HTTP_ERRORS as exc:
            return done(None, f"{type(exc).__name__}: {exc}"[:500])
        except Exception as exc:  # one endpoint's odd URL must never stop the whole run
            return done(None, f"{type(exc).__name__}: {exc}"[:500])
        return done(status, None if 200 <= status < 300 else text[:200])

    # -- 3. record ------------------------------------------------------------------------------
    async def _record(self, item: _Send, outcome: _Outcome, report: DeliveryReport) -> None:
        now = self.clock.now()
        attempts = item.attempts + 1
        first = item.first_attempt_at or now
        values: dict[str, Any] = {
            "attempts": attempts,
            "first_attempt_at": first,
            "last_attempt_at": now,
            "last_status_code": outcome.status_code,
            "last_error": outcome.error,
        }
        endpoint: Mapping[str, Any] | None = None
        if outcome.ok:
            values.update(status="delivered", next_attempt_at=None)
            endpoint = {"failed_deliveries": 0}
            report.delivered += 1
        elif item.event is None or now - first >= RETRY_FOR:
            values.update(status="failed", next_attempt_at=None)
            endpoint = {"failed_deliveries": _ep.failed_deliveries + 1}
            report.failed += 1
        else:
            values.update(status="pending", next_attempt_at=now + backoff(attempts, self.rng))
            report.retried += 1
        async with self.db.write() as conn:
            await conn.execute(
                webhook_attempts.insert(),
                {
                    "delivery_id": item.delivery_id,
                    "at": now,
                    "status_code": outcome.status_code,
                    "error": outcome.error,
                    "duration_ms": outcome.duration_ms,
                },
            )
            await conn.execute(
                update(webhook_deliveries)
                .where(_d.id == item.delivery_id, _d.status == "pending")
                .values(**values)
            )
            if endpoint is not None:
                await conn.execute(
                    update(webhook_endpoints).where(_ep.id == item.endpoint_id).values(**endpoint)
                )
                await conn.execute(
                    update(webhook_endpoints)
                    .where(
                        and_(
                            _ep.id == item.endpoint_id,
                            _ep.enabled.is_(True),
                            _ep.failed_deliveries >= DISABLE_AFTER,
                        )
                    )
                    .values(
                        enabled=False,
                        disabled_reason=f"{DISABLE_AFTER} deliveries in a row failed for 24 h",
                        updated_at=now,
                    )
                )
