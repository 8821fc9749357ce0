"""Plumbing for the commands that talk to a server through the SDK (local or remote).

Global options ``--url``, ``--auth-id``, ``--auth-token`` and ``--account`` work before the
noun (``didstore --url … numbers list``) or after the verb, each with an env var
(``DIDSTORE_URL``, ``DIDSTORE_AUTH_ID``, ``DIDSTORE_AUTH_TOKEN``, ``DIDSTORE_ACCOUNT``).
Without an auth id the token is sent as ``Authorization: Bearer`` (the operator token),
and ``--account`` names the account to act on. Output manners (clig.dev): results on
stdout, narration on stderr, ``--json`` on every command, tables and colour only on a TTY.
"""

from __future__ import annotations

import functools
import inspect
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from didstore.client import Client, DidstoreError, PhoneNumber
from didstore.client.errors import APIConnectionError, APIError
from didstore.client.models import Model

M = TypeVar("M", bound=Model)

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

GLOBAL_OPTIONS = {
    "url": typer.Option(None, "--url", envvar="DIDSTORE_URL", help="Server base URL."),
    "auth_id": typer.Option(None, "--auth-id", envvar="DIDSTORE_AUTH_ID", help="MA_/SA_/PA_ id."),
    "auth_token": typer.Option(
        None, "--auth-token", envvar="DIDSTORE_AUTH_TOKEN", help="Account or operator token."
    ),
    "account": typer.Option(
        None,
        "--account",
        envvar="DIDSTORE_ACCOUNT",
        help="Account to act on (default: --auth-id; needed with the operator token).",
    ),
}
JSON_OPTION = typer.Option(False, "--json", help="Print stable, machine-readable JSON.")


def root_callback(
    ctx: typer.Context,
    url: str | None = GLOBAL_OPTIONS["url"],
    auth_id: str | None = GLOBAL_OPTIONS["auth_id"],
    auth_token: str | None = GLOBAL_OPTIONS["auth_token"],
    account: str | None = GLOBAL_OPTIONS["account"],
) -> None:
    """didstore: DID inventory, provisioning and rental billing."""
    ctx.obj = {"url": url, "auth_id": auth_id, "auth_token": auth_token, "account": account}


@dataclass
class Remote:
    """What a resource command needs: the SDK client, the account and the output mode."""

    url: str | None
    auth_id: str | None
    auth_token: str | None
    account_option: str | None
    json: bool
    _client: Client | None = field(default=None, repr=False)

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = Client(self.auth_id, self.auth_token, base_url=self.url)
        return self._client

    @property
    def account(self) -> str:
        account = self.account_option or self.auth_id
        if not account:
            err.print("error: give --auth-id (DIDSTORE_AUTH_ID) or --account (DIDSTORE_ACCOUNT)")
            raise typer.Exit(2)
        return account

    @property
    def tty(self) -> bool:
        return out.is_terminal and not self.json


def command(group: typer.Typer, name: str, **kwargs: Any) -> Callable[..., Any]:
    """Register ``func(remote: Remote, ...)`` as ``name`` with the global options and
    ``--json`` appended, and SDK errors turned into a message and exit code 1."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(func)
        own = [p for p in signature.parameters.values() if p.name != "remote"]
        extra = [
            inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context),
            *[
                inspect.Parameter(
                    f"g_{key}", inspect.Parameter.KEYWORD_ONLY, default=opt, annotation=str | None
                )
                for key, opt in GLOBAL_OPTIONS.items()
            ],
            inspect.Parameter(
                "json_out", inspect.Parameter.KEYWORD_ONLY, default=JSON_OPTION, annotation=bool
            ),
        ]
        kw_own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own]

        @functools.wraps(func)
        def wrapper(**values: Any) -> Any:
            ctx: typer.Context = values.pop("ctx")
            root = (ctx.find_root().obj or {}) if ctx else {}
            picked = {k: values.pop(f"g_{k}") or root.get(k) for k in GLOBAL_OPTIONS}
            remote = Remote(
                picked["url"],
                picked["auth_id"],
                picked["auth_token"],
                picked["account"],
                values.pop("json_out"),
            )
            try:
                return func(remote, **values)
            except DidstoreError as exc:
                report_error(remote, exc)
                raise typer.Exit(1) from exc
            finally:
                if remote._client is not None:
                    remote._client.close()

        wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[*kw_own, *extra]
        )
        group.command(name, **kwargs)(wrapper)
        return func

    return decorate


def error_dict(exc: Exception) -> dict[str, Any]:
    if isinstance(exc, APIError):
        return {"status": exc.status, "code": exc.code, "message": exc.message}
    if isinstance(exc, APIConnectionError):
        return {"status": None, "code": "connection_error", "message": exc.message}
    return {"status": None, "code": "invalid_number", "message": str(exc)}


def report_error(remote: Remote, exc: Exception) -> None:
    detail = error_dict(exc)
    if remote.json:
        emit_json({"error": detail})
    err.print(f"[red]error:[/red] {detail['message']} ({detail['code']})", soft_wrap=True)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def emit(
    remote: Remote,
    data: Any,
    rows: Sequence[Sequence[Any]] = (),
    columns: Sequence[str] = (),
    title: str | None = None,
) -> None:
    """``--json``: ``data``; a TTY: a table; a pipe: tab-separated rows, no header."""
    if remote.json:
        emit_json(data)
        return
    if remote.tty:
        table = Table(title=title, show_edge=False, header_style="bold")
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*["" if v is None else str(v) for v in row])
        out.print(table)
        return
    for row in rows:
        sys.stdout.write("\t".join("" if v is None else str(v) for v in row) + "\n")


def narrate(message: str) -> None:
    """Progress and hints for humans: stderr, so stdout stays parseable."""
    err.print(message, markup=False, soft_wrap=True)


def require_yes(yes: bool, dry_run: bool, action: str) -> None:
    """Billable or destructive commands run only with ``--yes`` (or ``--dry-run``)."""
    if not yes and not dry_run:
        err.print(f"error: {action} needs --yes (or --dry-run to see what would happen)")
        raise typer.Exit(2)


def owned_numbers(remote: Remote, keep: Callable[[PhoneNumber], bool]) -> list[str]:
    """The account's numbers (its sub-accounts' included) for which ``keep`` is true, read
    from the owned-number list, page by page."""
    pager = remote.client.phone_numbers.list_numbers(remote.account, per_page=100)
    return [n.e164 for n in pager if keep(n)]


def guarded_delete(
    remote: Remote,
    ident: str,
    *,
    yes: bool,
    dry_run: bool,
    noun: str,
    fetch: Callable[[str], M],
    uses: Callable[[M, PhoneNumber], bool],
    delete: Callable[[str], object],
    remedy: str,
) -> None:
    """``delete`` of a trunk, an application or a sub-account: it needs ``--yes``. The server
    refuses to delete one that numbers still use, so ``--dry-run`` says what would be deleted
    and whether it is in use (then "refuse", exit code 1, as the real delete would fail)."""
    require_yes(yes, dry_run, f"deleting {noun}")
    what = f"{noun.split(' ', 1)[-1]} {ident}"
    if not dry_run:
        delete(ident)
        emit(remote, {"deleted": ident}, [[ident, "deleted"]], ["id", "result"])
        narrate(f"deleted {what}")
        return
    record = fetch(ident)
    holders = owned_numbers(remote, lambda n: uses(record, n))
    would = (
        f"refuse: {what} is in use by {len(holders)} number(s); {remedy}"
        if holders
        else f"delete {what}"
    )
    data = {
        "dry_run": True,
        "would": would,
        "in_use": bool(holders),
        "numbers": holders,
        "would_delete": record.to_dict(),
    }
    emit(remote, data, [["would", would], *[["in use by", n] for n in holders]], ["", ""])
    narrate(f"dry run: nothing changed ({'in use' if holders else 'not in use'})")
    if holders:
        raise typer.Exit(1)
