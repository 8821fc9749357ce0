"""Reading the audit log: a filtered, paginated listing and a per-number timeline.

The timeline of a number merges, in time order, every audit row naming it (ownership,
routing, state changes) with every ledger row charged or refunded for it (money), so an
operator can answer "who changed what, and what did it cost" from one call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from didstore.clock import Clock
from didstore.db.database import Database
from didstore.db.tables import audit_log, ledger_entries, numbers
from didstore.domain.errors import NotFound
from didstore.services import ledger
from didstore.services.models import Page

TIMELINE_LIMIT = 5000


@dataclass(frozen=True, slots=True)
class AuditFilters:
    e164: str | None = None
    account_id: str | None = None
    from_at: datetime | None = None
    to_at: datetime | None = None
    action: str | None = None  # exact, e.g. ``job.run``


def audit_entry(m: Any) -> dict[str, Any]:
    return {
        "id": m["id"],
        "at": m["at"],
        "actor_type": m["actor_type"],
        "actor_id": m["actor_id"],
        "credential": m["credential"],
        "account_id": m["account_id"],
        "action": m["action"],
        "entity_type": m["entity_type"],
        "entity_id": m["entity_id"],
        "e164": m["e164"],
        "before": m["before"],
        "after": m["after"],
        "request_id": m["request_id"],
        "source_ip": m["source_ip"],
    }


def _is_routing(m: Any) -> bool:
    action = str(m["action"])
    return str(m["entity_type"]) in ("routing", "route", "trunk", "application") or any(
        word in action for word in ("rout", "trunk", "application")
    )


def audit_conditions(f: AuditFilters) -> list[Any]:
    """The listing's filters: ``from`` inclusive, ``to`` exclusive."""
    conds: list[Any] = []
    if f.e164:
        conds.append(audit_log.c.e164 == f.e164)
    if f.account_id:
        conds.append(audit_log.c.account_id == f.account_id)
    if f.from_at is not None:
        conds.append(audit_log.c.at >= f.from_at)
    if f.to_at is not None:
        conds.append(audit_log.c.at < f.to_at)
    if f.action:
        conds.append(audit_log.c.action == f.action)
    return conds


class AuditQueries:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def list(self, f: AuditFilters, page: int, per_page: int) -> Page[dict[str, Any]]:
        """Newest first; ``from`` inclusive, ``to`` exclusive."""
        conds = audit_conditions(f)
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    select(audit_log)
                    .where(*conds)
                    .order_by(audit_log.c.id.desc())
                    .limit(per_page)
                    .offset((page - 1) * per_page)
                )
            ).all()
            total = (
                await conn.execute(select(func.count()).select_from(audit_log).where(*conds))
            ).scalar_one()
        return Page([audit_entry(r._mapping) for r in rows], page, per_page, int(total))

    async def timeline(self, e164: str) -> dict[str, Any]:
        """Every audit and ledger event of one number, oldest first."""
        async with self.db.read() as conn:
            number = (
                await conn.execute(
                    select(numbers.c.id, numbers.c.state).where(numbers.c.e164 == e164)
                )
            ).first()
            if number is None:
                raise NotFound(f"number {e164} not found")
            audits = (
                await conn.execute(
                    select(audit_log)
                    .where(audit_log.c.e164 == e164)
                    .order_by(audit_log.c.id)
                    .limit(TIMELINE_LIMIT)
                )
            ).all()
            money = (
                await conn.execute(
                    ledger.entries()
                    .where(ledger_entries.c.number_id == number.id)
                    .order_by(ledger_entries.c.seq)
                    .limit(TIMELINE_LIMIT)
                )
            ).all()
        events: list[tuple[datetime, int, int, dict[str, Any]]] = []
        for r in audits:
            m = r._mapping
            kind = "routing" if _is_routing(m) else "ownership"
            events.append((m["at"], 0, m["id"], {"kind": kind, **audit_entry(m)}))
        for r in money:
            m = r._mapping
            events.append(
                (
                    m["created_at"],
                    1,
                    m["seq"],
                    {
                        "kind": "money",
                        "at": m["created_at"],
                        "transaction_id": m["id"],
                        "account_id": m["account_auth_id"],
                        "type": m["type"],
                        "amount_minor": m["amount_minor"],
                        "currency": m["currency"],
                        "reference_type": m["reference_type"],
                        "description": m["description"],
                        "balance_after_minor": m["balance_after_minor"],
                    },
                )
            )
        events.sort(key=lambda e: (e[0], e[1], e[2]))
        return {"e164": e164, "state": number.state, "events": [e[3] for e in events]}
