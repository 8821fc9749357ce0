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


def _apply(target: Side, plan: Path, *extra: str) -> Result:
    from typer.testing import CliRunner

    from didstore.cli.main import app

    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("DIDSTORE_")}
    env.update(
        DIDSTORE_URL=target.live.url,
        DIDSTORE_AUTH_ID=target.auth_id,
        DIDSTORE_AUTH_TOKEN=target.token,
    )
    args = ["migrate", "plivo", "apply", str(plan), *extra]
    result = CliRunner().invoke(app, args, env=env, catch_exceptions=False)
    return Result(result.exit_code, result.stdout, result.stderr)


def _target_view(target: Side) -> dict[str, Any]:
    with target.vobiz() as http:
        owned = http.get("numbers", params={"per_page": 100}).json()["items"]
        apps = http.get("Application/").json()["objects"]
        balance = http.get("balance/USD").json()["balance"]
    subs = httpx.get(
        f"{target.live.url}/api/v1/accounts/{target.auth_id}/sub-accounts",
        headers={"X-Auth-ID": target.auth_id, "X-Auth-Token": target.token},
    ).json()["sub_accounts"]
    return {
        "owned": {n["e164"]: (n["application_id"], n["account_id"]) for n in owned},
        "apps": [(a["app_id"], a["answer_url"]) for a in apps],
        "subs": [(s["auth_id"], s["name"]) for s in subs],
        "balance": balance,
    }


def test_apply_buys_routes_moves_and_resumes_without_repeating_anything(
    source: Side, stocked: LiveServer, tmp_path: Path
) -> None:
    target = _account(stocked, "USD", 1000)
    plan = tmp_path / "plan.json"
    assert _plan(target, source, plan).code == 3  # two of four numbers have a replacement
    refused = _apply(target, plan)
    assert refused.code == 2 and "--yes" in refused.stderr
    assert _target_view(target)["owned"] == {}

    done = _apply(target, plan, "--yes", "--json")
    assert done.code == 0, done.stdout + done.stderr
    assert done.json()["ran"] == done.json()["steps"] == 6  # sub, app, 2 buys, route, move
    view = _target_view(target)
    ((app_id, answer_url),) = view["apps"]
    ((sub_id, sub_name),) = view["subs"]
    assert answer_url == "https://example.com/answer" and sub_name == "branch"
    assert view["owned"] == {
        "+14155550177": (app_id, target.auth_id),
        "+18885550100": (None, sub_id),
    }
    assert view["balance"] == 1000 - 2 * 3

    again = _apply(target, plan, "--yes", "--json")
    assert again.code == 0 and again.json()["ran"] == 0 and again.json()["skipped"] == 6
    # the worst crash: every journal line lost after the server did the work. The re-run
    # sends every step again with the same Idempotency-Keys: nothing is created or charged
    (tmp_path / "plan.json.journal").unlink()
    rerun = _apply(target, plan, "--yes", "--json")
    assert rerun.code == 0 and rerun.json()["ran"] == 6, rerun.stderr
    assert _target_view(target) == view
    creds = ("--source-auth-token", source.token, "--json")
    assert _run(target, "verify", str(plan), *creds).code == 0
    with target.vobiz() as http:  # someone re-routes a replacement: no longer green
        assert http.delete("numbers/+14155550177/application").status_code == 200
    checked = _run(target, "verify", str(plan), *creds)
    assert checked.code == 1 and checked.json()["confirm_token"] is None
    problems = [p for n in checked.json()["numbers"] for p in n["problems"]]
    assert problems == [f"+14155550177 application_id is None, not {app_id}"]


def test_apply_refuses_an_altered_plan_or_another_account(
    source: Side, stocked: LiveServer, tmp_path: Path
) -> None:
    target = _account(stocked, "USD", 1000)
    plan = tmp_path / "plan.json"
    _plan(target, source, plan)
    body = json.loads(plan.read_text())
    other = _account(stocked, "USD", 1000)
    wrong_account = _apply(other, plan, "--yes")
    assert wrong_account.code == 2 and target.auth_id in wrong_account.stderr
    body["numbers"][0]["replacement"] = "+12125550100"
    plan.write_text(json.dumps(body))
    altered = _apply(target, plan, "--yes")
    assert altered.code == 2 and "changed" in altered.stderr
    assert _target_view(target)["owned"] == {}


def test_a_lost_journal_past_the_idempotency_window_still_buys_nothing_twice(
    source: Side, stocked: LiveServer, tmp_path: Path
) -> None:
    """Without the journal and without the server's keys (a new plan id stands in for keys
    that expired after 24 h), a re-run buys nothing twice: a number already held, even one
    moved on to a sub-account, counts as bought."""
    target = _account(stocked, "USD", 1000)
    _stock(stocked, [_row("+14155550155", "California"), _row("+18885550101", "", "voice,sms")])
    plan = tmp_path / "plan.json"
    _plan(target, source, plan)
    assert [n["replacement"] for n in json.loads(plan.read_text())["numbers"]] == [
        "+14155550155",
        "+18885550101",  # moved to the sub-account by the first run
    ]
    assert _apply(target, plan, "--yes").code == 0
    charged = _target_view(target)["balance"]
    body = json.loads(plan.read_text())
    body["sub_accounts"] = []  # already recreated: only the buys and routes run again
    body["applications"] = []
    for n in body["numbers"]:
        n["source_sub_account"] = None
    from didstore.migration.plan import plan_id

    body["plan_id"] = plan_id(body)
    plan.write_text(json.dumps(body))
    again = _apply(target, plan, "--yes", "--json")
    assert again.code == 0 and again.json()["ran"] == 2, again.stderr
    assert _target_view(target)["balance"] == charged


def _run(target: Side, *args: str) -> Result:
    from typer.testing import CliRunner

    from didstore.cli.main import app

    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("DIDSTORE_")}
    env.update(
        DIDSTORE_URL=target.live.url,
        DIDSTORE_AUTH_ID=target.auth_id,
        DIDSTORE_AUTH_TOKEN=target.token,
    )
    result = CliRunner().invoke(app, ["migrate", "plivo", *args], env=env, catch_exceptions=False)
    return Result(result.exit_code, result.stdout, result.stderr)


def test_verify_then_release_only_with_the_token(
    source: Side, stocked: LiveServer, tmp_path: Path
) -> None:
    """Its own Plivo-side account, so releasing does not touch the other tests' source."""
    plivo = _account(source.live, "USD", 100)
    _stock(source.live, [_row("+14155550123", "California")])
    with plivo.plivo() as http:
        assert http.post("PhoneNumber/14155550123/").status_code == 201
    target = _account(stocked, "USD", 1000)
    _stock(stocked, [_row("+14155550124", "California")])
    plan = tmp_path / "plan.json"
    assert _plan(target, plivo, plan).code == 0
    assert json.loads(plan.read_text())["numbers"][0]["replacement"] == "+14155550124"
    creds = ("--source-auth-token", plivo.token)

    early = _run(target, "verify", str(plan), *creds, "--json")
    assert early.code == 1 and early.json()["ok"] is False
    assert "not held" in early.json()["numbers"][0]["problems"][0]
    assert _apply(target, plan, "--yes").code == 0

    checked = _run(target, "verify", str(plan), *creds, "--json")
    assert checked.code == 0, checked.stdout + checked.stderr
    body = checked.json()
    assert body["ok"] is True and len(body["confirm_token"]) == 24
    assert body["numbers"] == [
        {"source": "14155550123", "replacement": "+14155550124", "ok": True, "problems": []}
    ]
    assert any("14155550123" in line for line in body["checklist"])

    refused = _run(target, "release", str(plan), "--confirm", "0" * 24, *creds)
    assert refused.code == 1 and "refused" in refused.stderr
    with plivo.plivo() as http:
        assert http.get("Number/14155550123/").status_code == 200  # still in service

    released = _run(target, "release", str(plan), "--confirm", body["confirm_token"], *creds)
    assert released.code == 0, released.stderr
    with plivo.plivo() as http:
        assert http.get("Number/14155550123/").status_code == 404  # unrented on "Plivo"
    # the token is stale now: the Plivo number is gone, so nothing verifies any more
    again = _run(target, "release", str(plan), "--confirm", body["confirm_token"], *creds)
    assert again.code == 1


def test_an_interrupted_apply_resumes_and_charges_once(
    source: Side, stocked: LiveServer, tmp_path: Path
) -> None:
    """The wallet runs dry half-way (exit 1, the journal keeps what was done); after a top-up
    the re-run finishes the rest, and every number was paid for once."""
    _stock(stocked, [_row("+14155550144", "California"), _row("+18885550102", "", "voice,sms")])
    target = _account(stocked, "USD", 4)  # enough for one number (1 + 2), not two
    plan = tmp_path / "plan.json"
    assert _plan(target, source, plan).code == 3  # the wallet is short, and says so
    first = _apply(target, plan, "--yes")
    assert first.code == 1 and "insufficient" in first.stderr.lower(), first.stderr
    lines = [json.loads(x) for x in (tmp_path / "plan.json.journal").read_text().splitlines()]
    journal = [x for x in lines if not x.get("failed")]
    assert 0 < len(journal) < 6
    # the refused step is journalled too: its retry needs a key of its own, since the server
    # keeps the 402 under the first one
    assert [x["step"] for x in lines if x.get("failed")] == ["buy:18005550100"]
    with stocked.admin() as http:
        r = http.post(
            f"/api/v1/admin/accounts/{target.auth_id}/credit",
            json={"amount": 10, "currency": "USD"},
        )
        assert r.status_code == 201
    second = _apply(target, plan, "--yes", "--json")
    assert second.code == 0, second.stderr
    assert second.json()["skipped"] == len(journal)
    view = _target_view(target)
    assert len(view["owned"]) == 2 and view["balance"] == 4 + 10 - 2 * 3


def test_a_killed_apply_process_resumes(source: Side, stocked: LiveServer, tmp_path: Path) -> None:
    """The real executable, killed (SIGKILL) as soon as its journal shows progress; the
    re-run ends with each number bought and paid for once, wherever the kill landed."""
    import signal
    import subprocess
    import time

    from tests.live_server import DIDSTORE

    _stock(stocked, [_row("+14155550166", "California"), _row("+18885550103", "", "voice,sms")])
    target = _account(stocked, "USD", 1000)
    plan = tmp_path / "plan.json"
    _plan(target, source, plan)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIDSTORE_")}
    env.update(
        DIDSTORE_URL=target.live.url,
        DIDSTORE_AUTH_ID=target.auth_id,
        DIDSTORE_AUTH_TOKEN=target.token,
    )
    journal = tmp_path / "plan.json.journal"
    proc = subprocess.Popen(
        [DIDSTORE, "migrate", "plivo", "apply", str(plan), "--yes"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        if journal.exists() and journal.read_text().strip():
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.001)
    proc.wait(timeout=60)
    rerun = _apply(target, plan, "--yes", "--json")
    assert rerun.code == 0, rerun.stderr
    assert rerun.json()["ran"] + rerun.json()["skipped"] == rerun.json()["steps"] == 6
    view = _target_view(target)
    assert len(view["owned"]) == 2 and len(view["apps"]) == 1 and len(view["subs"]) == 1
    assert view["balance"] == 1000 - 2 * 3
