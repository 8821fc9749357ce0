"""Bulk jobs (issue 13 items 4 and 6b, ADR 0023): one action over many numbers, done in the
background by the job runner (the ``bulk`` step of ``services/jobs.py``), never inside the
request that submits it.

- ``submit`` checks the request, resolves the numbers (a list, or the first ``limit`` numbers
  matching a search) and stores the job and one ``pending`` item per number, with a
  ``job.created`` event, in one transaction. A dry run stores nothing and answers the cost
  preview; a release or move over more than ``confirm_threshold`` numbers needs the
  confirmation token of its dry run (``domain/bulk.py``).
- ``run`` (the runner step) does the pending items. Each item is one transaction: a
  conditional UPDATE claims it (``WHERE status = 'pending'``: two runners never both get it),
  the existing use case (``NumberService.purchase(…, within=conn)``…) changes the number on the SAME
  connection inside a savepoint, and the item's outcome commits with the number's change.
  A refusal (insufficient balance, a locked number…) rolls back the savepoint only and
  records the item as ``failed`` with the refusal's code. A runner killed half way leaves
  each item either done (with its number's change) or pending (with nothing changed), so a
  later run resumes it and nothing is done twice.
- ``cancel`` turns the pending items ``cancelled`` (items already done stay as they are).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from didstore.clock import Clock
from didstore.db import errors as db_errors
from didstore.db.database import Connection, Database
from didstore.db.queries import NUMBER_ROW_BY_E164
from didstore.db.tables import accounts, applications, bulk_job_items, bulk_jobs, trunks
from didstore.domain import bulk as rules
from didstore.domain.e164 import E164, from_body
from didstore.domain.errors import (
    BulkJobFinished,
    BulkJobTooLarge,
    DomainError,
    InvalidInput,
    NotFound,
    RetryableConflict,
)
from didstore.domain.lifecycle import HELD_STATE_VALUES, NumberState
from didstore.domain.money import currency
from didstore.domain.routing import cool_off_at
from didstore.services import audit, events
from didstore.services.accounts import AccountService
from didstore.services.applications import parse_app_id
from didstore.services.inventory import InventoryService, SearchFilters
from didstore.services.locks import check_unlocked
from didstore.services.models import Account, Actor, Page
from didstore.services.numbers import NumberService
from didstore.services.routing import RoutingService, routing_family
from didstore.services.subaccount_moves import SubaccountMoves, cool_off_error
from didstore.services.trunks import parse_trunk_id

log = logging.getLogger("didstore.worker")

#: job events (services/events.py EVENT_TYPES)
JOB_EVENT_TYPES = ("job.created", "job.completed", "job.cancelled")
#: a claimed item whose number changed under it (a retryable conflict) is tried this often
ITEM_ATTEMPTS = 3
_PAGE = 100
#: the confirmation key when no server secret is configured: one per process (like the
#: console's; ``serve --workers`` shares ``DIDSTORE_CONSOLE_SECRET`` with its workers)
_PROCESS_SECRET = secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class Progress:
    total: int
    succeeded: int = 0
    failed: int = 0
    cancelled: int = 0

    @property
    def done(self) -> int:
        return self.succeeded + self.failed + self.cancelled

    @property
    def pending(self) -> int:
        return self.total - self.done


@dataclass(frozen=True, slots=True)
class Item:
    e164: str
    status: str
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True, slots=True)
class BulkJob:
    id: str
    account_auth_id: str
    action: str
    params: dict[str, Any]
    status: str
    progress: Progress
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    results: list[Item] | None = None  # None in lists


@dataclass(frozen=True, slots=True)
class PreviewItem:
    e164: str
    outcome: str  # succeed | fail
    cost_minor: int = 0
    currency: str | None = None
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True, slots=True)
class Preview:
    """A dry run: what the job would do and cost now, changing nothing."""

    account_auth_id: str
    action: str
    params: dict[str, Any]
    items: list[PreviewItem]
    confirmation_required: bool
    confirm_token: str | None
    confirm_expires_at: datetime | None

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def costs(self) -> dict[str, int]:
        """Total cost per currency (minor units), of the numbers expected to succeed."""
        out: Counter[str] = Counter()
        for item in self.items:
            if item.outcome == "succeed" and item.currency:
                out[item.currency] += item.cost_minor
        return dict(sorted(out.items()))


@dataclass
class RunReport:
    processed: int = 0
    succeeded: int = 0
    failed: int = 0
    jobs_completed: int = 0
    job_ids: list[str] = field(default_factory=list)
    errors: int = 0  # jobs a run left because of an unexpected error (logged)


@dataclass(frozen=True, slots=True)
class _Request:
    action: str
    numbers: list[E164]
    params: dict[str, Any]


_JOB = select(bulk_jobs, accounts.c.auth_id.label("account_auth_id")).join(
    accounts, accounts.c.id == bulk_jobs.c.account_id
)
_COUNTS = select(bulk_job_items.c.job_id, bulk_job_items.c.status, func.count()).group_by(
    bulk_job_items.c.job_id, bulk_job_items.c.status
)


def _actor_json(actor: Actor) -> dict[str, str]:
    return {
        "kind": actor.kind,
        "auth_id": actor.auth_id,
        "credential": actor.credential,
        "request_id": actor.request_id,
        "source_ip": actor.source_ip,
    }


def _actor(data: Any) -> Actor:
    d = data if isinstance(data, dict) else {}
    return Actor(
        kind=str(d.get("kind") or "system"),
        auth_id=str(d.get("auth_id") or ""),
        credential=str(d.get("credential") or "system"),
        request_id=str(d.get("request_id") or ""),
        source_ip=str(d.get("source_ip") or ""),
    )


def _text(params: dict[str, Any], *names: str) -> str | None:
    for name in names:
        value = params.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _params(action: str, raw: object, account: Account) -> dict[str, Any]:
    """The parameters an action reads, checked and normalised (the token binds these)."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InvalidInput("params must be an object", field="params")
    if action == "purchase":
        if account.kind not in ("main", "sub"):
            raise InvalidInput("only main accounts and sub-accounts can buy numbers")
        cur = raw.get("currency")
        if cur is None or (isinstance(cur, str) and not cur.strip()):
            return {}
        return {"currency": currency(cur).code}  # 400 unless an ISO 4217 code
    if action == "release":
        immediate = raw.get("immediate", False)
        if not isinstance(immediate, bool):
            raise InvalidInput("params.immediate must be true or false", field="immediate")
        return {"immediate": immediate}
    if action == "assign_trunk":
        trunk = _text(raw, "trunk_id", "trunk_group_id")
        if trunk is None:
            raise InvalidInput("params.trunk_id is required", field="trunk_id")
        return {"trunk_id": trunk}
    if action == "attach_application":
        app = _text(raw, "app_id", "application_id")
        if app is None:
            raise InvalidInput("params.app_id is required", field="app_id")
        return {"app_id": app}
    if account.kind != "main":
        raise InvalidInput("numbers move between sub-accounts with the parent account")
    if action == "unassign_subaccount":
        # back to the main account's pool, as DELETE …/numbers/{e164}/assign-subaccount;
        # without its operator-only ``force``: a number in its cool-off fails its item
        return {}
    sub = _text(raw, "subaccount", "sub_account_id", "auth_id")
    if sub is None:
        raise InvalidInput("params.subaccount (the sub-account's auth_id) is required")
    return {"subaccount": sub}


class BulkJobs:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        accounts: AccountService,
        numbers: NumberService,
        inventory: InventoryService,
        routing: RoutingService,
        moves: SubaccountMoves,
        max_numbers: int = 1000,
        confirm_threshold: int = 10,
        confirm_ttl: timedelta = timedelta(minutes=15),
        secret: str | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.accounts = accounts
        self.numbers = numbers
        self.inventory = inventory
        self.routing = routing
        self.moves = moves
        self.max_numbers = max_numbers
        self.confirm_threshold = confirm_threshold
        self.confirm_ttl = confirm_ttl
        base = (secret or _PROCESS_SECRET).encode()
        self._key = hmac.new(base, b"didstore.bulk.confirm", hashlib.sha256).digest()

    # -- submit ---------------------------------------------------------------------------
    async def submit(self, actor: Actor, account: Account, body: object) -> BulkJob | Preview:
        """A job from ``{action, numbers | search, params, dry_run?, confirm?}``: stored
        ``pending`` for the runner, or (``dry_run``) its preview, nothing stored."""
        if not isinstance(body, dict):
            raise InvalidInput("the body must be a JSON object")
        dry_run = body.get("dry_run")
        if dry_run is None:  # null is the same as leaving it out
            dry_run = False
        if not isinstance(dry_run, bool):
            raise InvalidInput("dry_run must be true or false", field="dry_run")
        req = await self._request(account, body)
        payload = rules.canonical(
            account.auth_id, req.action, [n.value for n in req.numbers], req.params
        )
        needed = rules.needs_confirmation(req.action, len(req.numbers), self.confirm_threshold)
        if dry_run:
            return await self._preview(account, req, payload, needed)
        now = self.clock.now()
        if needed:
            rules.verify(self._key, payload, body.get("confirm"), now)
        job_id = str(uuid.uuid4())
        async with self.db.write() as conn:
            await conn.execute(
                bulk_jobs.insert().values(
                    id=job_id,
                    account_id=account.id,
                    action=req.action,
                    params=req.params,
                    actor=_actor_json(actor),
                    status="pending",
                    total=len(req.numbers),
                    created_at=now,
                    updated_at=now,
                )
            )
            await conn.insert_rows(
                bulk_job_items,
                [
                    {
                        "job_id": job_id,
                        "seq": i,
                        "e164": n.value,
                        "status": "pending",
                        "error_code": None,
                        "error_message": None,
                        "finished_at": None,
                    }
                    for i, n in enumerate(req.numbers)
                ],
            )
            await audit.record(
                conn,
                actor,
                now,
                action="bulk_job.create",
                entity_type="bulk_job",
                entity_id=job_id,
                account_id=account.auth_id,
                after={"action": req.action, "total": len(req.numbers), "params": req.params},
            )
            job = await self._load(conn, account, job_id, with_results=False)
            await self._event(conn, "job.created", job, now)
        return job

    async def _request(self, account: Account, body: dict[str, Any]) -> _Request:
        action = body.get("action")
        if action not in rules.ACTIONS:
            raise InvalidInput(f"action must be one of {', '.join(rules.ACTIONS)}", field="action")
        params = _params(action, body.get("params"), account)
        await self._check_target(account, action, params)
        listed, search = body.get("numbers"), body.get("search")
        if (listed is None) == (search is None):
            raise InvalidInput("give either numbers (a list of E.164) or search, not both")
        if listed is not None:
            if not isinstance(listed, list) or not listed:
                raise InvalidInput("numbers must be a non-empty list", field="numbers")
            if len(listed) > self.max_numbers:
                raise _too_large(len(listed), self.max_numbers)
            numbers = list({n.value: n for n in (from_body(x) for x in listed)}.values())
        else:
            numbers = await self._search(account, action, search)
        if not numbers:
            raise InvalidInput("the search matched no numbers", field="search")
        return _Request(action, numbers, params)

    async def _check_target(self, account: Account, action: str, params: dict[str, Any]) -> None:
        """The trunk, application or sub-account a job names exists and is the account's to
        use (404 otherwise), so that a typo fails the request rather than every number."""
        family = list(routing_family(account))
        async with self.db.read() as conn:
            if action == "assign_trunk":
                params["trunk_id"] = trunk_id = parse_trunk_id(params["trunk_id"])
                query = select(trunks.c.id).where(
                    trunks.c.id == trunk_id, trunks.c.account_id.in_(family)
                )
                if (await conn.execute(query)).first() is None:
                    raise NotFound(f"trunk {trunk_id} not found")
            elif action == "attach_application":
                params["app_id"] = app_id = parse_app_id(params["app_id"])
                query = select(applications.c.id).where(
                    applications.c.id == app_id, applications.c.account_id.in_(family)
                )
                if (await conn.execute(query)).first() is None:
                    raise NotFound("Application not found", app_id=app_id)
            elif action == "move":
                query = select(accounts.c.id).where(
                    accounts.c.auth_id == params["subaccount"],
                    accounts.c.parent_id == account.id,
                    accounts.c.kind == "sub",
                    accounts.c.deleted_at.is_(None),
                )
                if (await conn.execute(query)).first() is None:
                    raise NotFound(f"sub-account {params['subaccount']} not found")

    async def _search(self, account: Account, action: str, search: object) -> list[E164]:
        """The first ``limit`` numbers matching ``search``: available inventory for a
        purchase, the account's own numbers for every other action (for
        ``unassign_subaccount``, only those one of its sub-accounts holds)."""
        if not isinstance(search, dict):
            raise InvalidInput("search must be an object", field="search")
        limit = search.get("limit")
        if limit is None:
            raise InvalidInput("search.limit (how many numbers) is required", field="limit")
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise InvalidInput("search.limit must be a whole number, at least 1", field="limit")
        if limit > self.max_numbers:
            raise _too_large(limit, self.max_numbers)
        pattern = rules.digits(search.get("search"), "search")
        country = rules.country(search.get("country"))
        exclude = search.get("exclude") or []
        if isinstance(exclude, str):
            exclude = exclude.split(",")
        if not isinstance(exclude, list):
            raise InvalidInput("search.exclude must be a list of prefixes", field="exclude")
        prefixes = tuple(p for p in (rules.digits(x, "exclude") for x in exclude) if p)
        found: list[E164] = []
        page = 1
        while len(found) < limit:
            if action == "purchase":
                filters = SearchFilters(country=country, search=pattern, exclude=prefixes)
                result = await self.inventory.search(filters, page, _PAGE)
            else:
                result = await self.numbers.list_owned(
                    account,
                    search=pattern or None,
                    include_subaccounts=True,
                    page=page,
                    per_page=_PAGE,
                )
            found.extend(
                from_body(n.e164)
                for n in result.items
                # moving numbers back: only those a sub-account holds
                if action != "unassign_subaccount" or n.owner_auth_id != account.auth_id
            )
            if len(result.items) < _PAGE:
                break
            page += 1
        return found[:limit]

    # -- dry run --------------------------------------------------------------------------
    async def _preview(
        self, account: Account, req: _Request, payload: bytes, needed: bool
    ) -> Preview:
        items: list[PreviewItem] = []
        now = self.clock.now()
        for e164 in req.numbers:
            try:
                items.append(await self._expect(account, req, e164, now))
            except DomainError as exc:
                items.append(PreviewItem(e164.value, "fail", 0, None, exc.code, exc.message))
        token = expires = None
        if needed:
            expires = now + self.confirm_ttl
            token = rules.sign(self._key, payload, expires)
            expires = rules.token_expiry(token)
        return Preview(account.auth_id, req.action, req.params, items, needed, token, expires)

    async def _expect(
        self, account: Account, req: _Request, e164: E164, now: datetime
    ) -> PreviewItem:
        """One number's expected outcome and cost (cheap checks; the runner decides)."""
        if req.action == "release":
            quote = await self.numbers.release_quote(
                account, e164, immediate=bool(req.params["immediate"])
            )
            return PreviewItem(e164.value, "succeed", quote.fee_minor, quote.fee_currency)
        async with self.db.read() as conn:
            row = (await conn.execute(NUMBER_ROW_BY_E164, {"e164": e164.value})).first()
        if req.action == "purchase":
            m = None if row is None else row._mapping
            mine = m is not None and m["owner_account_id"] == account.id
            if m is not None and mine and m["state"] == NumberState.ACTIVE.value:
                # already the account's (a retried purchase): nothing charged
                return PreviewItem(e164.value, "succeed", 0, str(m["currency"]))
            if m is None or m["state"] != NumberState.AVAILABLE.value:
                raise NotFound("number not found in inventory")
            cur = req.params.get("currency")
            if cur and cur != m["currency"]:
                raise InvalidInput(f"{e164} is priced in {m['currency']}, not {cur}")
            cost = int(m["setup_fee_minor"]) + int(m["monthly_fee_minor"])
            return PreviewItem(e164.value, "succeed", cost, str(m["currency"]))
        if row is None or not account.may_manage(row._mapping):
            raise NotFound("number not found")
        m = row._mapping
        if m["state"] not in HELD_STATE_VALUES:
            raise InvalidInput(f"number is {m['state']}")
        if req.action in ("move", "unassign_subaccount"):
            check_unlocked(m)
        if req.action == "unassign_subaccount":
            if m["owner_account_id"] == account.id:
                raise NotFound("number is not assigned to a sub-account")
            cool = cool_off_at(m["last_call_at"], now)
            if cool is not None:
                raise cool_off_error(cool)
        return PreviewItem(e164.value, "succeed", 0, None)

    # -- read -----------------------------------------------------------------------------
    async def get(self, account: Account, job_id: str) -> BulkJob:
        async with self.db.read() as conn:
            return await self._load(conn, account, job_id, with_results=True)

    async def list_jobs(
        self, account: Account, *, limit: int = 20, offset: int = 0
    ) -> list[BulkJob]:
        """The account's jobs, newest first (no per-number results)."""
        if not 1 <= limit <= 100:
            raise InvalidInput("limit must be between 1 and 100", field="limit")
        if not 0 <= offset <= 1_000_000_000:
            raise InvalidInput("offset must be between 0 and 1000000000", field="offset")
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    _JOB.where(bulk_jobs.c.account_id == account.id)
                    .order_by(bulk_jobs.c.created_at.desc(), bulk_jobs.c.id)
                    .limit(limit)
                    .offset(offset)
                )
            ).all()
            ids = [r._mapping["id"] for r in rows]
            counts = await _counts(conn, ids)
        return [_job(r._mapping, counts.get(r._mapping["id"], {})) for r in rows]

    async def list_all(
        self,
        *,
        account: str | None = None,
        status: str | None = None,
        page: int = 1,
        per_page: int = 20,
    ) -> Page[BulkJob]:
        """The operator's view: every account's jobs, newest first (no per-number results);
        ``account`` (an auth_id: that account's own jobs) and ``status`` filter."""
        if status is not None and status not in rules.JOB_STATES:
            raise InvalidInput(
                f"status must be one of {', '.join(rules.JOB_STATES)}", field="status"
            )
        if not 1 <= page <= 1_000_000_000 or not 1 <= per_page <= 100:
            raise InvalidInput("page must be 1 to 1000000000 and per_page 1 to 100", field="page")
        where = []
        if account is not None:
            where.append(accounts.c.auth_id == account)
        if status is not None:
            where.append(bulk_jobs.c.status == status)
        total_query = (
            select(func.count())
            .select_from(bulk_jobs.join(accounts, accounts.c.id == bulk_jobs.c.account_id))
            .where(*where)
        )
        async with self.db.read() as conn:
            total = int((await conn.execute(total_query)).scalar_one())
            rows = (
                await conn.execute(
                    _JOB.where(*where)
                    .order_by(bulk_jobs.c.created_at.desc(), bulk_jobs.c.id)
                    .limit(per_page)
                    .offset((page - 1) * per_page)
                )
            ).all()
            counts = await _counts(conn, [r._mapping["id"] for r in rows])
        items = [_job(r._mapping, counts.get(r._mapping["id"], {})) for r in rows]
        return Page(items, page, per_page, total)

    async def get_any(self, job_id: str) -> BulkJob:
        """One job of any account, with its results (the operator's view)."""
        async with self.db.read() as conn:
            return await self._load(conn, None, job_id, with_results=True)

    async def _load(
        self, conn: Connection, account: Account | None, job_id: str, *, with_results: bool
    ) -> BulkJob:
        query = _JOB.where(bulk_jobs.c.id == job_id)
        if account is not None:
            query = query.where(bulk_jobs.c.account_id == account.id)
        row = (await conn.execute(query)).first()
        if row is None:
            raise NotFound(f"bulk job {job_id} not found")
        counts = (await _counts(conn, [job_id])).get(job_id, {})
        results = None
        if with_results:
            items = await conn.execute(
                select(
                    bulk_job_items.c.e164,
                    bulk_job_items.c.status,
                    bulk_job_items.c.error_code,
                    bulk_job_items.c.error_message,
                )
                .where(bulk_job_items.c.job_id == job_id)
                .order_by(bulk_job_items.c.seq)
            )
            results = [Item(*r) for r in items]
        return _job(row._mapping, counts, results)

    # -- cancel ---------------------------------------------------------------------------
    async def cancel(self, actor: Actor, account: Account, job_id: str) -> BulkJob:
        """Pending items become ``cancelled``; items already done stay as they are. A job
        that has completed or was cancelled is a final 409 ``bulk_job_finished``."""
        now = self.clock.now()
        async with self.db.write() as conn:
            job = await self._load(conn, account, job_id, with_results=False)
            done = (
                await conn.execute(
                    update(bulk_jobs)
                    .where(
                        bulk_jobs.c.id == job_id,
                        bulk_jobs.c.status.in_(("pending", "running")),
                    )
                    .values(status="cancelled", finished_at=now, updated_at=now)
                    .returning(bulk_jobs.c.id)
                )
            ).first()
            if done is None:
                raise BulkJobFinished(f"bulk job {job_id} is already {job.status}")
            await conn.execute(
                update(bulk_job_items)
                .where(bulk_job_items.c.job_id == job_id, bulk_job_items.c.status == "pending")
                .values(status="cancelled", finished_at=now)
            )
            job = await self._load(conn, account, job_id, with_results=False)
            from didstore.wire.bulk_jobs import progress  # wire imports services' models

            await audit.record(
                conn,
                actor,
                now,
                action="bulk_job.cancel",
                entity_type="bulk_job",
                entity_id=job_id,
                account_id=account.auth_id,
                after=progress(job.progress),  # the job's progress as the API shows it
            )
            await self._event(conn, "job.cancelled", job, now)
        return job

    # -- the runner step ------------------------------------------------------------------
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
            row = (await conn.execute(_JOB.where(bulk_jobs.c.id == job_id))).first()
        if row is None or row._mapping["status"] != "running":
            return
        m = row._mapping
        account = await self.accounts.get(str(m["account_auth_id"]))
        actor = _actor(m["actor"])
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
            job = await self._load(conn, account, job_id, with_results=False)
            await self._event(conn, "job.completed", job, now)
        return True

    async def _event(self, conn: Connection, type_: str, job: BulkJob, now: datetime) -> None:
        from didstore.wire.bulk_jobs import job as job_wire  # wire imports services' models

        row = (
            await conn.execute(
                select(accounts.c.parent_id).where(accounts.c.auth_id == job.account_auth_id)
            )
        ).one()
        main = None
        if row.parent_id is not None:
            main = (
                await conn.execute(select(accounts.c.auth_id).where(accounts.c.id == row.parent_id))
            ).scalar_one()
        await events.record(
            conn,
            type_,
            now,
            account_id=job.account_auth_id,
            main_account_id=main,
            data=job_wire(job),
        )


async def _fail(conn: Connection, item: Sequence[Any], code: str, message: str) -> bool:
    await conn.execute(
        update(bulk_job_items)
        .where(*item)
        .values(status="failed", error_code=code[:48], error_message=message[:500])
    )
    return False


def _too_large(count: int, limit: int) -> InvalidInput:
    return BulkJobTooLarge(
        f"a bulk job may hold at most {limit} numbers ({count} asked); split it",
        field="numbers",
    )


async def _counts(conn: Connection, ids: Sequence[str]) -> dict[str, dict[str, int]]:
    if not ids:
        return {}
    rows = await conn.execute(_COUNTS.where(bulk_job_items.c.job_id.in_(list(ids))))
    out: dict[str, dict[str, int]] = {}
    for job_id, status, n in rows:
        out.setdefault(str(job_id), {})[str(status)] = int(n)
    return out


def _job(m: Any, counts: dict[str, int], results: list[Item] | None = None) -> BulkJob:
    progress = Progress(
        total=int(m["total"]),
        succeeded=counts.get("succeeded", 0),
        failed=counts.get("failed", 0),
        cancelled=counts.get("cancelled", 0),
    )
    return BulkJob(
        id=str(m["id"]),
        account_auth_id=str(m["account_auth_id"]),
        action=str(m["action"]),
        params=dict(m["params"] or {}),
        status=str(m["status"]),
        progress=progress,
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        started_at=m["started_at"],
        finished_at=m["finished_at"],
        results=results,
    )
