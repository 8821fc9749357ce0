"""docs/migrating-from-plivo.md: the ```python examples run, in order, as one script with the
real plivo SDK against a server of their own (so the guide's outputs are exact), and print
what the ```text blocks after them show."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.doc_examples import blocks, matches
from tests.live_server import LiveServer, run_server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def guide_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from run_server(tmp_path_factory.mktemp("plivo-guide"), "plivoguide")


def test_plivo_guide_examples_run_and_print_what_the_guide_shows(
    guide_server: LiveServer, tmp_path: Path
) -> None:
    live = guide_server
    with live.admin() as http:
        made = http.post("/api/v1/admin/accounts", json={"name": "guide", "currency": "INR"})
        assert made.status_code == 201, made.text
        account = made.json()
        credit = http.post(
            f"/api/v1/admin/accounts/{account['auth_id']}/credit",
            json={"amount": 10_000, "currency": "INR"},
        )
        assert credit.status_code == 201, credit.text
    live.stock(3)
    found = blocks("migrating-from-plivo.md", "python")
    assert len(found) >= 4
    script = tmp_path / "plivo_guide.py"
    script.write_text("\n\n".join(b.code for b in found))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIDSTORE_", "PLIVO_"))}
    env.update(
        DIDSTORE_URL=live.url,
        PLIVO_AUTH_ID=account["plivo_auth_id"],
        PLIVO_AUTH_TOKEN=account["auth_token"],
    )
    done = subprocess.run(
        [sys.executable, str(script)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    expected = "\n".join(b.output.strip() for b in found if b.output is not None)
    assert matches(expected, done.stdout), done.stdout
