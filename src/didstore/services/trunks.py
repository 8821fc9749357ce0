"""SIP trunks: CRUD for an account's inbound routing targets (entities spec §1).

Rules: a trunk belongs to one account; another account's trunk id is "not found" (404),
never "forbidden", so ids cannot be probed. A trunk with numbers assigned cannot be deleted
(409) and the refusal changes nothing. Every change writes an audit row.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert, update

from didstore.clock import Clock
from didstore.db.database import Connection, Database
from didstore.db.tables import numbers, trunks
from didstore.domain import fields
from didstore.domain.errors import InvalidInput, NotFound
from didstore.domain.ids import new_uuid
from didstore.domain.urls import outbound_url
from didstore.services import audit
from didstore.services.account_resources import AccountResource
from didstore.services.models import Account, Actor, Page
from didstore.services.outbound import check_resolved

TrunkRecord = dict[str, Any]
TRUNKS = AccountResource(trunks, numbers.c.trunk_id, "trunk")

#: Host part of generated ``trunk_domain`` values (``<trunk uuid>.<suffix>``).
SIP_DOMAIN_SUFFIX = "sip.didstore.local"

_DIRECTIONS = ("inbound", "outbound")
_STATUSES = ("active", "enabled", "disabled", "inactive")
_TRANSPORTS = ("udp", "tcp", "tls")
_METHODS = ("POST", "GET")
_BOOLS = ("secure", "recording", "enable_transcription", "pii_redaction")
_UUIDS = ("credential_uuid", "ipacl_uuid", "primary_uri_uuid", "fallback_uri_uuid")


def parse_trunk_id(raw: str) -> str:
    """Trunk ids are UUIDs; anything else names no trunk."""
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise NotFound(f"trunk {raw} not found") from None


def _changes(body: Mapping[str, Any], *, creating: bool, allow_private: bool) -> dict[str, Any]:
    """Validated column values from a create or update body. Both the spec vocabulary
    (``trunk_direction``, ``concurrent_calls_limit``) and the older one (``trunk_type``,
    ``max_concurrent_calls``, ``inbound_uri``) are accepted."""
    values: dict[str, Any] = {}
    name = fields.text(body.get("name"), "name", max_len=200, required=creating)
    if name is not None:
        if not name:
            raise InvalidInput("name must not be empty", field="name")
        values["name"] = name
    direction = body.get("trunk_direction", body.get("trunk_type"))
    if direction is not None:
        values["trunk_direction"] = fields.choice(direction, "trunk_direction", _DIRECTIONS)
    status = fields.choice(body.get("trunk_status"), "trunk_status", _STATUSES)
    if status is not None:
        values["trunk_status"] = status
    transport = fields.choice(body.get("transport"), "transport", _TRANSPORTS)
    if transport is not None:
        values["transport"] = transport
    method = fields.choice(body.get("webhook_method"), "webhook_method", _METHODS)
    if method is not None:
        values["webhook_method"] = method
    for key in (*_BOOLS, "recording_webhook_enabled"):
        value = fields.flag(body.get(key), key)
        if value is not None:
            values[key] = value
    limit = body.get("concurrent_calls_limit", body.get("max_concurrent_calls"))
    calls = fields.whole(limit, "concurrent_calls_limit", maximum=100_000)
    if calls is not None:
        values["concurrent_calls_limit"] = calls
    cps = fields.whole(body.get("cps_limit"), "cps_limit", maximum=10_000)
    if cps is not None:
        values["cps_limit"] = cps
    for key, max_len in (("description", 1000), ("pii_entity_types", 500)):
        given = fields.text(body.get(key), key, max_len=max_len)
        if given is not None:
            values[key] = given
    destination = body.get("inbound_destination", body.get("inbound_uri"))
    given = fields.text(destination, "inbound_destination", max_len=500)
    if given is not None:
        values["inbound_destination"] = given
    if "webhook_url" in body:
        values["webhook_url"] = outbound_url(
            body.get("webhook_url"), "webhook_url", allow_private=allow_private
        )
    for key in _UUIDS:
        if body.get(key) is not None:
            values[key] = fields.identifier(body.get(key), key)
    if creating:
        domain = fields.text(body.get("trunk_domain"), "trunk_domain", max_len=255)
        if domain:
            values["trunk_domain"] = domain
    return values


def _snapshot(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in ("created_at", "updated_at")}


class TrunkService:
    def __init__(self, db: Database, clock: Clock, *, allow_private_urls: bool = False) -> None:
        self.allow_private = allow_private_urls
        self.db = db
        self.clock = clock

    async def _checked(self, body: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
        values = _changes(body, creating=creating, allow_private=self.allow_private)
        await check_resolved(
            values.get("webhook_url"), "webhook_url", allow_private=self.allow_private
        )
        return values

    async def create(self, actor: Actor, account: Account, body: Mapping[str, Any]) -> TrunkRecord:
        values = await self._checked(body, creating=True)
        now = self.clock.now()
        trunk_id = new_uuid()
        row = {
            "id": trunk_id,
            "account_id": account.id,
            "trunk_domain": f"{trunk_id}.{SIP_DOMAIN_SUFFIX}",
            "trunk_status": "active",
            "trunk_direction": "inbound",
            "secure": False,
            "transport": "udp",
            "concurrent_calls_limit": 10,
            "cps_limit": 2,
            "description": "",
            "recording": False,
            "enable_transcription": False,
            "pii_redaction": False,
            "webhook_method": "POST",
            "recording_webhook_enabled": False,
            "created_at": now,
            "updated_at": now,
            **values,
        }
        async with self.db.write() as conn:
            await conn.execute(insert(trunks).values(**row))
            record = await self._get(conn, account, trunk_id)
            await audit.record(
                conn,
                actor,
                now,
                action="trunk.create",
                entity_type="trunk",
                entity_id=trunk_id,
                account_id=account.auth_id,
                after=_snapshot(record),
            )
        return record

    async def _get(self, conn: Connection, account: Account, trunk_id: str) -> TrunkRecord:
        found = await TRUNKS.find(conn, account, trunk_id)
        if found is None:
            raise NotFound(f"trunk {trunk_id} not found")
        return found

    async def get(self, account: Account, raw_id: str) -> TrunkRecord:
        async with self.db.read() as conn:
            return await self._get(conn, account, parse_trunk_id(raw_id))

    async def list(self, account: Account, *, limit: int, offset: int) -> Page[TrunkRecord]:
        """Oldest first, so offsets stay stable while trunks are added."""
        async with self.db.read() as conn:
            return await TRUNKS.page(conn, account, limit=limit, offset=offset)

    async def update(
        self, actor: Actor, account: Account, raw_id: str, body: Mapping[str, Any]
    ) -> TrunkRecord:
        trunk_id = parse_trunk_id(raw_id)
        values = await self._checked(body, creating=False)
        now = self.clock.now()
        async with self.db.write() as conn:
            before = await self._get(conn, account, trunk_id)
            if values:
                await conn.execute(
                    update(trunks).where(trunks.c.id == trunk_id).values(**values, updated_at=now)
                )
            after = await self._get(conn, account, trunk_id)
            await audit.record(
                conn,
                actor,
                now,
                action="trunk.update",
                entity_type="trunk",
                entity_id=trunk_id,
                account_id=account.auth_id,
                before=_snapshot(before),
                after=_snapshot(after),
            )
        return after

    async def delete(self, actor: Actor, account: Account, raw_id: str) -> None:
        """Refused (409) while any number is assigned (``AccountResource.delete_unused``)."""
        trunk_id = parse_trunk_id(raw_id)
        async with self.db.write() as conn:
            await TRUNKS.delete_unused(
                conn,
                actor,
                self.clock.now(),
                account,
                trunk_id,
                not_found=NotFound(f"trunk {trunk_id} not found"),
                in_use=lambda n: f"trunk is in use by {n} phone number(s); unassign them first",
                snapshot=_snapshot,
            )
