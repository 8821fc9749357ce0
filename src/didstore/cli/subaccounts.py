"""``didstore subaccounts …`` over the SDK: the sub-accounts of a main account (entities spec
§3). A sub-account's numbers are billed to its parent; its token is shown once, at creation.
Deleting needs ``--yes``; the server refuses while the sub-account holds numbers, which
``--dry-run`` reports."""

from __future__ import annotations

import itertools
from typing import Any

import typer

from didstore.cli.remote import Remote, command, emit, guarded_delete, narrate

subaccounts_app = typer.Typer(
    help="Sub-accounts of a main account (their numbers are billed to it).",
    no_args_is_help=True,
)

SubId = typer.Argument(..., help="The sub-account's auth id (SA_…).")
COLUMNS = ["auth_id", "name", "email", "enabled", "created_at"]


def _row(s: Any) -> list[Any]:
    return [s.auth_id, s.name, s.email, s.enabled, s.created_at]


def _enabled(enable: bool | None) -> dict[str, Any]:
    return {} if enable is None else {"enabled": enable}


@command(subaccounts_app, "list")
def subaccounts_list(
    remote: Remote,
    limit: int = typer.Option(100, "--limit", "-L", min=1, help="Show at most this many."),
) -> None:
    """The main account's sub-accounts."""
    items = list(itertools.islice(remote.client.sub_accounts.list(remote.account), limit))
    emit(remote, [s.to_dict() for s in items], [_row(s) for s in items], COLUMNS)


@command(subaccounts_app, "create")
def subaccounts_create(
    remote: Remote,
    name: str = typer.Option(..., "--name", help="A name for people."),
    email: str | None = typer.Option(None, "--email", help="Contact address."),
    enable: bool | None = typer.Option(
        None, "--enabled/--disabled", help="Whether its credentials work (default: enabled)."
    ),
) -> None:
    """Create a sub-account and print its auth id and token (the token is shown only now)."""
    created = remote.client.sub_accounts.create(
        remote.account, name, **({"email": email} if email else {}), **_enabled(enable)
    )
    creds = created.auth_credentials
    auth_id, token = (creds.auth_id, creds.auth_token) if creds else ("", "")
    emit(remote, created.to_dict(), [[auth_id, token]], ["auth_id", "auth_token"])
    narrate("the token is shown only now: store it safely")


@command(subaccounts_app, "show")
def subaccounts_show(remote: Remote, sub_auth_id: str = SubId) -> None:
    """One sub-account, every field (its token is never shown again)."""
    s = remote.client.sub_accounts.get(remote.account, sub_auth_id)
    emit(remote, s.to_dict(), [[k, v] for k, v in s.to_dict().items()], ["field", "value"])


@command(subaccounts_app, "update")
def subaccounts_update(
    remote: Remote,
    sub_auth_id: str = SubId,
    name: str | None = typer.Option(None, "--name", help="New name."),
    email: str | None = typer.Option(None, "--email", help="New contact address."),
    enable: bool | None = typer.Option(
        None, "--enabled/--disabled", help="Turn its credentials on or off."
    ),
) -> None:
    """Change a sub-account (only the options given)."""
    fields = {k: v for k, v in {"name": name, "email": email}.items() if v is not None}
    s = remote.client.sub_accounts.update(remote.account, sub_auth_id, **fields, **_enabled(enable))
    emit(remote, s.to_dict(), [_row(s)], COLUMNS)


@command(subaccounts_app, "delete")
def subaccounts_delete(
    remote: Remote,
    sub_auth_id: str = SubId,
    yes: bool = typer.Option(False, "--yes", "-y", help="Confirm the deletion."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Say what would be deleted and what blocks it; change nothing."
    ),
) -> None:
    """Delete a sub-account (its credentials stop working); refused while it holds numbers."""
    subs = remote.client.sub_accounts
    guarded_delete(
        remote,
        sub_auth_id,
        yes=yes,
        dry_run=dry_run,
        noun="a sub-account",
        fetch=lambda ident: subs.get(remote.account, ident),
        uses=lambda sub, n: n.account_id == sub.auth_id,
        delete=lambda ident: subs.delete(remote.account, ident),
        remedy="move them back first (numbers move NUMBER --to parent)",
    )
