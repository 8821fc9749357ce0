"""Shared CLI plumbing: output conventions (results to stdout, narration to stderr, --json)."""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console

from didstore.domain.errors import DomainError

if TYPE_CHECKING:  # the server stack is imported by the operator commands only (start-up time)
    from didstore.bootstrap import Services
    from didstore.config import Settings

T = TypeVar("T")

out = Console()
err = Console(stderr=True)

DatabaseUrl = typer.Option(
    None,
    "--database-url",
    envvar="DIDSTORE_DATABASE_URL",
    help="sqlite:///file or postgresql://user@host/db (default: ./didstore.sqlite3)",
)
JsonFlag = typer.Option(False, "--json", help="Print machine-readable JSON.")


def in_process(
    database_url: str | None, work: Callable[[Services], Awaitable[T]], **settings: Any
) -> T:
    """Run ``work`` on in-process services for an operator command (migrations first)."""
    from didstore.bootstrap import run
    from didstore.db.engine import default_database_url
    from didstore.db.migrate import migrate

    config = load_settings(database_url=database_url or default_database_url(), **settings)
    migrate(config.database_url)
    return run(config, work)


def load_settings(**fields: Any) -> Settings:
    """``Settings(**fields)``, the rest read from ``DIDSTORE_*`` variables; a malformed
    variable stops the command with one line naming it (exit code 2), not a traceback."""
    from didstore.config import Settings, SettingsError

    try:
        return Settings(**fields)
    except SettingsError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(code=2) from None


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def fail(exc: DomainError) -> typer.Exit:
    err.print(f"[red]error:[/red] {exc.message}")
    return typer.Exit(code=1)
