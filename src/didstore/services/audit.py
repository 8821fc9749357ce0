"""The audit log's one writer: every change, append-only, in the transaction that made it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert

from didstore.db.database import Connection
from didstore.db.tables import audit_log
from didstore.services.models import Actor

_INSERT = insert(audit_log)


def entry(
    actor: Actor,
    now: datetime,
    *,
    action: str,
    entity_type: str,
    entity_id: str = "",
    account_id: str | None = None,
    e164: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One audit row's values."""
    return {
        "at": now,
        "actor_type": actor.kind,
        "actor_id": actor.auth_id,
        "credential": actor.credential,
        "account_id": account_id,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "e164": e164,
        "before": before,
        "after": after,
        "request_id": actor.request_id,
        "source_ip": actor.source_ip,
    }


async def record(
    conn: Connection,
    actor: Actor,
    now: datetime,
    *,
    action: str,
    entity_type: str,
    entity_id: str = "",
    account_id: str | None = None,
    e164: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    await conn.execute(
        _INSERT,
        entry(
            actor,
            now,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            account_id=account_id,
            e164=e164,
            before=before,
            after=after,
        ),
    )


async def record_many(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Many rows built by ``entry`` (a batch job's), in one bulk insert (COPY on PostgreSQL)."""
    await conn.insert_rows(audit_log, rows)
