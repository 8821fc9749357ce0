"""``didstore numbers reserve`` and ``didstore reservations …`` through the real executable."""

from __future__ import annotations

from tests.cli.conftest import Cli
from tests.live_server import LiveServer


def test_reserve_show_extend_cancel(live: LiveServer, cli: Cli) -> None:
    a, b = live.stock(2)
    r = cli("numbers", "reserve", a, b[1:], "--ttl", "600", "--json", real=True)
    assert r.code == 0, r.stderr
    made = r.json()
    assert made["status"] == "active"
    assert made["numbers"] == [{"e164": a, "status": "held"}, {"e164": b, "status": "held"}]
    rid = made["id"]
    shown = cli("reservations", "show", rid, "--json", real=True)
    assert shown.code == 0 and shown.json()["id"] == rid
    listed = cli("reservations", "list", "--status", "active", real=True)  # a pipe: TSV rows
    assert listed.code == 0 and listed.stdout.split("\t")[0] == rid
    ext = cli("reservations", "extend", rid, "--ttl", "3600", "--json", real=True)
    assert ext.code == 0 and ext.json()["expires_at"] > made["expires_at"]
    gone = cli("reservations", "cancel", rid, "--json", real=True)
    assert gone.code == 0 and gone.json()["status"] == "cancelled"
    again = cli("reservations", "cancel", rid, real=True)
    assert again.code == 1 and "cancelled" in again.stderr


def test_purchase_needs_yes_and_buys_every_held_number(live: LiveServer, cli: Cli) -> None:
    a, b = live.stock(2, setup_fee=10, monthly_fee=20)
    rid = cli("numbers", "reserve", a, b, "--json").json()["id"]
    refused = cli("reservations", "purchase", rid, real=True)
    assert refused.code == 2 and "--yes" in refused.stderr
    r = cli("reservations", "purchase", rid, "--yes", "--json", real=True)
    assert r.code == 0, r.stderr
    out = r.json()
    assert out["status"] == "purchased" and out["charged"] == [{"currency": "INR", "amount": 60}]
    assert sorted(n["e164"] for n in out["purchased"]) == [a, b]
    taken = cli("numbers", "reserve", a, real=True)
    assert taken.code == 1 and "numbers_unavailable" in taken.stderr + taken.stdout
