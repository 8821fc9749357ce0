"""Live responses against the published ``/openapi.json``: schemathesis (its CLI, from the
test extra) fuzzes every operation of a real ``didstore serve`` process, with real
credentials (a main account with stock and balance, a partner with a customer, the operator
token) so requests get past 401, and fails on any 5xx and on any status, content type, header
or body the spec does not document. Short budget (``MAX_EXAMPLES`` per operation); run for
the database ``DIDSTORE_TEST_DB`` names, so CI runs it once per database."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from didstore.api.openapi import OPERATIONS
from tests.conftest import ADMIN_TOKEN
from tests.live_server import LiveServer, run_server

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
MAX_EXAMPLES = 4
#: what is checked: no 5xx, and status, content type, headers and body as documented
CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "ignored_auth",
    )
)
#: operations the run cannot bring to success, and why
NO_SUCCESS_EXPECTED: dict[tuple[str, str], str] = {
    # a delivery exists only once the job runner fanned an event out to a receiver; the
    # redelivery's success is tested end to end in tests/services/test_webhook_delivery.py
    ("POST", path): "needs a delivery made by the job runner"
    for path in (
        "/api/v1/Account/{auth_id}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
        "/api/v1/admin/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    )
}
#: the number the spec's examples name (stocked so the examples phase can buy it)
EXAMPLE_NUMBER = "+919876543210"


def _toml(value: object) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def _post(http: httpx.Client, path: str, body: dict[str, Any], status: int = 201) -> Any:
    r = http.post(path, json=body)
    assert r.status_code == status, r.text
    return r.json()


def _setup(live: LiveServer) -> tuple[list[Block], dict[str, Any]]:
    """A main account with balance, numbers, trunks, applications and sub-accounts; a partner
    with balance and a customer; and what each group of operations uses (module docstring).
    Deleting operations get resources of their own, so the others still find theirs."""
    main = live.create_account(balance=100000)
    live.stock(5)
    with live.admin() as http:
        example = {"e164": EXAMPLE_NUMBER, "setup_fee": 1, "monthly_fee": 2, "currency": "INR"}
        assert not _post(http, "/api/v1/admin/inventory", {"numbers": [example]}, 200)["errors"]
        p = _post(http, "/api/v1/admin/partners", {"name": "p", "currency": "INR"})
        credit = {"amount": 100000, "currency": "INR"}
        _post(http, f"/api/v1/admin/accounts/{p['auth_id']}/credit", credit)
    partner = {"X-Auth-ID": p["auth_id"], "X-Auth-Token": p["auth_token"]}
    with httpx.Client(base_url=f"{live.url}/api/v1", headers=partner, timeout=30) as http:
        customer = _post(http, "/partner/accounts", {"name": "customer", "email": "c@example.com",
                         "phone": "+919800000001", "password": "secret-Passw0rd",
                         "country": "IN"})  # fmt: skip
        transfer = {"amount": 1000, "currency": "INR"}
        _post(http, f"/partner/accounts/{customer['auth_id']}/transfer-balance", transfer, 200)
    mine = {"X-Auth-ID": main.auth_id, "X-Auth-Token": main.auth_token}
    numbers = live.stock(3)  # kept, spare (released and restored), the operator's (calls)
    kept: dict[str, str] = {"auth_id": main.auth_id, "currency_code": "INR", "e164": numbers[0]}
    spare = {**kept, "e164": numbers[1]}
    with httpx.Client(base_url=f"{live.url}/api/v1", headers=mine, timeout=30) as http:
        for number in numbers:
            _post(http, f"/Account/{main.auth_id}/numbers/purchase-from-inventory",
                  {"e164": number}, 200)  # fmt: skip
        app = {"app_name": "ivr", "answer_url": "https://example.com/answer"}
        for ids in (kept, spare):
            ids["trunk_id"] = _post(http, f"/Account/{main.auth_id}/trunks", {"name": "pbx"})[
                "trunk_id"
            ]
            ids["app_id"] = _post(http, f"/Account/{main.auth_id}/Application", app)["app_id"]
            sub = _post(http, f"/accounts/{main.auth_id}/sub-accounts", {"name": "desk"})
            ids["sub_auth_id"] = sub["sub_account"]["auth_id"]
    operator = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    disposable = (
        r"^(DELETE .*/(trunks|Application|sub-accounts)/\{"
        r"|(DELETE|POST) .*/numbers/\{e164\}(/cancel-release)?$)"
    )
    blocks = [
        Block({"include-name-regex": disposable}, mine, spare),
        Block(
            {
                "include-path-regex": "^/api/v1/(Account|accounts|auth)/",
                "exclude-name-regex": disposable,
            },
            mine,
            kept,
        ),
        Block(
            {"include-path-regex": "^/api/v1/partner/"},
            partner,
            {"customer_id": customer["auth_id"]},
        ),
        Block(
            {"include-path-regex": "^(/api/v1/admin/|/metrics$)"},
            operator,
            {"auth_id": main.auth_id, "e164": numbers[2], "name": "lifecycle"},
        ),
    ]
    # reservations: numbers for the hooks to hold, one per call (schemathesis_hooks.py)
    hold = {
        "url": f"{live.url}/api/v1/Account/{main.auth_id}/numbers/reservations",
        "headers": mine,
        "numbers": live.stock(120),
    }
    return blocks, {**kept, "reservation": hold}


@dataclass
class Block:
    """One ``[[operations]]`` entry: which operations, their headers and path parameters."""

    filters: dict[str, str]
    headers: dict[str, str]
    values: dict[str, str]


def _table(values: dict[str, Any]) -> str:
    """A TOML inline table."""
    items = (
        f"{_toml(k)} = {_table(v) if isinstance(v, dict) else _toml(v)}" for k, v in values.items()
    )
    return "{ " + ", ".join(items) + " }"


def _config(blocks: list[Block]) -> str:
    lines = [
        f"hooks = {_toml('tests.api.schemathesis_hooks')}",
        "[generation]",
        "with-security-parameters = false",
        "",
        # no probes with methods the spec does not list (405s, not checked here), no repeated
        # query parameters: a shorter run
        "[phases.coverage]",
        "unexpected-methods = []",
        "generate-duplicate-query-parameters = false",
        "",
    ]
    for block in blocks:
        # every block names all three credential headers (blank when unused): schemathesis
        # carries one operation's configured headers over to the next
        headers = {"X-Auth-ID": "", "X-Auth-Token": "", "Authorization": ""} | block.headers
        lines += ["[[operations]]", *(f"{k} = {_toml(v)}" for k, v in block.filters.items())]
        lines += [
            f"headers = {_table(dict(headers))}",
            f"parameters = {_table({f'path.{k}': v for k, v in block.values.items()})}",
            "",
        ]
    return "\n".join(lines) + "\n"


def run_schemathesis(live: LiveServer, workdir: Path) -> subprocess.CompletedProcess[str]:
    config = workdir / "schemathesis.toml"
    blocks, ids = _setup(live)
    config.write_text(_config(blocks))
    cmd = [SCHEMATHESIS, "--config-file", str(config), "run", f"{live.url}/openapi.json",
           "--checks", CHECKS, "--max-examples", str(MAX_EXAMPLES), "--seed", "14",
           "--phases", "examples,coverage,fuzzing", "--workers", "1",
           "--generation-database", "none", "--no-color", "--request-timeout", "20",
           "--report", "har", "--report-har-path", str(workdir / "run.har")]  # fmt: skip
    # the hooks module, and the ids it puts in request bodies
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DIDSTORE_CONFORMANCE_IDS": json.dumps(ids)}
    return subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=600)


def statuses(har: Path) -> dict[tuple[str, str], set[int]]:
    """The statuses each documented operation answered during the run (from the HAR log)."""
    templates = [
        (method, path, re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$"))
        for method, path in OPERATIONS
    ]
    # a literal segment wins over a parameter: ``…/numbers/reservations`` is not a number
    templates.sort(key=lambda t: t[1].count("{"))
    seen: dict[tuple[str, str], set[int]] = {}
    for entry in json.loads(har.read_text())["log"]["entries"]:
        method, url = entry["request"]["method"], urlsplit(entry["request"]["url"]).path
        for m, path, pattern in templates:
            if m == method and pattern.match(url):
                seen.setdefault((m, path), set()).add(entry["response"]["status"])
                break
    return seen


def test_live_responses_match_the_published_spec(tmp_path: Path) -> None:
    for live in run_server(tmp_path, "openapi"):
        started = time.monotonic()
        result = run_schemathesis(live, tmp_path)
        took = time.monotonic() - started
        assert result.returncode == 0, f"schemathesis ({took:.0f} s):\n{result.stdout[-20000:]}"
        seen = statuses(tmp_path / "run.har")
        unreached = {
            key: sorted(seen.get(key, ()))
            for key, op in OPERATIONS.items()
            if op.status not in seen.get(key, ()) and key not in NO_SUCCESS_EXPECTED
        }
        assert not unreached, f"operations that never answered their success status: {unreached}"
