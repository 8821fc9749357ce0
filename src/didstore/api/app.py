"""The ASGI application: routers, the error table, path canonicalisation, start-up work."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from didstore import __version__
from didstore.api import errors, openapi
from didstore.api.idempotency import IdempotencyMiddleware
from didstore.api.limits import Limits
from didstore.api.observability import RequestObservability, configure_access_log
from didstore.api.responses import JSON
from didstore.api.routes import (
    accounts,
    admin,
    bulk_jobs,
    events,
    locks,
    metrics,
    numbers,
    operations,
    partner,
    plivo_applications,
    plivo_numbers,
    plivo_subaccounts,
    reservations,
    routing,
    routing_admin,
    trunks,
    webhooks,
)
from didstore.bootstrap import build
from didstore.clock import Clock
from didstore.config import Settings
from didstore.console import mount as console
from didstore.db.migrate import migrate
from didstore.worker import JobThread


def canonical_path(path: str) -> str:
    """``/api/v1/account/...`` -> ``/api/v1/Account/...``; no trailing slash (spec §1.3).

    ``accounts`` (plural, sub-account routes) is a different segment and is left alone.
    """
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    if path.startswith("/api/v1/"):
        head, sep, rest = path[len("/api/v1/") :].partition("/")
        if head.lower() == "account" and head != "Account":
            path = "/api/v1/Account" + sep + rest
    return path


class CanonicalPaths:
    """Pure ASGI middleware: fold path casing, strip the trailing slash, tag a request id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = canonical_path(scope["path"])
        if path != scope["path"]:
            scope = {**scope, "path": path}
        request_id = ""
        for key, value in scope.get("headers", ()):
            if key == b"x-request-id":
                request_id = value.decode("latin-1")[:64]
                break
        request_id = request_id or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        await self.app(scope, receive, send_with_id)


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    """The application with its services built once (``bootstrap.build``); migrations run,
    the database opens and the in-process jobs start in the lifespan."""
    settings = settings or Settings()
    svc = build(settings, clock)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        migrate(settings.database_url)
        await svc.open()
        token = await svc.operator.ensure()
        if token:
            print(f"didstore: generated operator token (shown once): {token}", flush=True)
        jobs = JobThread(settings, svc.clock, settings.job_interval) if settings.run_jobs else None
        if jobs:
            jobs.start()
        app.state.ready = True
        try:
            yield
        finally:
            if jobs:
                jobs.stop()
            await svc.close()

    app = FastAPI(
        title="didstore",
        version=__version__,
        description="DID inventory, provisioning and rental billing; Vobiz-compatible API.",
        lifespan=lifespan,
        redirect_slashes=False,
        # served from assets in the package (console/docs.py), not a CDN
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = svc
    app.state.ready = False
    errors.install(app)
    openapi.install(app)  # /openapi.json from api/openapi/table.py

    # Routes are matched in the order they are added, one after another: the hottest first
    # (health checks, the owned list and one number, the route lookup once per call).
    @app.get("/healthz", tags=["ops"], summary="200 once migrations ran and the server is ready")
    async def healthz() -> Response:
        if not app.state.ready:
            return JSON({"status": "starting"}, 503)
        return JSON(
            {
                "status": "ok",
                "version": __version__,
                "database": svc.db.dialect,
                "test_clock": settings.test_clock,
            }
        )

    app.include_router(reservations.router)  # before numbers: …/numbers/{e164} would match
    app.include_router(numbers.router)
    app.include_router(routing_admin.router)
    app.include_router(routing.router)
    app.include_router(accounts.router)
    app.include_router(trunks.router)
    app.include_router(partner.router)
    app.include_router(admin.router)
    app.include_router(operations.router)
    app.include_router(events.router)
    app.include_router(webhooks.router)
    app.include_router(locks.router)
    app.include_router(bulk_jobs.router)
    app.include_router(bulk_jobs.admin_router)
    app.include_router(metrics.router)
    # the Plivo-compatible facade (ADR 0018)
    app.include_router(plivo_numbers.router)
    app.include_router(plivo_applications.router)
    app.include_router(plivo_subaccounts.router)
    if settings.test_clock:
        app.include_router(admin.clock_router)
    console.install(app, settings)  # after the API: its routes are tried last

    # outermost last: paths are canonical before anything else; observability measures and
    # logs every answer, the limits' own 429/413/408 included; the limits refuse work before
    # the idempotency layer reads a body; the router sets scope["route"] inside
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(
        Limits,
        settings=settings,
        counters=svc.rate_counters,
        now=lambda: svc.clock.now().timestamp(),
    )
    app.add_middleware(RequestObservability, log_requests=settings.access_log)
    app.add_middleware(CanonicalPaths)
    if settings.access_log:
        configure_access_log()
    return app


def app_factory() -> Any:
    """``uvicorn --factory didstore.api.app:app_factory`` (settings from the environment)."""
    return create_app()
