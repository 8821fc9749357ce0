"""Call activity ingestion and number health (numbers spec §4.10)."""

from __future__ import annotations

from datetime import timedelta

from didstore.clock import FixedClock
from tests.conftest import World, admin_headers

SNAPSHOT_KEYS = {
    "id", "ts", "total_calls", "answered_calls", "failed_calls", "answer_rate",
    "total_duration", "avg_duration", "total_minutes",
}  # fmt: skip


def _ts(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_health_from_reported_calls(world: World, clock: FixedClock) -> None:
    n = world.numbers[0]
    world.buy(world.main, n)
    clock.set(clock.now() + timedelta(days=3))
    now = clock.now()
    yesterday = now - timedelta(days=1)
    batch = {
        "calls": [
            {"e164": n, "started_at": _ts(yesterday), "duration_seconds": 120},
            {"e164": n, "started_at": _ts(yesterday), "duration_seconds": 0, "answered": False},
            {"e164": n, "started_at": _ts(now), "duration_seconds": 60, "answered": True},
            {"e164": "+918099999999"},
            {"e164": "garbage"},
            {"e164": n, "started_at": _ts(now + timedelta(minutes=5))},
        ]
    }
    r = world.client.post("/api/v1/admin/calls", json=batch, headers=admin_headers())
    assert r.status_code == 200, r.text
    assert r.json()["recorded"] == 3
    assert [e["index"] for e in r.json()["errors"]] == [3, 4, 5]
    r = world.client.get(
        f"/api/v1/account/{world.main.auth_id}/numbers/{n}/health?days=7",
        headers=world.main.headers,
    )
    assert r.status_code == 200, r.text
    h = r.json()
    assert set(h) == {
        "e164", "status", "usage_status", "is_spam", "granularity", "summary", "snapshots"
    }  # fmt: skip
    assert h["summary"] == {
        "period_days": 7, "total_calls": 3, "answered_calls": 2, "answer_rate": 66.67,
        "total_minutes": 3.0, "avg_duration": 90.0,
    }  # fmt: skip
    assert len(h["snapshots"]) == 7 and set(h["snapshots"][0]) == SNAPSHOT_KEYS
    assert [s["total_calls"] for s in h["snapshots"]][-2:] == [2, 1]
    hourly = world.client.get(
        f"/api/v1/Account/{world.main.auth_id}/numbers/{n}/health?granularity=hourly&days=1",
        headers=world.main.headers,
    ).json()
    assert len(hourly["snapshots"]) == 24
    assert hourly["snapshots"][-1]["total_calls"] == 1


def test_health_bad_params_and_foreign_numbers(world: World) -> None:
    n = world.numbers[0]
    world.buy(world.main, n)
    base = f"/api/v1/account/{world.main.auth_id}/numbers/{n}/health"
    for q in ("?granularity=weekly", "?days=0", "?days=1000", "?days=abc"):
        r = world.client.get(base + q, headers=world.main.headers)
        assert r.status_code == 400, (q, r.text)
    r = world.client.get(
        f"/api/v1/account/{world.other.auth_id}/numbers/{n}/health", headers=world.other.headers
    )
    assert r.status_code == 404


def test_last_call_at_only_moves_forward(world: World, clock: FixedClock) -> None:
    n = world.numbers[0]
    world.buy(world.main, n)
    now = clock.now()
    first = world.call(n, started_at=_ts(now)).json()
    assert first["last_call_at"].startswith(_ts(now)[:19])
    late = world.call(n, started_at=_ts(now - timedelta(hours=2))).json()
    assert late["last_call_at"] == first["last_call_at"]
    assert world.call(n, started_at="yesterday").status_code == 400
    assert world.call(n, duration_seconds=-1).status_code == 400
    assert world.call("+918099999999").status_code == 404
    r = world.client.post(f"/api/v1/admin/numbers/{n}/calls", json={}, headers=world.main.headers)
    assert r.status_code == 403
