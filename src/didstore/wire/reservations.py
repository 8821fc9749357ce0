"""The JSON shapes of reservations (issue 13 item 3, ADR 0022)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from didstore.services.reservations import Reservation, ReservationPurchase
from didstore.wire.format import fee, timestamp
from didstore.wire.numbers import owned_number, page


def reservation(r: Reservation) -> dict[str, Any]:
    """``{id, account_id, status, created_at, expires_at, numbers: [{e164, status}]}``; a
    number's status is ``held`` while the reservation is active."""
    return {
        "id": r.id,
        "account_id": r.account_id,
        "status": r.status,
        "created_at": timestamp(r.created_at),
        "expires_at": timestamp(r.expires_at),
        "numbers": [{"e164": n.e164, "status": n.status} for n in r.numbers],
    }


def reservation_purchase(p: ReservationPurchase) -> dict[str, Any]:
    """The reservation (now ``purchased``), the numbers bought (as ``GET …/numbers/{e164}``
    shows them) and what was charged per currency."""
    charged: dict[str, int] = {}
    for bought in p.purchases:
        code = bought.number.currency
        charged[code] = charged.get(code, 0) + bought.charged_minor
    return {
        **reservation(p.reservation),
        "purchased": [owned_number(b.number) for b in p.purchases],
        "charged": [{"currency": c, "amount": fee(m, c)} for c, m in sorted(charged.items())],
    }


def reservation_page(
    items: Sequence[Reservation], page_no: int, per_page: int, total: int
) -> dict[str, Any]:
    """``{items, page, per_page, total}``, as the owned-number list."""
    return page([reservation(r) for r in items], page_no, per_page, total)
