"""Webhook endpoints: subscribe, list, delete, rotate the secret, read the delivery log,
redeliver (ADR 0020). Delivery itself runs in the job runner (``webhook_delivery.py``),
never in a request.

An endpoint belongs to an account (it receives what that account's feed shows) or to the
operator (``account`` None: every event). Its URL passes the outbound-URL rule
(``domain/urls.py``, resolved by ``outbound.py``) unless the operator allows private
receivers (``DIDSTORE_ALLOW_PRIVATE_WEBHOOKS``). It starts at the end of the feed: it
receives the events recorded after it was created.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from didstore.clock import Clock
from didstore.db.database import Connection, Database
from didstore.db.tables import events, webhook_attempts, webhook_deliveries, webhook_endpoints
from didstore.domain.errors import InvalidInput, NotFound
from didstore.domain.ids import new_uuid
from didstore.domain.urls import outbound_url
from didstore.services import audit
from didstore.services.event_feed import EventFeed
from didstore.services.events import EVENT_TYPES
from didstore.services.models import Account, Actor
from didstore.services.outbound import check_resolved

#: How long a rotated-out secret still signs deliveries, unless the rotation says otherwise.
DEFAULT_KEEP_OLD = timedelta(hours=24)
MAX_KEEP_OLD = timedelta(days=7)
MAX_ENDPOINTS = 20  # per account (and for the operator)

_ep = webhook_endpoints.c
_MAX_EVENT = select(func.coalesce(func.max(events.c.id), 0))


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _owner(account: Account | None) -> Any:
    return _ep.account_id.is_(None) if account is None else _ep.account_id == account.id


def _event_types(value: object) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput("event_types must be a list of event types", field="event_types")
    unknown = sorted(set(value) - set(EVENT_TYPES))
    if unknown:
        raise InvalidInput(
            f"unknown event type {unknown[0]!r}: use one of {', '.join(EVENT_TYPES)}",
            field="event_types",
        )
    return sorted(set(value))


class WebhookService:
    def __init__(
        self, db: Database, clock: Clock, feed: EventFeed, *, allow_private_urls: bool = False
    ) -> None:
        self.db = db
        self.clock = clock
        self.feed = feed
        self.allow_private = allow_private_urls

    async def create(
        self, actor: Actor, account: Account | None, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        """A new endpoint; the answer is the only one that shows its ``secret`` (and a
        rotation's)."""
        if account is not None and account.kind not in ("main", "sub"):
            raise InvalidInput("webhooks belong to customer accounts")
        url = outbound_url(body.get("url"), "url", required=True, allow_private=self.allow_private)
        await check_resolved(url, "url", allow_private=self.allow_private)
        types = _event_types(body.get("event_types"))
        now = self.clock.now()
        await self.feed.sequence()  # start after every event committed so far
        async with self.db.write() as conn:
            count = (
                await conn.execute(
                    select(func.count()).select_from(webhook_endpoints).where(_owner(account))
                )
            ).scalar_one()
            if count >= MAX_ENDPOINTS:
                raise InvalidInput(f"at most {MAX_ENDPOINTS} webhook endpoints per account")
            endpoint_id = new_uuid()
            row: dict[str, Any] = {
                "id": endpoint_id,
                "account_id": None if account is None else account.id,
                "url": url,
                "event_types": types,
                "secret": new_secret(),
                "enabled": True,
                "disabled_reason": None,
                "failed_deliveries": 0,
                "cursor": int((await conn.execute(_MAX_EVENT)).scalar_one()),
                "created_at": now,
                "updated_at": now,
            }
            await conn.execute(insert(webhook_endpoints), row)
            row.update(previous_secret=None, previous_secret_until=None)
            await self._audit(conn, actor, account, "webhook.create", endpoint_id, {"url": url})
        return row

    async def endpoints(self, account: Account | None) -> list[dict[str, Any]]:
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(webhook_endpoints).where(_owner(account)).order_by(_ep.created_at, _ep.id)
            )
            return [dict(r._mapping) for r in rows]

    async def get(self, account: Account | None, endpoint_id: str) -> dict[str, Any]:
        async with self.db.read() as conn:
            return await self._get(conn, account, endpoint_id)

    async def _get(
        self, conn: Connection, account: Account | None, endpoint_id: str, *, lock: bool = False
    ) -> dict[str, Any]:
        query = select(webhook_endpoints).where(_ep.id == endpoint_id, _owner(account))
        row = (await conn.execute(query.with_for_update() if lock else query)).first()
        if row is None:
            raise NotFound("webhook endpoint not found")
        return dict(row._mapping)

    async def delete(self, actor: Actor, account: Account | None, endpoint_id: str) -> None:
        async with self.db.write() as conn:
            await self._get(conn, account, endpoint_id, lock=True)
            ids = select(webhook_deliveries.c.id).where(
                webhook_deliveries.c.endpoint_id == endpoint_id
            )
            await conn.execute(
                delete(webhook_attempts).where(webhook_attempts.c.delivery_id.in_(ids))
            )
            await conn.execute(
                delete(webhook_deliveries).where(webhook_deliveries.c.endpoint_id == endpoint_id)
            )
            await conn.execute(delete(webhook_endpoints).where(_ep.id == endpoint_id))
            await self._audit(conn, actor, account, "webhook.delete", endpoint_id, None)

    async def rotate(
        self, actor: Actor, account: Account | None, endpoint_id: str, keep_old_seconds: object
    ) -> dict[str, Any]:
        """A new secret; the old one keeps signing (a second signature in the same header)
        for ``keep_old_seconds`` (default 24 h, at most 7 days), so receivers can switch."""
        keep = DEFAULT_KEEP_OLD
        if keep_old_seconds is not None:
            if isinstance(keep_old_seconds, bool) or not isinstance(keep_old_seconds, int):
                raise InvalidInput(
                    "keep_old_seconds must be a whole number", field="keep_old_seconds"
                )
            if not 0 <= keep_old_seconds <= MAX_KEEP_OLD.total_seconds():
                raise InvalidInput(
                    f"keep_old_seconds must be between 0 and {int(MAX_KEEP_OLD.total_seconds())}",
                    field="keep_old_seconds",
                )
            keep = timedelta(seconds=keep_old_seconds)
        now = self.clock.now()
        async with self.db.write() as conn:
            row = await self._get(conn, account, endpoint_id, lock=True)
            values = {
                "secret": new_secret(),
                "previous_secret": row["secret"] if keep else None,
                "previous_secret_until": now + keep if keep else None,
                "updated_at": now,
            }
            await conn.execute(
                update(webhook_endpoints).where(_ep.id == endpoint_id).values(**values)
            )
            await self._audit(conn, actor, account, "webhook.rotate_secret", endpoint_id, None)
        return {**row, **values}

    async def enable(
        self, actor: Actor, account: Account | None, endpoint_id: str
    ) -> dict[str, Any]:
        """Re-enable an endpoint that was disabled after repeated failures."""
        now = self.clock.now()
        async with self.db.write() as conn:
            row = await self._get(conn, account, endpoint_id, lock=True)
            values = {
                "enabled": True,
                "disabled_reason": None,
                "failed_deliveries": 0,
                "updated_at": now,
            }
            await conn.execute(
                update(webhook_endpoints).where(_ep.id == endpoint_id).values(**values)
            )
            await self._audit(conn, actor, account, "webhook.enable", endpoint_id, None)
        return {**row, **values}

    async def deliveries(
        self, account: Account | None, endpoint_id: str, *, limit: int = 50
    ) -> list[dict[str, Any]]:
        """The endpoint's latest deliveries, newest first, each with its attempts."""
        if not 1 <= limit <= 500:
            raise InvalidInput("limit must be between 1 and 500", field="limit")
        d, a = webhook_deliveries.c, webhook_attempts.c
        async with self.db.read() as conn:
            await self._get(conn, account, endpoint_id)
            rows = [
                dict(r._mapping)
                for r in await conn.execute(
                    select(webhook_deliveries, events.c.type.label("event_type"))
                    .outerjoin(events, events.c.id == d.event_id)
                    .where(d.endpoint_id == endpoint_id)
                    .order_by(d.event_id.desc())
                    .limit(limit)
                )
            ]
            if rows:
                attempts = await conn.execute(
                    select(webhook_attempts)
                    .where(a.delivery_id.in_([r["id"] for r in rows]))
                    .order_by(a.id)
                )
                by_delivery: dict[str, list[dict[str, Any]]] = {}
                for at in attempts:
                    by_delivery.setdefault(at.delivery_id, []).append(dict(at._mapping))
                for r in rows:
                    r["attempt_log"] = by_delivery.get(r["id"], [])
        return rows

    async def redeliver(
        self, actor: Actor, account: Account | None, endpoint_id: str, delivery_id: str
    ) -> None:
        """Send a delivery again at the next run, with a fresh 24 h of retries."""
        now = self.clock.now()
        d = webhook_deliveries.c
        async with self.db.write() as conn:
            await self._get(conn, account, endpoint_id)
            done = await conn.execute(
                update(webhook_deliveries)
                .where(d.id == delivery_id, d.endpoint_id == endpoint_id)
                .values(status="pending", next_attempt_at=now, first_attempt_at=None)
            )
            if done.rowcount == 0:
                raise NotFound("delivery not found")
            await self._audit(conn, actor, account, "webhook.redeliver", delivery_id, None)

    async def _audit(
        self,
        conn: Connection,
        actor: Actor,
        account: Account | None,
        action: str,
        entity_id: str,
        after: dict[str, Any] | None,
    ) -> None:
        await audit.record(
            conn,
            actor,
            self.clock.now(),
            action=action,
            entity_type="webhook",
            entity_id=entity_id,
            account_id=None if account is None else account.auth_id,
            after=after,
        )


def signing_secrets(row: Mapping[str, Any], now: datetime) -> list[str]:
    """The secrets that sign a delivery now: the current one, and the previous one while its
    rotation grace lasts."""
    out = [str(row["secret"])]
    until = row.get("previous_secret_until")
    if row.get("previous_secret") and until is not None and until > now:
        out.append(str(row["previous_secret"]))
    return out
