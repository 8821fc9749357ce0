"""``GET /metrics`` (issue 14 item 4): request counts and latency by route template, the
database-read gauges, job runs, renewals and idempotent replays; and the access log."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from didstore.domain.e164 import from_body
from didstore.services.models import CLI
from tests.conftest import IN_NUMBERS, US_NUMBERS, admin_headers, make_account, stock
from tests.support import TestServices

ROUTE = "/api/v1/Account/{auth_id}/numbers/purchase-from-inventory"


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _scrape(client: TestClient) -> Samples:
    r = client.get("/metrics", headers=admin_headers())
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_need_the_operator_token(client: TestClient, state: TestServices) -> None:
    acct = make_account(state)
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=acct.headers).status_code == 403


def test_requests_are_counted_by_route_template_and_status(
    client: TestClient, state: TestServices
) -> None:
    acct = make_account(state, balance=1000)
    stock(state, IN_NUMBERS[:2])
    before = _scrape(client)
    url = f"/api/v1/Account/{acct.auth_id}/numbers/purchase-from-inventory"
    assert client.post(url, json={"e164": IN_NUMBERS[0]}, headers=acct.headers).status_code == 200
    assert client.post(url, json={"e164": "+15005550000"}, headers=acct.headers).status_code == 404
    assert client.get("/no/such/route").status_code == 404
    after = _scrape(client)

    def delta(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    total = "didstore_http_requests_total"
    assert delta(total, method="POST", route=ROUTE, status="200") == 1
    assert delta(total, method="POST", route=ROUTE, status="404") == 1
    assert delta(total, method="GET", route="<unmatched>", status="404") == 1
    # the raw path (with its auth_id) is never a label
    assert not any(acct.auth_id in str(labels) for _, labels in after)
    count = "didstore_http_request_duration_seconds_count"
    assert delta(count, method="POST", route=ROUTE) == 2


def test_gauges_read_stock_states_and_low_wallets_from_the_database(
    client: TestClient, state: TestServices
) -> None:
    make_account(state, balance=5)  # 5 INR = 500 minor: below the 10,000 default threshold
    make_account(state, balance=1000)
    buyer = make_account(state, balance=1000)
    stock(state, IN_NUMBERS[:3])
    stock(state, US_NUMBERS[:2], currency="USD")
    state.numbers.purchase(CLI, state.accounts.get(buyer.auth_id), from_body(IN_NUMBERS[0]))
    samples = _scrape(client)
    stock_name = "didstore_inventory_available"
    assert _value(samples, stock_name, country="IN", prefix="+9180") == 2
    assert _value(samples, stock_name, country="US", prefix="+1415") == 2
    assert _value(samples, "didstore_numbers", state="available") == 4
    assert _value(samples, "didstore_numbers", state="active") == 1
    assert _value(samples, "didstore_wallets_below_threshold", currency="INR") == 1


def test_job_runs_and_idempotent_replays_are_counted(
    client: TestClient, state: TestServices
) -> None:
    acct = make_account(state, balance=1000)
    stock(state, IN_NUMBERS[:1])
    before = _scrape(client)
    assert client.post("/api/v1/admin/jobs/all/run", headers=admin_headers()).status_code == 200
    url = f"/api/v1/Account/{acct.auth_id}/numbers/purchase-from-inventory"
    keyed = {**acct.headers, "Idempotency-Key": "metrics-replay-1"}
    first = client.post(url, json={"e164": IN_NUMBERS[0]}, headers=keyed)
    again = client.post(url, json={"e164": IN_NUMBERS[0]}, headers=keyed)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("idempotent-replayed") == "true"
    after = _scrape(client)
    runs = "didstore_job_runs_total"
    assert (
        _value(after, runs, job="all", outcome="ok") - _value(before, runs, job="all", outcome="ok")
        == 1
    )
    replays = "didstore_idempotency_replays_total"
    assert _value(after, replays) - _value(before, replays) == 1


@pytest.fixture
def access_lines() -> Iterator[list[str]]:
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.extend(record.getMessage().split("\n"))

    handler = Keep()
    logger = logging.getLogger("didstore.access")
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


def test_access_log_has_one_json_line_per_request(
    client: TestClient, state: TestServices, access_lines: list[str]
) -> None:
    acct = make_account(state)
    r = client.get(f"/api/v1/Account/{acct.auth_id}/numbers", headers=acct.headers)
    assert r.status_code == 200
    deadline = time.monotonic() + 5
    while not access_lines and time.monotonic() < deadline:  # lines are written in batches
        time.sleep(0.05)
    (line,) = access_lines
    entry = json.loads(line)
    assert entry["route"] == "/api/v1/Account/{auth_id}/numbers"
    assert entry["path"] == f"/api/v1/Account/{acct.auth_id}/numbers"
    assert entry["status"] == 200 and entry["method"] == "GET"
    assert entry["account"] == acct.auth_id
    assert entry["request_id"] == r.headers["x-request-id"]
    assert entry["duration_ms"] > 0
    assert set(entry) == {
        "ts", "request_id", "method", "route", "path", "status", "duration_ms", "account",
        "client",
    }  # fmt: skip
