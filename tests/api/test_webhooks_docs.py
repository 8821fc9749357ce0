"""docs/events.md: the receiver example verifies a real delivery and refuses a forged one."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import IN_NUMBERS, buy, make_account, stock
from tests.support import TestServices
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.private_webhooks

DOC = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def test_the_receiver_example_verifies_a_delivery(
    client: TestClient, state: TestServices, receivers: list[Receiver], capsys: Any
) -> None:
    example = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)[0]
    acct = make_account(state, balance=100)
    stock(state, IN_NUMBERS[:1], setup_fee=1, monthly_fee=3)
    r = client.post(
        f"/api/v1/Account/{acct.auth_id}/webhooks",
        json={"url": receivers[0].url, "event_types": ["number.purchased"]},
        headers=acct.headers,
    )
    secret = r.json()["secret"]
    buy(state, acct, IN_NUMBERS[0])
    state.jobs.run("webhooks")
    [(headers, body)] = receivers[0].received

    namespace: dict[str, Any] = {}
    exec(example.replace('"whsec_…"', repr(secret)), namespace)  # our own doc's example
    handle = namespace["handle"]
    assert handle(body, headers) == 204
    assert handle(body, headers) == 204  # a duplicate is acknowledged, not processed twice
    assert handle(body.replace(b"purchased", b"suspended"), headers) == 400  # forged
    assert handle(body, {**headers, "webhook-signature": "v1,AAAA"}) == 400
