"""Live responses against the published ``/openapi.json``: schemathesis (its CLI, from the
test extra) fuzzes every operation of a real ``didstore serve`` process, with real
credentials (a main account with stock and balance, a partner with a customer, the operator
token) so requests get past 401, and fails on any 5xx and on any status, content type, header
or body the spec does not document. Short budget (``MAX_EXAMPLES`` per operation); run for
the database ``DIDSTORE_TEST_DB`` names, so CI runs it once per database."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ADMIN_TOKEN
from tests.live_server import LiveServer, run_server

pytestmark = pytest.mark.e2e

SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
MAX_EXAMPLES = 5
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
#: the number the spec's examples name (stocked so the examples phase can buy it)
EXAMPLE_NUMBER = "+919876543210"


def _toml(value: object) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def _headers(headers: dict[str, str]) -> str:
    return "{ " + ", ".join(f"{_toml(k)} = {_toml(v)}" for k, v in headers.items()) + " }"


def _setup(live: LiveServer) -> dict[str, dict[str, str]]:
    """Credentials and the ids the fuzzer must use in paths, per surface."""
    main = live.create_account(balance=100000)
    live.stock(5)
    with live.admin() as http:
        r = http.post(
            "/api/v1/admin/inventory",
            json={
                "numbers": [
                    {
                        "e164": EXAMPLE_NUMBER,
                        "setup_fee": 1,
                        "monthly_fee": 2,
                        "currency": "INR",
                        "region": "Karnataka",
                    }
                ]
            },
        )
        assert r.status_code == 200, r.text
        partner = http.post("/api/v1/admin/partners", json={"name": "p", "currency": "INR"})
        assert partner.status_code == 201, partner.text
    p = partner.json()
    customer = httpx.post(
        f"{live.url}/api/v1/partner/accounts",
        headers={"X-Auth-ID": p["auth_id"], "X-Auth-Token": p["auth_token"]},
        json={
            "name": "customer",
            "email": "c@example.com",
            "phone": "+919800000001",
            "password": "secret-Passw0rd",
            "country": "IN",
        },
    )
    assert customer.status_code == 201, customer.text
    mine = {"X-Auth-ID": main.auth_id, "X-Auth-Token": main.auth_token}
    number = live.stock(1)[0]
    ids = {"auth_id": main.auth_id, "e164": number, "currency_code": "INR"}
    with httpx.Client(base_url=f"{live.url}/api/v1", headers=mine, timeout=30) as http:
        bought = http.post(
            f"/Account/{main.auth_id}/numbers/purchase-from-inventory", json={"e164": number}
        )
        assert bought.status_code == 200, bought.text
        trunk = http.post(f"/Account/{main.auth_id}/trunks", json={"name": "pbx"})
        assert trunk.status_code == 201, trunk.text
        app = http.post(
            f"/Account/{main.auth_id}/Application",
            json={"app_name": "ivr", "answer_url": "https://example.com/answer"},
        )
        assert app.status_code == 201, app.text
        sub = http.post(f"/accounts/{main.auth_id}/sub-accounts", json={"name": "desk"})
        assert sub.status_code == 201, sub.text
    ids |= {
        "trunk_id": trunk.json()["trunk_id"],
        "app_id": app.json()["app_id"],
        "sub_auth_id": sub.json()["sub_account"]["auth_id"],
    }
    return {
        "account": {**mine, **ids},
        "partner": {
            "X-Auth-ID": p["auth_id"],
            "X-Auth-Token": p["auth_token"],
            "customer_id": customer.json()["auth_id"],
        },
        "operator": {
            "Authorization": f"Bearer {ADMIN_TOKEN}",
            "auth_id": main.auth_id,
            "e164": number,
            "name": "lifecycle",
        },
    }


def _config(creds: dict[str, dict[str, str]]) -> str:
    account, partner, operator = creds["account"], creds["partner"], creds["operator"]
    ids = ("auth_id", "e164", "currency_code", "trunk_id", "app_id", "sub_auth_id", "name",
           "customer_id")  # fmt: skip
    blocks = [
        ("^/api/v1/(Account|accounts|auth)/", account),
        ("^/api/v1/partner/", partner),
        ("^/api/v1/admin/", operator),
    ]
    lines = ["[generation]", "with-security-parameters = false", ""]
    for regex, values in blocks:
        # every block names all three credential headers (blank when unused): schemathesis
        # carries one operation's configured headers over to the next
        headers = {"X-Auth-ID": "", "X-Auth-Token": "", "Authorization": ""}
        headers |= {k: v for k, v in values.items() if k not in ids}
        params = [k for k in values if k in ids]
        lines += [
            "[[operations]]",
            f"include-path-regex = {_toml(regex)}",
            f"headers = {_headers(headers)}",
            f"parameters = {_headers({f'path.{p}': values[p] for p in params})}",
            "",
        ]
    return "\n".join(lines)


def run_schemathesis(live: LiveServer, workdir: Path) -> subprocess.CompletedProcess[str]:
    config = workdir / "schemathesis.toml"
    config.write_text(_config(_setup(live)))
    cmd = [SCHEMATHESIS, "--config-file", str(config), "run", f"{live.url}/openapi.json",
           "--checks", CHECKS, "--max-examples", str(MAX_EXAMPLES), "--seed", "14",
           "--phases", "examples,coverage,fuzzing", "--workers", "1",
           "--generation-database", "none", "--no-color", "--request-timeout", "20"]  # fmt: skip
    return subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=600)


def test_live_responses_match_the_published_spec(tmp_path: Path) -> None:
    for live in run_server(tmp_path, "openapi"):
        started = time.monotonic()
        result = run_schemathesis(live, tmp_path)
        took = time.monotonic() - started
        assert result.returncode == 0, f"schemathesis ({took:.0f} s):\n{result.stdout[-20000:]}"
        assert "operations" in result.stdout.lower() or result.stdout, result.stderr
