"""``/docs`` and ``/redoc`` load every asset from this server (an offline host shows them)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

_URL = re.compile(r'(?:src|href)="([^"]+)"|(https?://[^\s"\')]+)')


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_documentation_pages_use_local_assets_only(client: TestClient, page: str) -> None:
    r = client.get(page)
    assert r.status_code == 200
    local: list[str] = []
    remote: list[str] = []
    for path, absolute in _URL.findall(r.text):
        (local if path else remote).append(path or absolute)
    assert remote == [] or all("swagger.io" in u for u in remote), remote  # doc links only
    assert local, r.text
    for path in local:
        asset = client.get(path)
        assert asset.status_code == 200, path
        assert len(asset.content) > 500, path
    assert "/openapi.json" in r.text


def test_console_assets_are_served_with_their_types(client: TestClient) -> None:
    for path, kind in (
        ("/console/static/vendor/htmx/htmx.min.js", "javascript"),
        ("/console/static/console.css", "text/css"),
        ("/console/static/vendor/swagger-ui/swagger-ui-bundle.js", "javascript"),
        ("/console/static/vendor/redoc/redoc.standalone.js", "javascript"),
    ):
        r = client.get(path)
        assert r.status_code == 200 and kind in r.headers["content-type"], path
    assert client.get("/console/static/../../api/app.py").status_code == 404
