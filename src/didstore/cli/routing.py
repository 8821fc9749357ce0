"""Operator CLI for routing: ``didstore trunks ...`` and ``didstore numbers
assign|unassign|move ...``. Commands run in-process on the database, as the operator (so a
move may be ``--force``d past the DID cool-off, and the audit log says so)."""

from __future__ import annotations

from typing import Any

import typer
from sqlalchemy import select

from didstore.api import routing_wire as rw
from didstore.cli.common import DatabaseUrl, JsonFlag, emit_json, err, fail, open_state, out
from didstore.db.tables import accounts, numbers
from didstore.domain.e164 import from_body
from didstore.domain.errors import DomainError, NotFound
from didstore.services.models import CLI

trunks_app = typer.Typer(help="SIP trunks of an account (operator).", no_args_is_help=True)
numbers_app = typer.Typer(help="Route and move owned numbers (operator).", no_args_is_help=True)

Account = typer.Option(..., "--account", help="MA_... or SA_... that owns the trunk")


@trunks_app.command("list")
def trunks_list(
    account: str = Account, database_url: str | None = DatabaseUrl, json_out: bool = JsonFlag
) -> None:
    """List an account's trunks."""
    state = open_state(database_url)
    try:
        page = state.trunks.list(state.accounts.get(account), limit=100, offset=0)
    except DomainError as exc:
        raise fail(exc) from exc
    items = [rw.trunk(t) for t in page.items]
    if json_out:
        emit_json({"total": page.total, "objects": items})
        return
    for t in items:
        out.print(f"{t['trunk_id']}\t{t['name']}\t{t['trunk_status']}\t{t['trunk_domain']}")
    err.print(f"{page.total} trunk(s)")


@trunks_app.command("create")
def trunks_create(
    account: str = Account,
    name: str = typer.Option(..., "--name"),
    direction: str = typer.Option("inbound", "--direction", help="inbound or outbound"),
    transport: str = typer.Option("udp", "--transport", help="udp, tcp or tls"),
    database_url: str | None = DatabaseUrl,
    json_out: bool = JsonFlag,
) -> None:
    """Create a trunk and print its id."""
    state = open_state(database_url)
    body: dict[str, Any] = {"name": name, "trunk_direction": direction, "transport": transport}
    try:
        record = state.trunks.create(CLI, state.accounts.get(account), body)
    except DomainError as exc:
        raise fail(exc) from exc
    if json_out:
        emit_json(rw.trunk(record))
    else:
        out.print(record["id"])


@trunks_app.command("delete")
def trunks_delete(
    trunk_id: str = typer.Argument(...),
    account: str = Account,
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
    database_url: str | None = DatabaseUrl,
) -> None:
    """Delete a trunk (refused while numbers are assigned to it)."""
    if not yes:
        typer.confirm(f"delete trunk {trunk_id}?", abort=True, err=True)
    state = open_state(database_url)
    try:
        state.trunks.delete(CLI, state.accounts.get(account), trunk_id)
    except DomainError as exc:
        raise fail(exc) from exc
    err.print(f"deleted trunk {trunk_id}")


def _owner_scope(state: Any, e164: str) -> tuple[Any, Any]:
    """The number and the main account that pays for it (the operator acts on its behalf)."""
    number = from_body(e164)
    owner = state.accounts.get(_payer_auth_id(state, number.value))
    return number, owner


def _payer_auth_id(state: Any, e164: str) -> str:
    with state.db.read() as conn:
        found = conn.execute(
            select(accounts.c.auth_id)
            .join(numbers, numbers.c.billing_account_id == accounts.c.id)
            .where(numbers.c.e164 == e164)
        ).scalar()
    if found is None:
        raise NotFound(f"{e164} is not owned by any account")
    return str(found)


@numbers_app.command("assign")
def numbers_assign(
    e164: str = typer.Argument(..., help="+E.164"),
    trunk: str | None = typer.Option(None, "--trunk", help="trunk_group_id"),
    app_id: str | None = typer.Option(None, "--app", help="application id"),
    database_url: str | None = DatabaseUrl,
) -> None:
    """Route a number to a trunk (``--trunk``) or an application (``--app``)."""
    if (trunk is None) == (app_id is None):
        err.print("[red]error:[/red] give exactly one of --trunk or --app")
        raise typer.Exit(code=2)
    state = open_state(database_url)
    try:
        number, payer = _owner_scope(state, e164)
        if trunk is not None:
            state.routing.assign_trunk(CLI, payer, number, trunk)
        else:
            state.routing.attach_application(CLI, payer, number, app_id)
    except DomainError as exc:
        raise fail(exc) from exc
    target = f"trunk {trunk}" if trunk else f"application {app_id}"
    out.print(f"{number.value} -> {target}")


@numbers_app.command("unassign")
def numbers_unassign(
    e164: str = typer.Argument(..., help="+E.164"),
    app: bool = typer.Option(False, "--app", help="Detach the application instead of the trunk."),
    database_url: str | None = DatabaseUrl,
) -> None:
    """Take a number off its trunk (or, with ``--app``, its application)."""
    state = open_state(database_url)
    try:
        number, payer = _owner_scope(state, e164)
        if app:
            state.routing.detach_application(CLI, payer, number)
        else:
            state.routing.unassign_trunk(CLI, payer, number)
    except DomainError as exc:
        raise fail(exc) from exc
    out.print(f"{number.value}: {'application detached' if app else 'trunk unassigned'}")


@numbers_app.command("move")
def numbers_move(
    e164: str = typer.Argument(..., help="+E.164"),
    to: str = typer.Option(..., "--to", help="SA_... (to a sub-account) or 'parent'"),
    force: bool = typer.Option(
        False, "--force", help="Override the 15-day DID cool-off (recorded in the audit log)."
    ),
    database_url: str | None = DatabaseUrl,
) -> None:
    """Move a number between a main account and its sub-accounts."""
    state = open_state(database_url)
    try:
        number, payer = _owner_scope(state, e164)
        if to.lower() == "parent":
            state.moves.unassign(CLI, payer, number, force=force)
        else:
            state.moves.assign(CLI, payer, number, to)
    except DomainError as exc:
        if exc.extra.get("cool_off_until"):
            err.print(
                f"[red]error:[/red] DID cool-off until {exc.extra['cool_off_until']}"
                " (use --force to override)"
            )
            raise typer.Exit(code=1) from exc
        raise fail(exc) from exc
    out.print(f"{number.value} -> {payer.auth_id if to.lower() == 'parent' else to}")
