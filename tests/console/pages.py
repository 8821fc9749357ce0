"""Helpers for console tests through the TestClient: sign in, read tokens and marked rows."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response

from tests.conftest import ADMIN_TOKEN

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf(page: Response) -> str:
    found = _CSRF.search(page.text)
    assert found, page.text[:500]
    return found.group(1)


def sign_in(client: TestClient, auth_id: str, token: str) -> Response:
    """Sign in through the form; the client keeps the session cookie."""
    page = client.get("/console/login")
    return client.post(
        "/console/login",
        data={"csrf": csrf(page), "auth_id": auth_id, "auth_token": token},
        follow_redirects=False,
    )


def sign_in_operator(client: TestClient) -> Response:
    return sign_in(client, "", ADMIN_TOKEN)


def post_form(client: TestClient, page_url: str, action: str, **fields: str) -> Response:
    """Open ``page_url`` (a confirmation page), then send its form to ``action``."""
    page = client.get(page_url)
    assert page.status_code == 200, page.text
    return client.post(action, data={"csrf": csrf(page), **fields}, follow_redirects=False)


def marked(page: Response, testid: str, attr: str) -> list[str]:
    """The ``attr`` values of the elements carrying ``data-testid=testid``, in page order."""
    pattern = re.compile(rf'data-testid="{testid}"[^>]*?\b{attr}="([^"]*)"')
    return pattern.findall(page.text)
