"""``didstore migrate plivo plan`` end to end against two real servers: one plays Plivo
through its Plivo-compatible facade, the other is the target (issue 10 item 2, plan step).
The plan is read-only: neither side changes."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli.conftest import Result
from tests.live_server import LiveServer, run_server


@dataclass
class Side:
    live: LiveServer
    auth_id: str
    token: str
    alias: str
    sub_alias: str = ""

    def plivo(self) -> httpx.Client:
        return httpx.Client(
            base_url=f"{self.live.url}/v1/Account/{self.alias}/",
            auth=(self.alias, self.token),
            timeout=30,
        )

    def vobiz(self) -> httpx.Client:
        return httpx.Client(
            base_url=f"{self.live.url}/api/v1/Account/{self.auth_id}/",
            headers={"X-Auth-ID": self.auth_id, "X-Auth-Token": self.token},
            timeout=30,
        )


def _account(live: LiveServer, currency: str, balance: int) -> Side:
    with live.admin() as http:
        made = http.post("/api/v1/admin/accounts", json={"name": "m", "currency": currency})
        assert made.status_code == 201, made.text
        a = made.json()
        if balance:
            c = http.post(
                f"/api/v1/admin/accounts/{a['auth_id']}/credit",
                json={"amount": balance, "currency": currency},
            )
            assert c.status_code == 201, c.text
    return Side(live, a["auth_id"], a["auth_token"], a["plivo_auth_id"])


def _stock(live: LiveServer, rows: list[dict[str, Any]]) -> None:
    with live.admin() as http:
        r = http.post("/api/v1/admin/inventory", json={"numbers": rows})
        assert r.status_code == 200 and not r.json()["errors"], r.text


def _row(e164: str, region: str, caps: str = "voice", fee: int = 2) -> dict[str, Any]:
    return {
        "e164": e164,
        "region": region,
        "setup_fee": 1,
        "monthly_fee": fee,
        "currency": "USD",
        "capabilities": caps,
    }


SOURCE_NUMBERS = ["+14155550100", "+14155550101", "+18005550100", "+442071234567"]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Side]:
    """A didstore playing Plivo: four numbers bought through the facade, one on an app."""
    for live in run_server(tmp_path_factory.mktemp("plivo-source"), "plivosrc"):
        side = _account(live, "USD", 1000)
        _stock(
            live,
            [
                _row("+14155550100", "California"),
                _row("+14155550101", "California", "voice,sms"),
                _row("+18005550100", "", "voice,sms"),
                {**_row("+442071234567", "London"), "currency": "USD"},
            ],
        )
        with side.plivo() as http:
            app = http.post(
                "Application/",
                json={"app_name": "support-line", "answer_url": "https://example.com/answer"},
            )
            assert app.status_code == 201, app.text
            for n in SOURCE_NUMBERS:
                body = {"app_id": app.json()["app_id"]} if n == SOURCE_NUMBERS[0] else {}
                r = http.post(f"PhoneNumber/{n[1:]}/", json=body)
                assert r.status_code == 201, r.text
            sub = http.post("Subaccount/", json={"name": "branch", "enabled": True})
            assert sub.status_code == 201, sub.text
            moved = http.post("Number/18005550100/", json={"subaccount": sub.json()["auth_id"]})
            assert moved.status_code == 202, moved.text
            side.sub_alias = sub.json()["auth_id"]
        yield side


@pytest.fixture(scope="module")
def target_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from run_server(tmp_path_factory.mktemp("plivo-target"), "plivotgt")


@pytest.fixture(scope="module")
def stocked(target_server: LiveServer) -> LiveServer:
    _stock(
        target_server,
        [
            _row("+12125550100", "New York"),  # same type, other region
            _row("+14155550177", "California"),  # same region and longest prefix: picked
            _row("+14085550100", "California"),
            _row("+18005550199", ""),  # toll-free without SMS: not enough for the source's
            _row("+18885550100", "", "voice,sms"),  # toll-free with SMS: picked
        ],
    )
    return target_server


def _plan(target: Side, source: Side, out: Path, *extra: str) -> Result:
    from typer.testing import CliRunner

    from didstore.cli.main import app

    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("DIDSTORE_")}
    env.update(
        DIDSTORE_URL=target.live.url,
        DIDSTORE_AUTH_ID=target.auth_id,
        DIDSTORE_AUTH_TOKEN=target.token,
        COLUMNS="200",
    )
    args = [
        "migrate",
        "plivo",
        "plan",
        "--source-url",
        source.live.url,
        "--source-auth-id",
        source.alias,
        "--source-auth-token",
        source.token,
        "--out",
        str(out),
        *extra,
    ]
    result = CliRunner().invoke(app, args, env=env, catch_exceptions=False)
    return Result(result.exit_code, result.stdout, result.stderr)


def _state(side: Side) -> tuple[Any, ...]:
    with side.vobiz() as http:
        owned = http.get("numbers", params={"per_page": 100}).json()
        balance = http.get("balance/USD").json()["balance"]
        apps = http.get("Application/").json()["meta"]["total_count"]
    return (sorted(n["e164"] for n in owned["items"]), balance, apps)


def test_plan_picks_replacements_costs_them_and_changes_nothing(
    source: Side, stocked: LiveServer, tmp_path: Path
) -> None:
    target = _account(stocked, "USD", 1000)
    before = (_state(source), _state(target))
    out = tmp_path / "plan.json"
    done = _plan(target, source, out, "--json")
    assert done.code == 3, done.stdout + done.stderr  # written, but not every number fits
    plan = json.loads(out.read_text())
    assert plan == done.json()
    picked = {n["source"]: n["replacement"] for n in plan["numbers"]}
    assert picked == {"14155550100": "+14155550177", "18005550100": "+18885550100"}
    first = next(n for n in plan["numbers"] if n["source"] == "14155550100")
    assert first["source_app_id"] and first["country"] == "US" and first["shared_prefix"] == 9
    missing = {m["source"]: m["reason"] for m in plan["unreplaceable"]}
    assert missing == {
        "14155550101": "no local number in US with sms, voice",
        "442071234567": "no numbers in stock in GB",
    }
    assert plan["sub_accounts"] == [
        {"source": source.sub_alias, "name": "branch", "action": "create"}
    ]
    (app,) = plan["applications"]
    assert app["action"] == "create" and app["app_name"] == "support-line"
    assert app["answer_url"] == "https://example.com/answer" and app["answer_method"] == "POST"
    assert plan["cost"] == {
        "USD": {
            "numbers": 2,
            "setup": 2,
            "first_month": 4,
            "total": 6,
            "balance": 1000,
            "enough": True,
        }
    }
    assert plan["source"] == {"url": source.live.url, "auth_id": source.alias}
    assert len(plan["plan_id"]) == 32
    assert (_state(source), _state(target)) == before  # read-only on both sides


def test_a_complete_plan_exits_0_and_a_short_wallet_exits_3(
    source: Side, stocked: LiveServer, tmp_path: Path
) -> None:
    target = _account(stocked, "USD", 1000)
    csv = tmp_path / "numbers.csv"
    csv.write_text("number,number_type,region\n14155550100,local,California\n")
    out = tmp_path / "plan.json"
    done = _plan(target, source, out, "--source-csv", str(csv))
    assert done.code == 0, done.stdout + done.stderr
    assert "14155550100\t+14155550177\tCalifornia\t2\tUSD" in done.stdout  # a pipe: tab rows
    assert "USD: 1 number(s), setup 1 + first month 2 = 3; balance 1000 (enough)" in done.stderr
    assert json.loads(out.read_text())["source"] == {"csv": str(csv)}
    poor = _account(stocked, "USD", 2)
    short = _plan(poor, source, out, "--source-csv", str(csv))
    assert short.code == 3 and "(NOT enough)" in short.stderr


def test_map_file_routes_an_application_to_a_trunk(
    source: Side, stocked: LiveServer, tmp_path: Path
) -> None:
    target = _account(stocked, "USD", 1000)
    with target.vobiz() as http:
        trunk = http.post("trunks", json={"name": "pbx"})
        assert trunk.status_code == 201, trunk.text
    with source.plivo() as http:
        app_id = http.get("Application/").json()["objects"][0]["app_id"]
    mapping = tmp_path / "map.json"
    mapping.write_text(
        json.dumps({"applications": {app_id: {"trunk_id": trunk.json()["trunk_id"]}}})
    )
    out = tmp_path / "plan.json"
    done = _plan(target, source, out, "--map", str(mapping), "--json")
    assert done.code == 3, done.stderr
    assert done.json()["applications"] == [
        {"source_app_id": app_id, "action": "trunk", "trunk_id": trunk.json()["trunk_id"]}
    ]
    mapping.write_text(json.dumps({"applications": {app_id: {"trunk_id": "no-such-trunk"}}}))
    unknown = _plan(target, source, out, "--map", str(mapping))
    assert unknown.code == 1, unknown.stderr
    mapping.write_text("not json")
    assert _plan(target, source, out, "--map", str(mapping)).code == 2


def test_an_unreadable_source_exits_1(source: Side, stocked: LiveServer, tmp_path: Path) -> None:
    target = _account(stocked, "USD", 10)
    wrong = Side(source.live, source.auth_id, "wrong-token", source.alias)
    done = _plan(target, wrong, tmp_path / "plan.json")
    assert done.code == 1 and "401" in done.stderr, done.stderr
    assert not (tmp_path / "plan.json").exists()
