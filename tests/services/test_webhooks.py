"""services/webhooks.py: without the operator setting, an endpoint cannot point at a
private or loopback address."""

from __future__ import annotations

import pytest

from didstore.clock import FixedClock
from tests.conftest import make_account
from tests.support import TestServices

pytestmark = pytest.mark.private_webhooks


def test_private_receivers_need_the_operator_setting(
    state: TestServices, clock: FixedClock
) -> None:
    from didstore.domain.errors import InvalidInput
    from didstore.services.models import CLI
    from didstore.services.webhooks import WebhookService

    strict = state.blocking(WebhookService(state.adb, clock, state.services.events))
    account = state.accounts.get(make_account(state).auth_id)
    for url in ("http://127.0.0.1:9/hook", "http://localhost/hook", "http://10.0.0.1/x"):
        with pytest.raises(InvalidInput):
            strict.create(CLI, account, {"url": url})
