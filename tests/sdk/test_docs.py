"""docs/sdk.md: every ```python example runs against a real server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.doc_examples import blocks
from tests.live_server import LiveServer


def test_sdk_guide_examples_run(live: LiveServer, tmp_path: Path) -> None:
    account = live.create_account(balance=10000)
    live.stock(3)
    found = blocks("sdk.md", "python")
    assert len(found) >= 6
    script = tmp_path / "sdk_guide.py"
    script.write_text("\n\n".join(b.code for b in found))
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIDSTORE_")}
    env.update(
        DIDSTORE_URL=live.url,
        DIDSTORE_AUTH_ID=account.auth_id,
        DIDSTORE_AUTH_TOKEN=account.auth_token,
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
    assert "costs 400" in done.stdout and "async:" in done.stdout
