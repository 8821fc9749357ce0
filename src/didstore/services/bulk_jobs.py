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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from didstore.clock import Clock
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
)
from didstore.domain.lifecycle import HELD_STATE_VALUES, NumberState
from didstore.domain.money import currency
from didstore.domain.routing import cool_off_at
from didstore.services import audit, events
from didstore.services.applications import parse_app_id
from didstore.services.inventory import InventoryService, SearchFilters
from didstore.services.locks import check_unlocked
from didstore.services.models import Account, Actor, Page
from didstore.services.numbers import NumberService
from didstore.services.routing import routing_family
from didstore.services.subaccount_moves import cool_off_error
from didstore.services.trunks import parse_trunk_id

log = logging.getLogger("didstore.worker")

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


@dataclass(frozen=True, slots=True)
class _Request:
    action: str
    numbers: list[E164]
    params: dict[str, Any]


JOB_ROW = select(bulk_jobs, accounts.c.auth_id.label("account_auth_id")).join(
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


def actor_of(data: Any) -> Actor:
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
        numbers: NumberService,
        inventory: InventoryService,
        max_numbers: int = 1000,
        confirm_threshold: int = 10,
        confirm_ttl: timedelta = timedelta(minutes=15),
        secret: str | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.numbers = numbers
        self.inventory = inventory
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
            job = await load_job(conn, account, job_id, with_results=False)
            await record_job_event(conn, "job.created", job, now)
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
            return await load_job(conn, account, job_id, with_results=True)

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
                    JOB_ROW.where(bulk_jobs.c.account_id == account.id)
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
                    JOB_ROW.where(*where)
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
            return await load_job(conn, None, job_id, with_results=True)

    # -- cancel ---------------------------------------------------------------------------
    async def cancel(self, actor: Actor, account: Account, job_id: str) -> BulkJob:
        """Pending items become ``cancelled``; items already done stay as they are. A job
        that has completed or was cancelled is a final 409 ``bulk_job_finished``."""
        now = self.clock.now()
        async with self.db.write() as conn:
            job = await load_job(conn, account, job_id, with_results=False)
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
            job = await load_job(conn, account, job_id, with_results=False)
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
            await record_job_event(conn, "job.cancelled", job, now)
        return job


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


async def load_job(
    conn: Connection, account: Account | None, job_id: str, *, with_results: bool
) -> BulkJob:
    query = JOB_ROW.where(bulk_jobs.c.id == job_id)
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


async def record_job_event(conn: Connection, type_: str, job: BulkJob, now: datetime) -> None:
    """A ``job.*`` event for the job's account and its main account."""
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
