"""Voice applications: CRUD, and the ``default_number_app`` that new numbers attach to
(entities spec §2; numbers spec §4.7).

Rules: ``app_name`` (or the old SDK's ``name``), ``answer_url`` and ``answer_method`` are
required on create; ``hangup_url`` defaults to ``answer_url``; methods default to POST. At
most one application per account is the ``default_number_app``: marking one clears the
flag on the others in the same transaction. An application with numbers attached cannot be
deleted (409). Another account's app id is "not found".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert, select, update

from didstore.clock import Clock
from didstore.db.database import Connection, Database
from didstore.db.tables import applications, numbers
from didstore.domain import fields
from didstore.domain.errors import NotFound
from didstore.domain.ids import new_app_id
from didstore.domain.urls import outbound_url
from didstore.services import audit
from didstore.services.account_resources import AccountResource
from didstore.services.models import Account, Actor, Page
from didstore.services.outbound import check_resolved

AppRecord = dict[str, Any]
APPLICATIONS = AccountResource(applications, numbers.c.application_id, "application")

_METHODS = ("POST", "GET")
_METHOD_KEYS = ("answer_method", "hangup_method", "fallback_method", "message_method")
_URL_KEYS = ("answer_url", "hangup_url", "fallback_answer_url", "message_url")
_FLAGS = {
    "default_number_app": "default_number_app",
    "default_endpoint_app": "default_endpoint_app",
    "default_app": "default_app",
    "enabled": "enabled",
    "log_incoming_messages": "log_incoming_message",
    "log_incoming_message": "log_incoming_message",
    "public_uri": "public_uri",
}


def parse_app_id(raw: str) -> str:
    """App ids are numeric strings (17 digits when we issue them)."""
    value = raw.strip()
    if not value.isdigit() or len(value) > 20:
        raise NotFound("Application not found", app_id=raw)
    return value


def _changes(body: Mapping[str, Any], *, creating: bool, allow_private: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    name = body.get("app_name", body.get("name"))
    if creating or name is not None:
        values["app_name"] = fields.app_name(name)
    for key in _URL_KEYS:
        if key in body or (creating and key == "answer_url"):
            values[key] = outbound_url(
                body.get(key),
                key,
                required=creating and key == "answer_url",
                allow_private=allow_private,
            )
    for key in _METHOD_KEYS:
        method = fields.choice(body.get(key), key, _METHODS)
        if method is not None:
            values[key] = method
        elif creating and key == "answer_method":
            values[key] = fields.choice(body.get(key, "POST"), key, _METHODS)
    for key, column in _FLAGS.items():
        value = fields.flag(body.get(key), key)
        if value is not None:
            values[column] = value
    kind = fields.text(body.get("application_type"), "application_type", max_len=16)
    if kind:
        values["application_type"] = kind.upper()
    if creating:
        sub = body.get("subaccount", body.get("sub_account"))
        values["sub_account"] = fields.text(sub, "subaccount", max_len=16) or None
    return values


def _snapshot(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in ("created_at", "updated_at")}


async def default_number_app_id(conn: Connection, buyer: Account) -> str | None:
    """The app a newly purchased number attaches to: the buyer's ``default_number_app``, else
    (for a sub-account) its parent's."""
    owners = [buyer.id] if buyer.parent_id is None else [buyer.id, buyer.parent_id]
    for owner in owners:
        found = (
            await conn.execute(
                select(applications.c.id)
                .where(applications.c.account_id == owner, applications.c.default_number_app)
                .order_by(applications.c.created_at)
                .limit(1)
            )
        ).scalar()
        if found is not None:
            return str(found)
    return None


class ApplicationService:
    def __init__(self, db: Database, clock: Clock, *, allow_private_urls: bool = False) -> None:
        self.allow_private = allow_private_urls
        self.db = db
        self.clock = clock

    async def _get(self, conn: Connection, account: Account, app_id: str) -> AppRecord:
        found = await APPLICATIONS.find(conn, account, app_id)
        if found is None:
            raise NotFound("Application not found", app_id=app_id)
        return found

    async def _clear_other_defaults(self, conn: Connection, account: Account, app_id: str) -> None:
        await conn.execute(
            update(applications)
            .where(
                applications.c.account_id == account.id,
                applications.c.id != app_id,
                applications.c.default_number_app,
            )
            .values(default_number_app=False)
        )

    async def _checked(self, body: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
        values = _changes(body, creating=creating, allow_private=self.allow_private)
        for key in _URL_KEYS:
            await check_resolved(values.get(key), key, allow_private=self.allow_private)
        return values

    async def create(self, actor: Actor, account: Account, body: Mapping[str, Any]) -> AppRecord:
        values = await self._checked(body, creating=True)
        now = self.clock.now()
        app_id = new_app_id()
        row = {
            "id": app_id,
            "account_id": account.id,
            "hangup_url": values.get("hangup_url") or values["answer_url"],
            "hangup_method": "POST",
            "fallback_method": "POST",
            "message_method": "POST",
            "application_type": "XML",
            "created_at": now,
            "updated_at": now,
            **{k: v for k, v in values.items() if not (k == "hangup_url" and v is None)},
        }
        async with self.db.write() as conn:
            await conn.execute(insert(applications).values(**row))
            if row.get("default_number_app"):
                await self._clear_other_defaults(conn, account, app_id)
            record = await self._get(conn, account, app_id)
            await audit.record(
                conn,
                actor,
                now,
                action="application.create",
                entity_type="application",
                entity_id=app_id,
                account_id=account.auth_id,
                after=_snapshot(record),
            )
        return record

    async def get(self, account: Account, raw_id: str) -> AppRecord:
        async with self.db.read() as conn:
            return await self._get(conn, account, parse_app_id(raw_id))

    async def get_in(self, conn: Connection, account: Account, app_id: str) -> AppRecord:
        return await self._get(conn, account, app_id)

    async def list(self, account: Account, *, limit: int, offset: int) -> Page[AppRecord]:
        async with self.db.read() as conn:
            return await APPLICATIONS.page(conn, account, limit=limit, offset=offset)

    async def update(
        self, actor: Actor, account: Account, raw_id: str, body: Mapping[str, Any]
    ) -> AppRecord:
        """Partial update; ``hangup_url`` may not become empty (it is required on the wire)."""
        app_id = parse_app_id(raw_id)
        values = await self._checked(body, creating=False)
        if values.get("hangup_url", "") is None:
            values.pop("hangup_url")
        if values.get("answer_url", "") is None:
            values.pop("answer_url")
        now = self.clock.now()
        async with self.db.write() as conn:
            before = await self._get(conn, account, app_id)
            if values:
                await conn.execute(
                    update(applications)
                    .where(applications.c.id == app_id)
                    .values(**values, updated_at=now)
                )
            if values.get("default_number_app"):
                await self._clear_other_defaults(conn, account, app_id)
            after = await self._get(conn, account, app_id)
            await audit.record(
                conn,
                actor,
                now,
                action="application.update",
                entity_type="application",
                entity_id=app_id,
                account_id=account.auth_id,
                before=_snapshot(before),
                after=_snapshot(after),
            )
        return after

    async def delete(self, actor: Actor, account: Account, raw_id: str) -> None:
        """Refused (409) while numbers are attached (``AccountResource.delete_unused``)."""
        app_id = parse_app_id(raw_id)
        async with self.db.write() as conn:
            await APPLICATIONS.delete_unused(
                conn,
                actor,
                self.clock.now(),
                account,
                app_id,
                not_found=NotFound("Application not found", app_id=app_id),
                in_use=lambda n: f"Application is currently in use by {n} phone numbers",
                snapshot=_snapshot,
            )
