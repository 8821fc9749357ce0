"""Number routing: assign a number to a SIP trunk or attach it to a voice application, and
the route lookup the SIP router asks once per inbound call (numbers spec §4.6, §4.7).

Rules:
- The number must be held by the account (the owner, or the main account that pays for a
  sub-account's number); otherwise 404.
- The trunk or application must belong to that account or, for a sub-account, to its
  parent main account; another account's id is 404.
- One trunk per number: assigning while assigned is 400 (unassign first), and two racing
  assignments cannot both win (a conditional ``UPDATE ... WHERE trunk_id IS NULL``).
- Attaching an application overwrites the previous one; detaching when none is a no-op.
- A number pending release cannot be routed (release detached it; cancel first).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from didstore.clock import Clock
from didstore.db.database import Connection, Database
from didstore.db.plans import Row
from didstore.db.queries import NUMBER_ROW_BY_E164, ROUTE
from didstore.db.tables import accounts, applications, numbers, trunks
from didstore.domain.e164 import E164
from didstore.domain.errors import InvalidInput, NotFound
from didstore.domain.lifecycle import HELD_STATE_VALUES, NumberState
from didstore.domain.routing import RouteReason, route_reason
from didstore.services import audit, events
from didstore.services.accounts import require_live
from didstore.services.applications import ApplicationService, AppRecord, parse_app_id
from didstore.services.models import Account, Actor
from didstore.services.trunks import parse_trunk_id
from didstore.services.tx import write_in

NUMBER_NOT_FOUND = (
    "The phone number could not be found. Ensure it is in your inventory and URL-encoded correctly."
)


@dataclass(frozen=True, slots=True)
class Route:
    """Where an inbound call to ``e164`` goes, or why it goes nowhere."""

    e164: str
    account_id: str | None
    routable: bool
    trunk_group_id: str | None
    application_id: str | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class AppBinding:
    e164: str
    application: AppRecord | None


def routing_family(account: Account) -> tuple[int, ...]:
    """Accounts whose trunks and applications ``account`` may route to: itself and, for a
    sub-account, its parent."""
    return (account.id,) if account.parent_id is None else (account.id, account.parent_id)


async def held_number(
    conn: Connection, account: Account, e164: E164, now: datetime, *, live: bool = True
) -> Row:
    """The number as ``account`` holds it, or 404. Pending release is 400 (not routable).
    Also checks, inside the write, that the account is still live (``require_live``)."""
    row = (await conn.execute(NUMBER_ROW_BY_E164, {"e164": e164.value})).first()
    if row is None or not account.may_manage(row._mapping):
        raise NotFound(NUMBER_NOT_FOUND)
    m = row._mapping
    if m["state"] == NumberState.PENDING_RELEASE.value:
        if m["cooldown_ends_at"] is not None and m["cooldown_ends_at"] <= now:
            raise NotFound(NUMBER_NOT_FOUND)
        raise InvalidInput("number is pending release; cancel the release first")
    if m["state"] not in HELD_STATE_VALUES:
        raise NotFound(NUMBER_NOT_FOUND)
    if live:
        await require_live(conn, account)
    return row


def _routing_snapshot(m: Any) -> dict[str, Any]:
    return {
        "owner_account_id": m["owner_account_id"],
        "trunk_id": m["trunk_id"],
        "application_id": m["application_id"],
    }


_UNHELD = (RouteReason.UNOWNED, RouteReason.RELEASED)


class RoutingService:
    def __init__(self, db: Database, clock: Clock, apps: ApplicationService) -> None:
        self.db = db
        self.clock = clock
        self.apps = apps

    # -- trunks ------------------------------------------------------------------------------
    async def assign_trunk(
        self,
        actor: Actor,
        account: Account,
        e164: E164,
        raw_trunk: object,
        *,
        within: Connection | None = None,  # the caller's transaction (a bulk job, ADR 0023)
    ) -> None:
        if not isinstance(raw_trunk, str) or not raw_trunk.strip():
            raise InvalidInput("trunk_group_id is required", field="trunk_group_id")
        trunk_id = parse_trunk_id(raw_trunk.strip())
        now = self.clock.now()
        async with write_in(self.db, within) as conn:
            row = await held_number(conn, account, e164, now)
            m = row._mapping
            # A shared lock on the trunk: a concurrent delete waits for us, then sees the
            # assignment and refuses; if the delete won, the trunk is gone and we 404.
            trunk = (
                await conn.execute(
                    select(trunks.c.id)
                    .where(
                        trunks.c.id == trunk_id, trunks.c.account_id.in_(routing_family(account))
                    )
                    .with_for_update(read=True)
                )
            ).first()
            if trunk is None:
                raise NotFound(f"trunk {trunk_id} not found")
            already = InvalidInput("This number is already assigned to a trunk.")
            if m["trunk_id"] is not None:
                raise already
            done = (
                await conn.execute(
                    update(numbers)
                    .where(
                        numbers.c.id == m["id"],
                        numbers.c.trunk_id.is_(None),
                        numbers.c.state.in_(HELD_STATE_VALUES),
                    )
                    .values(trunk_id=trunk_id, updated_at=now)
                    .returning(numbers.c.id)
                )
            ).first()
            if done is None:
                raise already
            await audit.record(
                conn,
                actor,
                now,
                action="number.assign_trunk",
                entity_type="number",
                entity_id=m["id"],
                account_id=account.auth_id,
                e164=e164.value,
                before=_routing_snapshot(m),
                after={"trunk_id": trunk_id},
            )
            await events.record_numbers(conn, "number.routing_changed", [m["id"]], now)

    async def unassign_trunk(self, actor: Actor, account: Account, e164: E164) -> None:
        now = self.clock.now()
        async with self.db.write() as conn:
            row = await held_number(conn, account, e164, now)
            m = row._mapping
            missing = NotFound(
                "The phone number could not be found or is not assigned to any trunk."
            )
            if m["trunk_id"] is None:
                raise missing
            done = (
                await conn.execute(
                    update(numbers)
                    .where(numbers.c.id == m["id"], numbers.c.trunk_id == m["trunk_id"])
                    .values(trunk_id=None, updated_at=now)
                    .returning(numbers.c.id)
                )
            ).first()
            if done is None:
                raise missing
            await audit.record(
                conn,
                actor,
                now,
                action="number.unassign_trunk",
                entity_type="number",
                entity_id=m["id"],
                account_id=account.auth_id,
                e164=e164.value,
                before=_routing_snapshot(m),
                after={"trunk_id": None},
            )
            await events.record_numbers(conn, "number.routing_changed", [m["id"]], now)

    # -- applications --------------------------------------------------------------------------
    async def attach_application(
        self,
        actor: Actor,
        account: Account,
        e164: E164,
        raw_app: object,
        *,
        within: Connection | None = None,  # the caller's transaction (a bulk job, ADR 0023)
    ) -> AppBinding:
        if isinstance(raw_app, int) and not isinstance(raw_app, bool):
            raw_app = str(raw_app)
        if not isinstance(raw_app, str) or not raw_app.strip():
            raise InvalidInput("application_id is required", field="application_id")
        app_id = parse_app_id(raw_app)
        now = self.clock.now()
        async with write_in(self.db, within) as conn:
            row = await held_number(conn, account, e164, now)
            m = row._mapping
            app = (
                await conn.execute(
                    select(applications.c.id, applications.c.account_id)
                    .where(
                        applications.c.id == app_id,
                        applications.c.account_id.in_(routing_family(account)),
                    )
                    .with_for_update(read=True)
                )
            ).first()
            if app is None:
                raise NotFound("Application not found", app_id=app_id)
            await conn.execute(
                update(numbers)
                .where(numbers.c.id == m["id"])
                .values(application_id=app_id, updated_at=now)
            )
            await audit.record(
                conn,
                actor,
                now,
                action="number.attach_application",
                entity_type="number",
                entity_id=m["id"],
                account_id=account.auth_id,
                e164=e164.value,
                before=_routing_snapshot(m),
                after={"application_id": app_id},
            )
            await events.record_numbers(conn, "number.routing_changed", [m["id"]], now)
            owner = (
                (await conn.execute(select(accounts).where(accounts.c.id == app.account_id)))
                .one()
                ._mapping
            )
            record = await self.apps.get_in(conn, _owner_stub(account, owner), app_id)
        return AppBinding(e164.value, record)

    async def detach_application(self, actor: Actor, account: Account, e164: E164) -> AppBinding:
        now = self.clock.now()
        async with self.db.write() as conn:
            row = await held_number(conn, account, e164, now)
            m = row._mapping
            app_id = m["application_id"]
            if app_id is None:
                return AppBinding(e164.value, None)
            record_row = (
                await conn.execute(
                    select(applications, accounts.c.auth_id.label("account_auth_id"))
                    .join(accounts, accounts.c.id == applications.c.account_id)
                    .where(applications.c.id == app_id)
                )
            ).first()
            await conn.execute(
                update(numbers)
                .where(numbers.c.id == m["id"])
                .values(application_id=None, updated_at=now)
            )
            await audit.record(
                conn,
                actor,
                now,
                action="number.detach_application",
                entity_type="number",
                entity_id=m["id"],
                account_id=account.auth_id,
                e164=e164.value,
                before=_routing_snapshot(m),
                after={"application_id": None},
            )
            await events.record_numbers(conn, "number.routing_changed", [m["id"]], now)
        return AppBinding(e164.value, None if record_row is None else dict(record_row._mapping))

    # -- the hot path --------------------------------------------------------------------------
    async def route(self, e164: E164) -> Route:
        """Where a call to ``e164`` goes (the SIP router asks once per inbound call): one
        indexed read; the answer applies ``domain.routing.route_reason`` and hides the holder
        of a number nobody holds."""
        async with self.db.read() as conn:
            row = (await conn.execute(ROUTE, {"e164": e164.value})).first()
        if row is None:
            raise NotFound("number not found")
        value, state, cooldown_ends_at, trunk_id, app_id, owner, kyc_needed, verified = row
        reason = route_reason(
            state,
            cooldown_ends_at,
            trunk_id,
            app_id,
            self.clock.now(),
            kyc_restricted=bool(kyc_needed) and not bool(verified),
        )
        routing = reason is None
        return Route(
            e164=value,
            account_id=None if reason in _UNHELD else owner,
            routable=routing,
            trunk_group_id=trunk_id if routing else None,
            application_id=app_id if routing else None,
            reason=None if reason is None else reason.value,
        )


def _owner_stub(account: Account, owner: Any) -> Account:
    """The account that owns an application (the caller or its parent), for a scoped read."""
    if owner["id"] == account.id:
        return account
    return Account.from_row(owner)
