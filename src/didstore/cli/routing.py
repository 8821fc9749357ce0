"""``didstore trunks …`` and ``didstore applications …`` over the SDK (entities spec §1-2).

Deleting either needs ``--yes``; ``--dry-run`` says what would be deleted and whether numbers
still use it (the server refuses to delete a trunk or an application in use: exit code 1).
"""

from __future__ import annotations

import itertools
from typing import Any

import typer

from didstore.cli.remote import Remote, command, emit, guarded_delete

trunks_app = typer.Typer(
    help="SIP trunks (a trunk id is a number's trunk_group_id).", no_args_is_help=True
)
applications_app = typer.Typer(
    help="Voice applications (an app id is a number's application_id).", no_args_is_help=True
)

Yes = typer.Option(False, "--yes", "-y", help="Confirm the deletion.")
DryRun = typer.Option(
    False, "--dry-run", help="Say what would be deleted and whether it is in use; change nothing."
)
ListLimit = typer.Option(100, "--limit", "-L", min=1, help="Show at most this many.")
TrunkId = typer.Argument(..., help="The trunk id (trunk_id).")
AppId = typer.Argument(..., help="The application id (app_id).")
TRUNK_COLUMNS = ["trunk_id", "name", "status", "direction", "transport", "domain"]
APP_COLUMNS = ["app_id", "name", "answer_url", "method"]


def _fields(pairs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in pairs.items() if v is not None}


def _trunk_row(t: Any) -> list[Any]:
    return [t.trunk_id, t.name, t.trunk_status, t.trunk_direction, t.transport, t.trunk_domain]


def _fields_rows(record: dict[str, Any]) -> list[list[Any]]:
    return [[k, v] for k, v in record.items()]


@command(trunks_app, "list")
def trunks_list(remote: Remote, limit: int = ListLimit) -> None:
    """The account's trunks."""
    items = list(itertools.islice(remote.client.trunks.list(remote.account), limit))
    emit(remote, [t.to_dict() for t in items], [_trunk_row(t) for t in items], TRUNK_COLUMNS)


@command(trunks_app, "show")
def trunks_show(remote: Remote, trunk_id: str = TrunkId) -> None:
    """One trunk, every field."""
    t = remote.client.trunks.get(remote.account, trunk_id)
    emit(remote, t.to_dict(), _fields_rows(t.to_dict()), ["field", "value"])


@command(trunks_app, "create")
def trunks_create(
    remote: Remote,
    name: str = typer.Option(..., "--name", help="A name for people."),
    direction: str | None = typer.Option(None, "--direction", help="inbound or outbound."),
    transport: str | None = typer.Option(None, "--transport", help="udp, tcp or tls."),
    description: str | None = typer.Option(None, "--description", help="Free text."),
) -> None:
    """Create a trunk; its id is what `numbers assign --trunk` takes."""
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
    trunk_id: str = TrunkId,
    name: str | None = typer.Option(None, "--name", help="New name."),
    status: str | None = typer.Option(None, "--status", help="enabled or disabled."),
    transport: str | None = typer.Option(None, "--transport", help="udp, tcp or tls."),
    description: str | None = typer.Option(None, "--description", help="Free text."),
) -> None:
    """Change a trunk (only the options given)."""
    fields = _fields(
        {"name": name, "trunk_status": status, "transport": transport, "description": description}
    )
    t = remote.client.trunks.update(remote.account, trunk_id, **fields)
    emit(remote, t.to_dict(), [_trunk_row(t)], TRUNK_COLUMNS)


@command(trunks_app, "delete")
def trunks_delete(
    remote: Remote, trunk_id: str = TrunkId, yes: bool = Yes, dry_run: bool = DryRun
) -> None:
    """Delete a trunk (its credentials, IP ACLs and URIs go with it); refused while numbers
    are assigned to it."""
    trunks = remote.client.trunks
    guarded_delete(
        remote,
        trunk_id,
        yes=yes,
        dry_run=dry_run,
        noun="a trunk",
        fetch=lambda ident: trunks.get(remote.account, ident),
        uses=lambda trunk, n: n.trunk_group_id == trunk.trunk_id,
        delete=lambda ident: trunks.delete(remote.account, ident),
        remedy="unassign them first (numbers unassign NUMBER --trunk)",
    )


def _app_row(a: Any) -> list[Any]:
    return [a.app_id, a.app_name, a.answer_url, a.answer_method]


@command(applications_app, "list")
def applications_list(remote: Remote, limit: int = ListLimit) -> None:
    """The account's voice applications."""
    items = list(itertools.islice(remote.client.applications.list(remote.account), limit))
    emit(remote, [a.to_dict() for a in items], [_app_row(a) for a in items], APP_COLUMNS)


@command(applications_app, "show")
def applications_show(remote: Remote, app_id: str = AppId) -> None:
    """One application, every field."""
    a = remote.client.applications.get(remote.account, app_id)
    emit(remote, a.to_dict(), _fields_rows(a.to_dict()), ["field", "value"])


@command(applications_app, "create")
def applications_create(
    remote: Remote,
    name: str = typer.Option(..., "--name", help="A name for people."),
    answer_url: str = typer.Option(..., "--answer-url", help="Called when a call comes in."),
    answer_method: str = typer.Option("POST", "--answer-method", help="GET or POST."),
    hangup_url: str | None = typer.Option(None, "--hangup-url", help="Called at hang-up."),
    default: bool | None = typer.Option(
        None, "--default/--not-default", help="Attach new numbers to this app."
    ),
) -> None:
    """Create a voice application; its id is what `numbers assign --application` takes."""
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
    app_id: str = AppId,
    name: str | None = typer.Option(None, "--name", help="New name."),
    answer_url: str | None = typer.Option(None, "--answer-url", help="New answer URL."),
    default: bool | None = typer.Option(
        None, "--default/--not-default", help="Attach new numbers to this app, or stop."
    ),
) -> None:
    """Change an application (only the options given)."""
    fields = _fields({"app_name": name, "answer_url": answer_url, "default_number_app": default})
    r = remote.client.applications.update(remote.account, app_id, **fields)
    emit(remote, r.to_dict(), [[app_id, r.message]], ["app_id", "message"])


@command(applications_app, "delete")
def applications_delete(
    remote: Remote, app_id: str = AppId, yes: bool = Yes, dry_run: bool = DryRun
) -> None:
    """Delete an application; refused while numbers are attached to it."""
    apps = remote.client.applications
    guarded_delete(
        remote,
        app_id,
        yes=yes,
        dry_run=dry_run,
        noun="an application",
        fetch=lambda ident: apps.get(remote.account, ident),
        uses=lambda app, n: n.application_id == app.app_id,
        delete=lambda ident: apps.delete(remote.account, ident),
        remedy="detach them first (numbers unassign NUMBER --application)",
    )
