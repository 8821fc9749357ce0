"""The bulk jobs' runner (ADR 0023): the job runner's ``bulk`` step does the pending numbers
of every unfinished bulk job, each exactly once: an item is claimed by a conditional UPDATE
and its number's use case runs on the same connection (``within=``), so the item's outcome
commits with the number's change, across crashes and concurrent runners. Submitting,
previewing, reading and cancelling jobs is ``services/bulk_jobs.py``."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update

from didstore.clock import Clock
from didstore.db import errors as db_errors
from didstore.db.database import Connection, Database
from didstore.db.tables import bulk_job_items, bulk_jobs
from didstore.domain.e164 import E164, from_body
from didstore.domain.errors import DomainError, RetryableConflict
from didstore.services.accounts import AccountService
from didstore.services.bulk_jobs import JOB_ROW, actor_of, load_job, record_job_event
from didstore.services.models import Account, Actor
from didstore.services.numbers import NumberService
from didstore.services.routing import RoutingService
from didstore.services.subaccount_moves import SubaccountMoves

log = logging.getLogger("didstore.worker")

#: a claimed item whose number changed under it (a retryable conflict) is tried this often
ITEM_ATTEMPTS = 3


@dataclass
class RunReport:
    processed: int = 0
    succeeded: int = 0
    failed: int = 0
    jobs_completed: int = 0
    job_ids: list[str] = field(default_factory=list)
    errors: int = 0  # jobs a run left because of an unexpected error (logged)


class BulkJobRunner:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        accounts: AccountService,
        numbers: NumberService,
        routing: RoutingService,
        moves: SubaccountMoves,
    ) -> None:
        self.db = db
        self.clock = clock
        self.accounts = accounts
        self.numbers = numbers
        self.routing = routing
        self.moves = moves

    async def run(self, *, limit: int | None = None) -> RunReport:
        """Do the pending items of every unfinished job, oldest job first; at most ``limit``
        items (None: all). Safe to run from several runners at once, and again after a
        crash: each item is claimed by a conditional UPDATE that commits with its number's
        change."""
        report = RunReport()
        async with self.db.read() as conn:
            ids = (
                await conn.execute(
                    select(bulk_jobs.c.id)
                    .where(bulk_jobs.c.status.in_(("pending", "running")))
                    .order_by(bulk_jobs.c.created_at, bulk_jobs.c.id)
                )
            ).scalars()
        for job_id in ids:
            if limit is not None and report.processed >= limit:
                break
            budget = None if limit is None else limit - report.processed
            try:
                await self._run_job(str(job_id), budget, report)
            except db_errors.DatabaseUnavailable:
                raise  # the database is away: the next run resumes every job
            except Exception:
                # an unexpected error rolled back the item it was doing (still pending, for
                # the next run); the other jobs must not wait on this one
                log.exception("bulk job %s failed; its pending numbers stay pending", job_id)
                report.errors += 1
        return report

    async def _run_job(self, job_id: str, budget: int | None, report: RunReport) -> None:
        now = self.clock.now()
        async with self.db.write() as conn:
            await conn.execute(
                update(bulk_jobs)
                .where(bulk_jobs.c.id == job_id, bulk_jobs.c.status == "pending")
                .values(status="running", started_at=now, updated_at=now)
            )
            row = (await conn.execute(JOB_ROW.where(bulk_jobs.c.id == job_id))).first()
        if row is None or row._mapping["status"] != "running":
            return
        m = row._mapping
        account = await self.accounts.get(str(m["account_auth_id"]))
        actor = actor_of(m["actor"])
        apply = self._operation(str(m["action"]), dict(m["params"] or {}), actor, account)
        async with self.db.read() as conn:
            pending = (
                await conn.execute(
                    select(bulk_job_items.c.seq, bulk_job_items.c.e164)
                    .where(
                        bulk_job_items.c.job_id == job_id,
                        bulk_job_items.c.status == "pending",
                    )
                    .order_by(bulk_job_items.c.seq)
                )
            ).all()
        for seq, e164 in pending:
            if budget is not None and budget <= 0:
                return
            outcome = await self._item(job_id, int(seq), from_body(e164), apply)
            if outcome is None:
                continue  # another runner did it, or the job was cancelled
            report.processed += 1
            if budget is not None:
                budget -= 1
            if outcome:
                report.succeeded += 1
            else:
                report.failed += 1
        if await self._complete(account, job_id):
            report.jobs_completed += 1
            report.job_ids.append(job_id)

    def _operation(
        self, action: str, params: dict[str, Any], actor: Actor, account: Account
    ) -> Callable[[Connection, E164], Awaitable[Any]]:
        """The use case an item runs, on the item's own connection."""
        if action == "purchase":
            cur = params.get("currency")
            return lambda conn, e164: self.numbers.purchase(actor, account, e164, cur, within=conn)
        if action == "release":
            immediate = bool(params.get("immediate"))
            return lambda conn, e164: self.numbers.release(
                actor, account, e164, immediate=immediate, within=conn
            )
        if action == "assign_trunk":
            trunk = params.get("trunk_id")
            return lambda conn, e164: self.routing.assign_trunk(
                actor, account, e164, trunk, within=conn
            )
        if action == "attach_application":
            app = params.get("app_id")
            return lambda conn, e164: self.routing.attach_application(
                actor, account, e164, app, within=conn
            )
        if action == "unassign_subaccount":
            return lambda conn, e164: self.moves.unassign(
                actor, account, e164, force=False, within=conn
            )
        sub = params.get("subaccount")
        return lambda conn, e164: self.moves.assign(actor, account, e164, sub, within=conn)

    async def _item(
        self,
        job_id: str,
        seq: int,
        e164: E164,
        apply: Callable[[Connection, E164], Awaitable[Any]],
    ) -> bool | None:
        """One item in one transaction: claimed, applied, its outcome recorded; True when it
        succeeded, False when refused, None when it was not pending any more."""
        for attempt in range(1, ITEM_ATTEMPTS + 1):
            try:
                last = attempt == ITEM_ATTEMPTS
                return await self._item_once(job_id, seq, e164, apply, last=last)
            except (RetryableConflict, db_errors.TransientConflict):
                continue  # the number changed under us: nothing committed, try again
        return None  # still conflicting (a serialization failure): pending, for the next run

    async def _item_once(
        self,
        job_id: str,
        seq: int,
        e164: E164,
        apply: Callable[[Connection, E164], Awaitable[Any]],
        *,
        last: bool,
    ) -> bool | None:
        now = self.clock.now()
        item = (bulk_job_items.c.job_id == job_id, bulk_job_items.c.seq == seq)
        async with self.db.write() as conn:
            claimed = (
                await conn.execute(
                    update(bulk_job_items)
                    .where(*item, bulk_job_items.c.status == "pending")
                    .values(status="succeeded", finished_at=now)
                    .returning(bulk_job_items.c.seq)
                )
            ).first()
            if claimed is None:
                return None
            try:
                async with conn.savepoint():
                    await apply(conn, e164)
            except RetryableConflict:
                if not last:
                    raise
                return await _fail(conn, item, "conflict_retry", "the number kept changing")
            except DomainError as exc:
                return await _fail(conn, item, exc.code, exc.message)
            return True

    async def _complete(self, account: Account, job_id: str) -> bool:
        """Mark a running job with no pending item ``completed`` (once), with its event."""
        now = self.clock.now()
        pending = (
            select(bulk_job_items.c.seq)
            .where(bulk_job_items.c.job_id == job_id, bulk_job_items.c.status == "pending")
            .exists()
        )
        async with self.db.write() as conn:
            done = (
                await conn.execute(
                    update(bulk_jobs)
                    .where(bulk_jobs.c.id == job_id, bulk_jobs.c.status == "running", ~pending)
                    .values(status="completed", finished_at=now, updated_at=now)
                    .returning(bulk_jobs.c.id)
                )
            ).first()
            if done is None:
                return False
            job = await load_job(conn, account, job_id, with_results=False)
            await record_job_event(conn, "job.completed", job, now)
        return True


async def _fail(conn: Connection, item: Sequence[Any], code: str, message: str) -> bool:
    await conn.execute(
        update(bulk_job_items)
        .where(*item)
        .values(status="failed", error_code=code[:48], error_message=message[:500])
    )
    return False
