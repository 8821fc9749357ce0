from datetime import UTC, datetime, timedelta

from didstore.domain.lifecycle import (
    HELD_STATE_VALUES,
    HELD_STATES,
    OWNED_STATES,
    NumberState,
    cool_off_until,
    is_release_cancellable,
    release_cooldown_ends,
    wire_status,
)

NOW = datetime(2026, 5, 1, tzinfo=UTC)


def test_wire_status_per_state() -> None:
    assert wire_status("available") == "active"
    assert wire_status("quarantined") == "released"
    assert wire_status(NumberState.PENDING_RELEASE) == "pending_release"


def test_release_is_cancellable_only_inside_the_24h_window() -> None:
    ends = release_cooldown_ends(NOW)
    assert ends - NOW == timedelta(hours=24)
    assert is_release_cancellable("pending_release", ends, ends - timedelta(microseconds=1))
    assert not is_release_cancellable("pending_release", ends, ends)
    assert not is_release_cancellable("active", ends, NOW)


def test_cool_off_runs_15_days_from_the_last_call() -> None:
    assert cool_off_until(None) is None
    assert cool_off_until(NOW) == NOW + timedelta(days=15)


def test_held_states_are_the_owned_ones_but_a_pending_release() -> None:
    """What the owner may still change (route, move, label): owned, not on the way out."""
    assert set(HELD_STATES) == set(OWNED_STATES) - {NumberState.PENDING_RELEASE}
    assert HELD_STATE_VALUES == ("active", "suspended", "blocked")
