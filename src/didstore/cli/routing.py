"""``didstore trunks …`` and ``didstore applications …`` over the SDK (entities spec §1-2)."""

from __future__ import annotations

import itertools
from typing import Any

import typer

from didstore.cli.remote import Remote, command, emit, err, narrate

trunks_app = typer.Typer(
    help="SIP trunks (a trunk id is a number's trunk_group_id).", no_args_is_help=True
)
applications_app = typer.Typer(help="Voice applications.", no_args_is_help=True)

Yes = typer.Option(False, "--yes", "-y", help="Confirm the deletion.")
DryRun = typer.Option(False, "--dry-run", help="Show what would be deleted; change nothing.")
TRUNK_COLUMNS = ["trunk_id", "name", "status", "direction", "transport", "domain"]
APP_COLUMNS = ["app_id", "name", "answer_url", "method"]


def _fields(pairs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in pairs.items() if v is not None}


def _trunk_row(t: Any) -> list[Any]:
    return [t.trunk_id, t.name, t.trunk_status, t.trunk_direction, t.transport, t.trunk_domain]


@command(trunks_app, "list")
def trunks_list(remote: Remote, limit: int = typer.Option(100, "--limit", "-L", min=1)) -> None:
    items = list(itertools.islice(remote.client.trunks.list(remote.account), limit))
    emit(remote, [t.to_dict() for t in items], [_trunk_row(t) for t in items], TRUNK_COLUMNS)


@command(trunks_app, "show")
def trunks_show(remote: Remote, trunk_id: str = typer.Argument(...)) -> None:
    t = remote.client.trunks.get(remote.account, trunk_id)
    emit(remote, t.to_dict(), [[k, v] for k, v in t.to_dict().items()], ["field", "value"])


@command(trunks_app, "create")
def trunks_create(
    remote: Remote,
    name: str = typer.Option(..., "--name"),
    direction: str | None = typer.Option(None, "--direction", help="inbound or outbound"),
    transport: str | None = typer.Option(None, "--transport", help="udp, tcp or tls"),
    description: str | None = typer.Option(None, "--description"),
) -> None:
    t = remote.client.trunks.create(
        remote.account,
        name,
        **_fields(
            {"trunk_direction": direction, "transport": transport, "description": description}
        ),
    )
    emit(remote, t.to_dict(), [_trunk_row(t)], TRUNK_COLUMNS)


@command(trunks_app, "update")
def trunks_update(
    remote: Remote,
    trunk_id: str = typer.Argument(...),
    name: str | None = typer.Option(None, "--name"),
    status: str | None = typer.Option(None, "--status", help="enabled or disabled"),
    transport: str | None = typer.Option(None, "--transport"),
    description: str | None = typer.Option(None, "--description"),
) -> None:
    fields = _fields(
        {"name": name, "trunk_status": status, "transport": transport, "description": description}
    )
    t = remote.client.trunks.update(remote.account, trunk_id, **fields)
    emit(remote, t.to_dict(), [_trunk_row(t)], TRUNK_COLUMNS)


@command(trunks_app, "delete")
def trunks_delete(
    remote: Remote, trunk_id: str = typer.Argument(...), yes: bool = Yes, dry_run: bool = DryRun
) -> None:
    """Delete a trunk (its credentials, IP ACLs and URIs go with it)."""
    if dry_run:
        t = remote.client.trunks.get(remote.account, trunk_id)
        emit(remote, {"dry_run": True, "would_delete": t.to_dict()}, [_trunk_row(t)], TRUNK_COLUMNS)
        return
    if not yes:
        err.print("error: deleting a trunk needs --yes (or --dry-run)")
        raise typer.Exit(2)
    remote.client.trunks.delete(remote.account, trunk_id)
    emit(remote, {"deleted": trunk_id}, [[trunk_id, "deleted"]], ["trunk_id", "result"])
    narrate(f"deleted trunk {trunk_id}")


def _app_row(a: Any) -> list[Any]:
    return [a.app_id, a.app_name, a.answer_url, a.answer_method]


@command(applications_app, "list")
def applications_list(
    remote: Remote, limit: int = typer.Option(100, "--limit", "-L", min=1)
) -> None:
    items = list(itertools.islice(remote.client.applications.list(remote.account), limit))
    emit(remote, [a.to_dict() for a in items], [_app_row(a) for a in items], APP_COLUMNS)


@command(applications_app, "show")
def applications_show(remote: Remote, app_id: str = typer.Argument(...)) -> None:
    a = remote.client.applications.get(remote.account, app_id)
    emit(remote, a.to_dict(), [[k, v] for k, v in a.to_dict().items()], ["field", "value"])


@command(applications_app, "create")
def applications_create(
    remote: Remote,
    name: str = typer.Option(..., "--name"),
    answer_url: str = typer.Option(..., "--answer-url"),
    answer_method: str = typer.Option("POST", "--answer-method"),
    hangup_url: str | None = typer.Option(None, "--hangup-url"),
    default: bool | None = typer.Option(
        None, "--default/--not-default", help="Attach new numbers to this app."
    ),
) -> None:
    r = remote.client.applications.create(
        remote.account,
        name,
        answer_url,
        answer_method,
        **_fields({"hangup_url": hangup_url, "default_number_app": default}),
    )
    emit(remote, r.to_dict(), [[r.app_id, r.message]], ["app_id", "message"])


@command(applications_app, "update")
def applications_update(
    remote: Remote,
    app_id: str = typer.Argument(...),
    name: str | None = typer.Option(None, "--name"),
    answer_url: str | None = typer.Option(None, "--answer-url"),
    default: bool | None = typer.Option(None, "--default/--not-default"),
) -> None:
    fields = _fields({"app_name": name, "answer_url": answer_url, "default_number_app": default})
    r = remote.client.applications.update(remote.account, app_id, **fields)
    emit(remote, r.to_dict(), [[app_id, r.message]], ["app_id", "message"])


@command(applications_app, "delete")
def applications_delete(
    remote: Remote, app_id: str = typer.Argument(...), yes: bool = Yes, dry_run: bool = DryRun
) -> None:
    """Delete an application (refused while numbers are attached)."""
    if dry_run:
        a = remote.client.applications.get(remote.account, app_id)
        emit(remote, {"dry_run": True, "would_delete": a.to_dict()}, [_app_row(a)], APP_COLUMNS)
        return
    if not yes:
        err.print("error: deleting an application needs --yes (or --dry-run)")
        raise typer.Exit(2)
    remote.client.applications.delete(remote.account, app_id)
    emit(remote, {"deleted": app_id}, [[app_id, "deleted"]], ["app_id", "result"])
