"""Adds the console to the application: its routers, its static assets, offline API docs."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from didstore.config import Settings
from didstore.console import (
    bulk_jobs,
    customer,
    docs,
    events_pages,
    exports,
    money_pages,
    operator,
    operator_accounts,
    operator_bulk,
    operator_jobs,
    partner,
    reservations,
    routing,
    signin,
    subaccounts,
)
from didstore.console.session import Sessions
from didstore.console.web import HERE


def install(app: FastAPI, settings: Settings) -> None:
    """Called last by ``api.app.create_app``: the API's routes are matched first, and no
    middleware is added (the console reads its cookie in its own routes only)."""
    app.state.console_sessions = Sessions(settings.console_secret)
    app.state.console_throttle = signin.Throttle()
    docs.install(app)
    for module in (
        signin,
        customer,
        routing,
        subaccounts,
        money_pages,
        partner,
        operator,
        operator_accounts,
        operator_jobs,
        events_pages,
        reservations,
        bulk_jobs,
        exports,
        operator_bulk,
    ):
        app.include_router(module.router)
    app.mount(docs.STATIC, StaticFiles(directory=str(HERE / "static")), name="console-static")
