"""domain/routing.py: why a number does not route, the DID cool-off, forward-only call times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from didstore.domain.lifecycle import NumberState
from didstore.domain.routing import RouteReason, cool_off_at, later, rfc3339, route_reason

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_an_active_number_with_a_trunk_or_an_application_routes() -> None:
    assert route_reason("active", None, "trunk-1", None, NOW) is None
    assert route_reason("active", None, None, "12345678901234567", NOW) is None


def test_an_active_number_with_nothing_configured_has_no_route() -> None:
    assert route_reason("active", None, None, None, NOW) is RouteReason.NO_ROUTE


def test_kyc_comes_before_configuration() -> None:
    assert route_reason("active", None, None, None, NOW, kyc_restricted=True) is (
        RouteReason.KYC_REQUIRED
    )
    assert route_reason("active", None, "t", None, NOW, kyc_restricted=True) is (
        RouteReason.KYC_REQUIRED
    )


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        (NumberState.AVAILABLE, RouteReason.UNOWNED),
        (NumberState.QUARANTINED, RouteReason.RELEASED),
        (NumberState.SUSPENDED, RouteReason.UNPAID),
        (NumberState.BLOCKED, RouteReason.BLOCKED),
    ],
)
def test_states_that_never_route_say_why(state: NumberState, reason: RouteReason) -> None:
    assert route_reason(state, None, "t", "a", NOW) is reason


def test_a_pending_release_stops_calls_and_reads_as_released_once_its_24h_passed() -> None:
    later_end = NOW + timedelta(hours=1)
    assert route_reason("pending_release", later_end, "t", None, NOW) is (
        RouteReason.PENDING_RELEASE
    )
    assert route_reason("pending_release", NOW, "t", None, NOW) is RouteReason.RELEASED


def test_a_never_used_did_moves_at_once() -> None:
    assert cool_off_at(None, NOW) is None


def test_a_did_used_within_15_days_is_held_with_seconds_rounded_up() -> None:
    last_call = NOW - timedelta(days=14, hours=23, minutes=59, seconds=59, microseconds=500_000)
    held = cool_off_at(last_call, NOW)
    assert held is not None
    assert held.until == last_call + timedelta(days=15)
    assert held.remaining_seconds == 1  # 0.5 s left never shows 0


def test_the_cool_off_ends_exactly_15_days_after_the_last_call() -> None:
    assert cool_off_at(NOW - timedelta(days=15), NOW) is None


def test_call_times_only_move_forward() -> None:
    assert later(None, NOW) == NOW
    assert later(NOW, NOW - timedelta(seconds=1)) == NOW
    assert later(NOW, NOW + timedelta(seconds=1)) == NOW + timedelta(seconds=1)


def test_rfc3339_is_utc_seconds_with_z() -> None:
    ist = datetime(2026, 6, 9, 15, 30, 5, 999, tzinfo=UTC).astimezone()
    assert rfc3339(ist) == "2026-06-09T15:30:05Z"
