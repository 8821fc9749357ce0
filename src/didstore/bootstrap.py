"""The composition root: the one place the services are built, for every entry point.

The API (``api/app.py``), the console, the CLI's in-process commands and the job runner all
get their services from ``build``: one database handle, one clock, and one instance of each
service (so caches such as the authentication cache exist once per process).

    services = build(Settings(database_url=...))
    await services.open()
    try:
        await services.numbers.purchase(...)
    finally:
        await services.close()

``run`` does exactly that around one coroutine, for synchronous callers (CLI commands).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from didstore import metrics
from didstore.clock import Clock, SystemClock, TestClock
from didstore.config import Settings
from didstore.db.database import Database, open_database
from didstore.services import events
from didstore.services.accounts import AccountService, OperatorTokens
from didstore.services.applications import ApplicationService
from didstore.services.audit_query import AuditQueries
from didstore.services.blocks import NumberBlocks
from didstore.services.bulk_jobs import BulkJobs
from didstore.services.bulk_runner import BulkJobRunner
from didstore.services.calls import CallActivity
from didstore.services.event_feed import EventFeed
from didstore.services.exports import ExportService
from didstore.services.gauges import Gauges
from didstore.services.idempotency import IdempotencyService
from didstore.services.inventory import InventoryService
from didstore.services.jobs import Jobs
from didstore.services.locks import NumberLocks
from didstore.services.numbers import NumberService
from didstore.services.overview import OverviewService
from didstore.services.partner import PartnerService
from didstore.services.plivo import PlivoService
from didstore.services.rate_limits import Counters, counters_for
from didstore.services.reports import ReportService
from didstore.services.reservations import ReservationService
from didstore.services.routing import RoutingService
from didstore.services.subaccount_moves import SubaccountMoves
from didstore.services.trunks import TrunkService
from didstore.services.wallet import WalletService
from didstore.services.webhook_delivery import WebhookDelivery
from didstore.services.webhooks import WebhookService

T = TypeVar("T")


@dataclass
class Services:
    settings: Settings
    clock: Clock
    db: Database
    accounts: AccountService
    operator: OperatorTokens
    wallet: WalletService
    inventory: InventoryService
    numbers: NumberService
    partner: PartnerService
    reports: ReportService
    trunks: TrunkService
    applications: ApplicationService
    routing: RoutingService
    moves: SubaccountMoves
    calls: CallActivity
    idempotency: IdempotencyService
    audit: AuditQueries
    jobs: Jobs
    events: EventFeed
    webhooks: WebhookService
    webhook_delivery: WebhookDelivery
    locks: NumberLocks
    gauges: Gauges
    blocks: NumberBlocks
    reservations: ReservationService
    #: the rate limiter's request counters (api/limits.py)
    rate_counters: Counters
    plivo: PlivoService
    overview: OverviewService
    #: whole lists in batches (CSV exports, ADR 0024) and the operator's inventory list
    exports: ExportService
    #: bulk jobs (ADR 0023): they run the use cases of numbers, routing and moves
    bulk_jobs: BulkJobs
    #: the job runner's ``bulk`` step (ADR 0023)
    bulk_runner: BulkJobRunner

    async def open(self) -> None:
        await self.db.open()

    async def close(self) -> None:
        await self.db.close()


def build(settings: Settings, clock: Clock | None = None, db: Database | None = None) -> Services:
    """Every service, wired once. ``clock`` defaults to the system clock (or a test clock when
    ``settings.test_clock``); ``db`` to the database of ``settings.database_url``."""
    events.SETTINGS.low_balance_minor = settings.low_balance_minor
    clock = clock or (TestClock() if settings.test_clock else SystemClock())
    db = db or open_database(
        settings.database_url,
        sqlite_synchronous=settings.sqlite_synchronous,
        statement_timeout=settings.statement_timeout,
    )
    accounts = AccountService(db, clock)
    private = settings.allow_private_webhooks
    applications = ApplicationService(db, clock, allow_private_urls=private)
    reports = ReportService(db, clock, accounts)
    idempotency = IdempotencyService(db, clock)
    feed = EventFeed(db, clock, retention=timedelta(days=settings.event_retention_days))
    delivery = WebhookDelivery(db, clock, feed, allow_private_urls=private)
    numbers = NumberService(db, clock)
    inventory = InventoryService(db, clock)
    routing = RoutingService(db, clock, applications)
    moves = SubaccountMoves(db, clock)
    bulk_jobs = BulkJobs(
        db,
        clock,
        numbers=numbers,
        inventory=inventory,
        max_numbers=settings.bulk_job_max_numbers,
        confirm_threshold=settings.bulk_confirm_threshold,
        confirm_ttl=timedelta(seconds=settings.bulk_confirm_ttl),
        secret=settings.console_secret,
    )
    bulk_runner = BulkJobRunner(
        db, clock, accounts=accounts, numbers=numbers, routing=routing, moves=moves
    )
    return Services(
        settings=settings,
        clock=clock,
        db=db,
        accounts=accounts,
        operator=OperatorTokens(db, clock, settings.admin_token),
        wallet=WalletService(db, clock),
        inventory=inventory,
        numbers=numbers,
        partner=PartnerService(db, clock, accounts),
        reports=reports,
        trunks=TrunkService(db, clock, allow_private_urls=private),
        applications=applications,
        routing=routing,
        moves=moves,
        calls=CallActivity(db, clock),
        idempotency=idempotency,
        audit=AuditQueries(db, clock),
        jobs=Jobs(
            db,
            clock,
            grace=settings.grace,
            reports=reports,
            idempotency=idempotency,
            events=feed,
            webhooks=delivery,
            bulk=bulk_runner,
            observe=metrics.observe_job,
        ),
        events=feed,
        webhooks=WebhookService(db, clock, feed, allow_private_urls=private),
        webhook_delivery=delivery,
        locks=NumberLocks(db, clock),
        gauges=Gauges(db, low_balance_minor=settings.low_balance_minor),
        blocks=NumberBlocks(db, clock),
        reservations=ReservationService(
            db, clock, max_ttl=timedelta(seconds=settings.reservation_max_ttl)
        ),
        rate_counters=counters_for(
            db, fail_window=max(1, settings.auth_fail_window), sync=settings.rate_limit_sync
        ),
        plivo=PlivoService(db, clock),
        overview=OverviewService(db, clock),
        exports=ExportService(db, clock),
        bulk_jobs=bulk_jobs,
        bulk_runner=bulk_runner,
    )


def run(
    settings: Settings, work: Callable[[Services], Awaitable[T]], clock: Clock | None = None
) -> T:
    """Build and open the services, await ``work(services)``, close them (CLI commands)."""

    async def main() -> T:
        services = build(settings, clock)
        await services.open()
        try:
            return await work(services)
        finally:
            await services.close()

    return asyncio.run(main())
