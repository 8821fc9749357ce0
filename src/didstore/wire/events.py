"""Events as the feed and the webhooks show them."""

from __future__ import annotations

from typing import Any

from didstore.services.event_feed import Event, EventPage
from didstore.wire.format import timestamp


def event(e: Event) -> dict[str, Any]:
    return {
        "id": e.id,
        "type": e.type,
        "created_at": timestamp(e.created_at),
        "account_id": e.account_id,
        "data": e.data,
    }


def page(p: EventPage) -> dict[str, Any]:
    return {"events": [event(e) for e in p.events], "next_after": p.next_after}
