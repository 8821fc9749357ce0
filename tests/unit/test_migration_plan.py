"""The Plivo migration planner's choices (pure; ``didstore.migration.plan``)."""

from __future__ import annotations

from didstore.migration.plan import Candidate, app_name, build, complete, cost, pick
from didstore.migration.plivo_source import Source, SourceApp, SourceNumber, number_from


def _c(e164: str, region: str = "", kind: str = "local", services: str = "voice") -> Candidate:
    return Candidate(e164, "US", kind, region, tuple(services.split(",")), 1, 2.5, "USD")


SRC = SourceNumber("14155550100", "US", "local", "CALIFORNIA, UNITED STATES", ("voice",))


def test_same_region_beats_a_longer_prefix_and_the_prefix_beats_the_order() -> None:
    near_other_state = _c("+14155550199", "Nevada")
    far_same_state = _c("+16505550100", "California")
    nearer_same_state = _c("+14085550100", "California")
    found, _ = pick(SRC, [near_other_state, far_same_state, nearer_same_state], set())
    assert found == nearer_same_state  # same region, then "1" + "4" shared beats "1"
    found, _ = pick(SRC, [near_other_state, _c("+12125550100", "New York")], set())
    assert found == near_other_state  # no region match: the longest shared prefix


def test_type_capabilities_and_taken_numbers_exclude_with_a_reason() -> None:
    sms = SourceNumber("18005550100", "US", "tollfree", "", ("voice", "sms"))
    assert pick(sms, [], set()) == (None, "no numbers in stock in US")
    assert pick(sms, [_c("+14155550100")], set())[1] == "no tollfree numbers in stock in US"
    voice_only = _c("+18885550100", kind="tollfree")
    assert pick(sms, [voice_only], set())[1] == "no tollfree number in US with sms, voice"
    both = _c("+18885550101", kind="tollfree", services="voice,sms,mms")
    assert pick(sms, [voice_only, both], set())[0] == both
    assert pick(sms, [both], {both.e164})[1] == (
        "every matching number is already planned for another one"
    )


def test_build_never_picks_a_number_twice_and_totals_in_minor_units() -> None:
    source = Source(
        [SRC, SourceNumber("14155550101", "US", "local", "", ("voice",), app_id="7")],
        [SourceApp("7", "Support Line!", {"answer_url": "https://e.com/a"})],
        [],
    )
    stock = [_c("+14155550177"), _c("+14155550178")]
    plan = build(
        source,
        {"14155550100": stock, "14155550101": stock},
        balances={"USD": 7.0},
        trunks={},
        source_ref={},
        target_ref={},
    )
    assert [n["replacement"] for n in plan["numbers"]] == ["+14155550177", "+14155550178"]
    assert plan["cost"]["USD"] == {
        "numbers": 2,
        "setup": 2,
        "first_month": 5,
        "total": 7,
        "balance": 7,
        "enough": True,
    }
    assert plan["applications"][0]["app_name"] == "Support-Line"
    assert complete(plan)
    again = build(
        source,
        {"14155550100": stock, "14155550101": stock},
        balances={"USD": 7.0},
        trunks={},
        source_ref={},
        target_ref={},
    )
    assert again["plan_id"] == plan["plan_id"]  # the same decisions, the same id
    short = cost(plan["numbers"], {"USD": 6.99})
    assert short["USD"]["enough"] is False


def test_app_names_and_source_objects() -> None:
    assert app_name("  ", "123") == "plivo-123"
    n = number_from(
        {
            "number": "18005550100",
            "number_type": "tollfree",
            "sms_enabled": True,
            "application": "/v1/Account/MAX/Application/55/",
        }
    )
    assert (n.country, n.number_type, n.services, n.app_id) == (
        "US",
        "tollfree",
        ("voice", "sms"),
        "55",
    )
    assert number_from({"number": "+919876543210", "number_type": "fixed"}).number_type == "local"
