"""Routing rules: where an inbound call to a number goes, and when a DID may move.

Sources: Vobiz numbers spec §4.6-4.10 and §10 rules 7, 9, 11.

- A number routes by SIP trunk (``trunk_group_id``) or by voice application; the trunk wins
  when both are set (a trunk is an explicit SIP hand-off).
- Only an owned, ``active`` number takes calls. Pending release stops calls at once (the
  unrent docs: "the number stops serving calls"); a pending release whose 24 h have passed is
  released even before the lifecycle job runs.
- A DID that took a call within 15 days cannot leave its sub-account (``DID_COOL_OFF``);
  a never-used DID moves at once.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import UTC, datetime

from didstore.domain.lifecycle import NumberState, cool_off_until


class RouteReason(enum.StrEnum):
    """Machine-readable reasons for ``routable: false``."""

    UNOWNED = "unowned"
    PENDING_RELEASE = "pending_release"
    RELEASED = "released"
    UNPAID = "unpaid"  # suspended: the wallet could not cover the renewal
    BLOCKED = "blocked"
    KYC_REQUIRED = "kyc_required"  # needs Aadhaar verification its holder has not completed
    NO_ROUTE = "no_route"


def route_reason(
    state: str,
    cooldown_ends_at: datetime | None,
    trunk_id: str | None,
    application_id: str | None,
    now: datetime,
    kyc_restricted: bool = False,
) -> RouteReason | None:
    """None when the number routes; otherwise why it does not. Ownership and payment come
    first, then regulation (Aadhaar KYC), then whether anything is configured."""
    if state == NumberState.ACTIVE:
        if kyc_restricted:
            return RouteReason.KYC_REQUIRED
        if trunk_id is None and application_id is None:
            return RouteReason.NO_ROUTE
        return None
    if state == NumberState.AVAILABLE:
        return RouteReason.UNOWNED
    if state == NumberState.PENDING_RELEASE:
        if cooldown_ends_at is not None and now >= cooldown_ends_at:
            return RouteReason.RELEASED
        return RouteReason.PENDING_RELEASE
    if state == NumberState.QUARANTINED:
        return RouteReason.RELEASED
    if state == NumberState.SUSPENDED:
        return RouteReason.UNPAID
    return RouteReason.BLOCKED


@dataclass(frozen=True, slots=True)
class CoolOff:
    """A cool-off still running at ``now``."""

    until: datetime
    remaining_seconds: int


def cool_off_at(last_call_at: datetime | None, now: datetime) -> CoolOff | None:
    """The running cool-off, or None when the DID may move (never used, or its last call is
    15 days or more ago). Remaining seconds round up, so a running cool-off never shows 0."""
    until = cool_off_until(last_call_at)
    if until is None or now >= until:
        return None
    return CoolOff(until, math.ceil((until - now).total_seconds()))


def later(current: datetime | None, candidate: datetime) -> datetime:
    """``last_call_at`` only moves forward: late or replayed CDRs never pull it back."""
    return candidate if current is None or candidate > current else current


def rfc3339(value: datetime) -> str:
    """``2026-06-09T10:00:00Z``: the form the cool-off error shows (seconds, UTC, ``Z``)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
