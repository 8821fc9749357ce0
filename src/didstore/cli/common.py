"""Shared CLI plumbing: output conventions (results to stdout, narration to stderr, --json)."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from didstore.domain.errors import DomainError

if TYPE_CHECKING:  # the server stack is imported by the operator commands only (start-up time)
    from didstore.api.state import AppState

out = Console()
err = Console(stderr=True)

DatabaseUrl = typer.Option(
    None,
    "--database-url",
    envvar="DIDSTORE_DATABASE_URL",
    help="sqlite:///file or postgresql://user@host/db (default: ./didstore.sqlite3)",
)
JsonFlag = typer.Option(False, "--json", help="Print machine-readable JSON.")


def open_state(database_url: str | None) -> AppState:
    """In-process services for operator commands (migrations applied first)."""
    from didstore.api.state import AppState
    from didstore.clock import SystemClock
    from didstore.config import Settings
    from didstore.db.engine import Database, default_database_url, make_engine
    from didstore.db.migrate import upgrade

    settings = Settings(database_url=database_url or default_database_url())
    db = Database(make_engine(settings.database_url, pool_size=2))
    upgrade(db.engine)
    return AppState.build(settings, SystemClock(), db)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def fail(exc: DomainError) -> typer.Exit:
    err.print(f"[red]error:[/red] {exc.message}")
    return typer.Exit(code=1)
