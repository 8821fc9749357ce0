"""The audit log: every change, append-only, written in the transaction that made it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from didstore.db.tables import audit_log
from didstore.services.models import Actor


def record(
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
    conn.execute(
        insert(audit_log).values(
            at=now,
            actor_type=actor.kind,
            actor_id=actor.auth_id,
            credential=actor.credential,
            account_id=account_id,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            e164=e164,
            before=before,
            after=after,
            request_id=actor.request_id,
            source_ip=actor.source_ip,
        )
    )
