"""Fixtures for the ADR 0009 fast-path tests: one app with the event-loop fast paths and one
without any, over the same database, and the comparison of their answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from didstore.api.fast_routes import FastOwnedList, FastRouteLookup
from fastapi.testclient import TestClient

from didstore.api.app import create_app
from didstore.clock import FixedClock
from didstore.config import Settings
from tests.support import TestServices

Pair = tuple[TestClient, TestClient]
FAST_PATHS = (FastRouteLookup, FastOwnedList)


@pytest.fixture
def pair(state: TestServices, settings: Settings, clock: FixedClock) -> Iterator[Pair]:
    slow_app = create_app(settings, clock)
    slow_app.user_middleware = [m for m in slow_app.user_middleware if m.cls not in FAST_PATHS]
    with (
        TestClient(create_app(settings, clock), raise_server_exceptions=False) as fast,
        TestClient(slow_app, raise_server_exceptions=False) as slow,
    ):
        yield fast, slow


def assert_same_answer(a: Any, b: Any, context: object) -> None:
    """Same status, body bytes and headers (but the request id)."""
    assert a.status_code == b.status_code, (context, a.text, b.text)
    assert a.content == b.content, context
    drop = {"x-request-id"}
    assert [h for h in a.headers.items() if h[0] not in drop] == [
        h for h in b.headers.items() if h[0] not in drop
    ]
