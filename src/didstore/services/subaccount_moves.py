"""Moving a DID between a main account and its sub-accounts (numbers spec §4.8, §4.9, §10.9).

Rules:
- Only the parent (main account) credentials, or the operator acting on the parent's path,
  may move numbers; the sub-account must be a live child of that parent (else 404).
- Assign: parent pool -> sub-account, at once. Idempotent when already there. Taking a
  number away from another sub-account counts as pulling it back (cool-off applies).
- Unassign: sub-account -> parent pool, refused with ``did_cool_off_in_effect`` (409) while
  the DID took a call within the last 15 days. ``force`` bypasses that, for the operator
  only (403 for anyone else); the audit row records who forced it and the cool-off it
  overrode.
- The number keeps its trunk/application when the new owner may still route to them (its
  own or its parent's); otherwise they are detached, so a number never points at another
  customer's trunk.
- The paying account never changes: a sub-account's numbers are billed to the parent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from didstore.clock import Clock
from didstore.db.database import Connection, Database
from didstore.db.tables import accounts, applications, numbers, trunks
from didstore.domain.e164 import E164
from didstore.domain.errors import (
    CoolOffInEffect,
    Forbidden,
    InvalidInput,
    NotFound,
    RetryableConflict,
)
from didstore.domain.lifecycle import HELD_STATE_VALUES, NumberState
from didstore.domain.routing import CoolOff, cool_off_at, rfc3339
from didstore.services import audit, events
from didstore.services.locks import check_unlocked
from didstore.services.models import Account, Actor
from didstore.services.tx import write_in


def _require_parent(account: Account) -> None:
    if account.kind != "main":
        raise Forbidden("numbers move between sub-accounts with the parent account's credentials")


def cool_off_error(cool: CoolOff) -> CoolOffInEffect:
    """The refusal of a move out of a sub-account while the DID's cool-off runs."""
    return CoolOffInEffect(
        "the DID took a call within the last 15 days",
        cool_off_until=rfc3339(cool.until),
        cool_off_remaining_seconds=cool.remaining_seconds,
    )


class SubaccountMoves:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def _sub(self, conn: Connection, parent: Account, sub_auth_id: object) -> Any:
        if not isinstance(sub_auth_id, str) or not sub_auth_id.strip():
            raise InvalidInput("sub_account_id is required", field="sub_account_id")
        row = (
            await conn.execute(
                select(accounts).where(
                    accounts.c.auth_id == sub_auth_id.strip(),
                    accounts.c.parent_id == parent.id,
                    accounts.c.kind == "sub",
                    accounts.c.deleted_at.is_(None),
                )
            )
        ).first()
        if row is None:
            raise NotFound(f"sub-account {sub_auth_id} not found")
        return row._mapping

    async def _number(self, conn: Connection, parent: Account, e164: E164, now: datetime) -> Any:
        row = (await conn.execute(select(numbers).where(numbers.c.e164 == e164.value))).first()
        if row is None or row._mapping["billing_account_id"] != parent.id:
            raise NotFound("number not found")
        m = row._mapping
        if m["state"] == NumberState.PENDING_RELEASE.value:
            if m["cooldown_ends_at"] is not None and m["cooldown_ends_at"] <= now:
                raise NotFound("number not found")
            raise InvalidInput("number is pending release; cancel the release first")
        if m["state"] not in HELD_STATE_VALUES:
            raise NotFound("number not found")
        check_unlocked(m)
        return m

    async def _routing_kept(self, conn: Connection, m: Any, new_owner: Any) -> dict[str, Any]:
        """Trunk/application values after a move: kept only if the new owner may use them."""
        family = {new_owner["id"]}
        if new_owner["parent_id"] is not None:
            family.add(new_owner["parent_id"])
        values: dict[str, Any] = {}
        if m["trunk_id"] is not None:
            owner = (
                await conn.execute(select(trunks.c.account_id).where(trunks.c.id == m["trunk_id"]))
            ).scalar()
            if owner not in family:
                values["trunk_id"] = None
        if m["application_id"] is not None:
            owner = (
                await conn.execute(
                    select(applications.c.account_id).where(
                        applications.c.id == m["application_id"]
                    )
                )
            ).scalar()
            if owner not in family:
                values["application_id"] = None
        return values

    async def _move(
        self, conn: Connection, m: Any, new_owner: Any, now: datetime
    ) -> dict[str, Any]:
        values = await self._routing_kept(conn, m, new_owner)
        done = (
            await conn.execute(
                update(numbers)
                .where(
                    numbers.c.id == m["id"],
                    numbers.c.owner_account_id == m["owner_account_id"],
                    numbers.c.state == m["state"],
                    numbers.c.deletion_locked_at.is_(None),
                )
                .values(owner_account_id=new_owner["id"], updated_at=now, **values)
                .returning(numbers.c.id)
            )
        ).first()
        if done is None:
            raise RetryableConflict("the number changed while it was being moved; retry")
        return values

    async def assign(
        self,
        actor: Actor,
        parent: Account,
        e164: E164,
        sub_auth_id: object,
        *,
        within: Connection | None = None,  # the caller's transaction (a bulk job, ADR 0023)
    ) -> None:
        _require_parent(parent)
        now = self.clock.now()
        async with write_in(self.db, within) as conn:
            sub = await self._sub(conn, parent, sub_auth_id)
            m = await self._number(conn, parent, e164, now)
            if m["owner_account_id"] == sub["id"]:
                return  # already there: a retried call changes nothing
            if m["owner_account_id"] != parent.id:
                cool = cool_off_at(m["last_call_at"], now)
                if cool is not None:
                    raise cool_off_error(cool)
            detached = await self._move(conn, m, sub, now)
            from_auth = await _auth_id(conn, m["owner_account_id"])
            await audit.record(
                conn,
                actor,
                now,
                action="number.assign_subaccount",
                entity_type="number",
                entity_id=m["id"],
                account_id=parent.auth_id,
                e164=e164.value,
                before={"owner": from_auth, "trunk_id": m["trunk_id"], "app": m["application_id"]},
                after={"owner": sub["auth_id"], "detached": sorted(detached)},
            )
            await events.record_numbers(
                conn, "number.moved", [m["id"]], now, extra={m["id"]: {"moved_from": from_auth}}
            )

    async def unassign(
        self,
        actor: Actor,
        parent: Account,
        e164: E164,
        *,
        force: bool,
        within: Connection | None = None,  # the caller's transaction (a bulk job, ADR 0023)
    ) -> None:
        if force and not actor.is_operator:
            raise Forbidden("force=true is reserved for the platform operator")
        _require_parent(parent)
        now = self.clock.now()
        async with write_in(self.db, within) as conn:
            m = await self._number(conn, parent, e164, now)
            if m["owner_account_id"] == parent.id:
                raise NotFound("number is not assigned to a sub-account")
            cool = cool_off_at(m["last_call_at"], now)
            if cool is not None and not force:
                raise cool_off_error(cool)
            parent_row = (
                await conn.execute(select(accounts).where(accounts.c.id == parent.id))
            ).one()
            from_auth = await _auth_id(conn, m["owner_account_id"])
            detached = await self._move(conn, m, parent_row._mapping, now)
            after: dict[str, Any] = {"owner": parent.auth_id, "detached": sorted(detached)}
            if force:
                after["forced"] = True
                after["overridden_cool_off"] = (
                    None
                    if cool is None
                    else {
                        "cool_off_until": rfc3339(cool.until),
                        "cool_off_remaining_seconds": cool.remaining_seconds,
                        "last_call_at": rfc3339(m["last_call_at"]),
                    }
                )
            await audit.record(
                conn,
                actor,
                now,
                action=f"number.unassign_subaccount{'_forced' if force else ''}",
                entity_type="number",
                entity_id=m["id"],
                account_id=parent.auth_id,
                e164=e164.value,
                before={
                    "owner": from_auth,
                    "trunk_id": m["trunk_id"],
                    "app": m["application_id"],
                },
                after=after,
            )
            await events.record_numbers(
                conn, "number.moved", [m["id"]], now, extra={m["id"]: {"moved_from": from_auth}}
            )


async def _auth_id(conn: Connection, account_id: int) -> str:
    return str(
        (
            await conn.execute(select(accounts.c.auth_id).where(accounts.c.id == account_id))
        ).scalar_one()
    )
