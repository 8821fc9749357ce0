"""``didstore events …`` and ``didstore webhooks …`` over the SDK (docs/events.md).

``--operator`` reads the operator's feed and endpoints (every account; operator token)
instead of the account's.
"""

from __future__ import annotations

from typing import Any

import typer

from didstore.cli.remote import Remote, command, emit, narrate, require_yes

events_app = typer.Typer(help="The event feed (lifecycle events).", no_args_is_help=True)
webhooks_app = typer.Typer(help="Webhook endpoints and their deliveries.", no_args_is_help=True)

Operator = typer.Option(
    False, "--operator", help="The operator's feed or endpoints (every account)."
)
EVENT_COLUMNS = ["id", "type", "created_at", "account_id", "e164"]
HOOK_COLUMNS = ["id", "url", "event_types", "enabled", "failed_deliveries"]
DELIVERY_COLUMNS = ["id", "event_id", "event_type", "status", "attempts", "last_status_code"]


def _who(remote: Remote, operator: bool) -> str | None:
    return None if operator else remote.account


def _hook_row(h: Any) -> list[Any]:
    return [h.id, h.url, ",".join(h.event_types) or "(all)", h.enabled, h.failed_deliveries]


@command(events_app, "list")
def events_list(
    remote: Remote,
    after: int = typer.Option(0, "--after", min=0, help="Only events after this id."),
    types: list[str] = typer.Option([], "--type", "-t", help="Only this type (repeatable)."),
    limit: int = typer.Option(100, "--limit", "-L", min=1, max=1000, help="At most this many."),
    operator: bool = Operator,
) -> None:
    """Events after --after, oldest first; the last line (stderr) says the next --after."""
    page = remote.client.events.list(_who(remote, operator), after=after, types=types, limit=limit)
    rows = [[e.id, e.type, e.created_at, e.account_id, e.data.get("e164", "")] for e in page.events]
    emit(remote, page.to_dict(), rows, EVENT_COLUMNS)
    if not remote.json:
        narrate(f"next: --after {page.next_after}")


@command(webhooks_app, "create")
def webhooks_create(
    remote: Remote,
    url: str = typer.Argument(..., help="Where to POST the events (http or https)."),
    types: list[str] = typer.Option([], "--type", "-t", help="Only this type (repeatable)."),
    operator: bool = Operator,
) -> None:
    """Subscribe a URL; prints its signing secret (shown only now)."""
    h = remote.client.webhooks.create(_who(remote, operator), url, types or None)
    emit(remote, h.to_dict(), [[*_hook_row(h), h.secret]], [*HOOK_COLUMNS, "secret"])


@command(webhooks_app, "list")
def webhooks_list(remote: Remote, operator: bool = Operator) -> None:
    """The endpoints (without their secrets)."""
    hooks = remote.client.webhooks.list(_who(remote, operator))
    emit(remote, [h.to_dict() for h in hooks], [_hook_row(h) for h in hooks], HOOK_COLUMNS)


@command(webhooks_app, "delete")
def webhooks_delete(
    remote: Remote,
    webhook_id: str = typer.Argument(..., help="The endpoint id."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Confirm the deletion."),
    operator: bool = Operator,
) -> None:
    """Delete an endpoint and its delivery log (needs --yes)."""
    require_yes(yes, False, "deleting a webhook endpoint")
    remote.client.webhooks.delete(_who(remote, operator), webhook_id)
    emit(remote, {"deleted": webhook_id}, [[webhook_id, "deleted"]], ["id", "result"])


@command(webhooks_app, "deliveries")
def webhooks_deliveries(
    remote: Remote,
    webhook_id: str = typer.Argument(..., help="The endpoint id."),
    operator: bool = Operator,
) -> None:
    """The endpoint's latest deliveries, newest first (--json: with every attempt)."""
    found = remote.client.webhooks.deliveries(_who(remote, operator), webhook_id)
    rows = [
        [d.id, d.event_id, d.event_type, d.status, d.attempts, d.last_status_code] for d in found
    ]
    emit(remote, [d.to_dict() for d in found], rows, DELIVERY_COLUMNS)


@command(webhooks_app, "rotate-secret")
def webhooks_rotate(
    remote: Remote,
    webhook_id: str = typer.Argument(..., help="The endpoint id."),
    keep_old: int | None = typer.Option(
        None, "--keep-old-seconds", min=0, help="How long the old secret still signs (24 h)."
    ),
    operator: bool = Operator,
) -> None:
    """A new signing secret; prints it (shown only now)."""
    h = remote.client.webhooks.rotate_secret(_who(remote, operator), webhook_id, keep_old)
    emit(
        remote,
        h.to_dict(),
        [[h.id, h.secret, h.previous_secret_expires_at]],
        ["id", "secret", "old_secret_until"],
    )


def add_lock_commands(numbers_app: typer.Typer) -> None:
    """``didstore numbers lock|unlock E164``: the deletion lock."""
    Number = typer.Argument(..., help="The number, in any form (+91…, 91…).")

    @command(numbers_app, "lock")
    def numbers_lock(remote: Remote, e164: str = Number) -> None:
        """Set the deletion lock: release and moves are refused until it is lifted."""
        lock = remote.client.phone_numbers.lock_number(remote.account, e164)
        emit(remote, lock.to_dict(), [[lock.e164, lock.locked, lock.locked_by]], LOCK_COLUMNS)

    @command(numbers_app, "unlock")
    def numbers_unlock(remote: Remote, e164: str = Number) -> None:
        """Lift the deletion lock (one the operator set needs the operator token)."""
        lock = remote.client.phone_numbers.unlock_number(remote.account, e164)
        emit(remote, lock.to_dict(), [[lock.e164, lock.locked, lock.locked_by]], LOCK_COLUMNS)


LOCK_COLUMNS = ["e164", "locked", "locked_by"]
