"""The life of a number (docs/design: product.md) and the time rules that govern it.

Internal states and what the compatible API shows for them:

==================  ==================  =========================================
state               wire ``status``     leaves by
==================  ==================  =========================================
available           active (unowned)    purchase
active              active              release, renewal failure, operator block
pending_release     pending_release     cancel-release, or 24 h pass -> quarantined
suspended           suspended           wallet credited, or grace ends -> quarantined
quarantined         released            45 days pass -> available
blocked             blocked             operator unblocks
==================  ==================  =========================================

Every time rule is a pure function of stored timestamps and "now", so a test clock can move
through it and a late job never changes what a customer sees.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta


class NumberState(enum.StrEnum):
    AVAILABLE = "available"
    ACTIVE = "active"
    PENDING_RELEASE = "pending_release"
    SUSPENDED = "suspended"
    QUARANTINED = "quarantined"
    BLOCKED = "blocked"


#: Release is soft: the owner can change their mind for this long (Vobiz unrent docs).
RELEASE_COOLDOWN = timedelta(hours=24)
#: A released number ages this long so its next owner gets no stray calls.
QUARANTINE = timedelta(days=45)
#: A DID that took a call this recently cannot be pulled back from a sub-account.
DID_COOL_OFF = timedelta(days=15)

#: States in which a number belongs to an account and appears in its list.
OWNED_STATES = (
    NumberState.ACTIVE,
    NumberState.PENDING_RELEASE,
    NumberState.SUSPENDED,
    NumberState.BLOCKED,
)

#: Owned and not on the way out: the states in which the owner can change a number (route
#: it, move it between sub-accounts, label it). A pending release must be cancelled first.
HELD_STATES = (NumberState.ACTIVE, NumberState.SUSPENDED, NumberState.BLOCKED)
#: The same, as the values stored in ``numbers.state`` (for queries).
HELD_STATE_VALUES = tuple(s.value for s in HELD_STATES)

_WIRE_STATUS = {
    NumberState.AVAILABLE: "active",
    NumberState.ACTIVE: "active",
    NumberState.PENDING_RELEASE: "pending_release",
    NumberState.SUSPENDED: "suspended",
    NumberState.QUARANTINED: "released",
    NumberState.BLOCKED: "blocked",
}


def wire_status(state: str) -> str:
    return _WIRE_STATUS[NumberState(state)]


def release_cooldown_ends(released_at: datetime) -> datetime:
    return released_at + RELEASE_COOLDOWN


def quarantine_ends(quarantined_from: datetime) -> datetime:
    """When a number that left its owner at ``quarantined_from`` returns to inventory."""
    return quarantined_from + QUARANTINE


def is_release_cancellable(state: str, cooldown_ends_at: datetime | None, now: datetime) -> bool:
    return (
        state == NumberState.PENDING_RELEASE
        and cooldown_ends_at is not None
        and now < cooldown_ends_at
    )


def cool_off_until(last_call_at: datetime | None) -> datetime | None:
    """End of the DID cool-off, or None for a DID that never took a call."""
    if last_call_at is None:
        return None
    return last_call_at + DID_COOL_OFF
