"""A console session opened on one server process is valid on every process of
``didstore serve --workers N`` (the signing key is shared when none is configured)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.conftest import BACKEND, drop_database, new_database_url
from tests.live_server import LiveServer, serve_process

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


@pytest.mark.skipif(BACKEND != "postgresql", reason="--workers serves PostgreSQL only")
def test_a_session_holds_on_every_worker(tmp_path: Path) -> None:
    database_url = new_database_url(tmp_path, "consoleworkers")
    try:
        with serve_process(
            tmp_path,
            database_url,
            options=("--workers", "2", "--no-jobs"),
            env_extra={"DIDSTORE_CONSOLE_SECRET": ""},
        ) as url:
            acct = LiveServer(url, database_url).create_account()
            with httpx.Client(base_url=url) as http:
                page = http.get("/console/login")
                token = re.search(r'name="csrf" value="([^"]+)"', page.text)
                assert token is not None
                r = http.post(
                    "/console/login",
                    data={
                        "csrf": token.group(1),
                        "auth_id": acct.auth_id,
                        "auth_token": acct.auth_token,
                    },
                )
                assert r.status_code == 303, r.text
                cookies = dict(http.cookies)
            answers = []
            for _ in range(20):  # a fresh connection each: the kernel spreads them
                with httpx.Client(base_url=url, cookies=cookies) as fresh:
                    answers.append(fresh.get("/console/home").status_code)
            assert answers == [200] * 20
    finally:
        drop_database(database_url)
