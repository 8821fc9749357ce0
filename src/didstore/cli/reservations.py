"""``didstore numbers reserve …`` and ``didstore reservations …`` over the SDK (ADR 0022):
hold available numbers, then buy, extend or cancel the hold."""

from __future__ import annotations

from typing import Any

import typer

from didstore.cli.remote import Remote, command, emit, require_yes

reservations_app = typer.Typer(
    help="Number reservations (holds): list, show, extend, cancel, purchase.",
    no_args_is_help=True,
)
COLUMNS = ["id", "status", "expires_at", "numbers"]
ReservationId = typer.Argument(..., help="The reservation id.")


def _row(r: Any) -> list[Any]:
    return [r.id, r.status, r.expires_at, " ".join(f"{n.e164}:{n.status}" for n in r.numbers)]


def add_reserve_command(numbers_app: typer.Typer) -> None:
    """``didstore numbers reserve E164 …``."""

    @command(numbers_app, "reserve")
    def numbers_reserve(
        remote: Remote,
        numbers: list[str] = typer.Argument(..., help="Numbers to hold (any spelling)."),
        ttl: int | None = typer.Option(
            None, "--ttl", min=1, help="Seconds to hold them (default 900)."
        ),
    ) -> None:
        """Hold available numbers (all or none); nobody else can buy them until the hold is
        bought, cancelled or expires. No money moves."""
        r = remote.client.phone_numbers.reserve_numbers(remote.account, numbers, ttl)
        emit(remote, r.to_dict(), [_row(r)], COLUMNS)


@command(reservations_app, "list")
def reservations_list(
    remote: Remote,
    status: str | None = typer.Option(
        None, "--status", help="Only active, expired, cancelled or purchased ones."
    ),
) -> None:
    """The account's reservations, newest first."""
    found = list(remote.client.phone_numbers.list_reservations(remote.account, status=status))
    emit(remote, [r.to_dict() for r in found], [_row(r) for r in found], COLUMNS)


@command(reservations_app, "show")
def reservations_show(remote: Remote, reservation_id: str = ReservationId) -> None:
    """One reservation and what became of each of its numbers."""
    r = remote.client.phone_numbers.get_reservation(remote.account, reservation_id)
    emit(remote, r.to_dict(), [_row(r)], COLUMNS)


@command(reservations_app, "extend")
def reservations_extend(
    remote: Remote,
    reservation_id: str = ReservationId,
    ttl: int = typer.Option(..., "--ttl", min=1, help="Hold until this many seconds from now."),
) -> None:
    """Hold the numbers longer."""
    r = remote.client.phone_numbers.extend_reservation(remote.account, reservation_id, ttl)
    emit(remote, r.to_dict(), [_row(r)], COLUMNS)


@command(reservations_app, "cancel")
def reservations_cancel(remote: Remote, reservation_id: str = ReservationId) -> None:
    """Give the numbers back at once."""
    r = remote.client.phone_numbers.cancel_reservation(remote.account, reservation_id)
    emit(remote, r.to_dict(), [_row(r)], COLUMNS)


@command(reservations_app, "purchase")
def reservations_purchase(
    remote: Remote,
    reservation_id: str = ReservationId,
    yes: bool = typer.Option(False, "--yes", "-y", help="Confirm the purchase (it debits)."),
) -> None:
    """Buy every number the reservation holds, all or none (needs --yes)."""
    require_yes(yes, False, "buying a reservation")
    done = remote.client.phone_numbers.purchase_reservation(remote.account, reservation_id)
    charged = ", ".join(f"{c['amount']} {c['currency']}" for c in done.charged)
    rows = [[n.e164, n.status, n.next_billing_date] for n in done.purchased]
    emit(remote, done.to_dict(), rows, ["e164", "status", "next_billing_date"], charged or None)
