"""docs/cli.md: every ```sh example runs (as one bash script, ``set -euo pipefail``)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.doc_examples import blocks, feature_probes
from tests.live_server import DIDSTORE, LiveServer


def test_cli_guide_examples_run(live: LiveServer, tmp_path: Path) -> None:
    account = live.create_account(balance=10000, release_fee=5)
    live.stock(3)
    probes = feature_probes(account.auth_id)
    found = blocks("cli.md", "sh")
    assert len(found) >= 4
    runnable = [b for b in found if b.requires is None or live.route_exists(*probes[b.requires])]
    script = tmp_path / "cli_guide.sh"
    script.write_text("set -euo pipefail\n" + "\n".join(b.code for b in runnable))
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIDSTORE_")}
    env.update(
        PATH=f"{Path(DIDSTORE).parent}:{env.get('PATH', '')}",
        DIDSTORE_URL=live.url,
        DIDSTORE_AUTH_ID=account.auth_id,
        DIDSTORE_AUTH_TOKEN=account.auth_token,
    )
    done = subprocess.run(
        ["bash", str(script)], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert '"succeeded": 2' in done.stdout
    assert "released" in done.stdout  # the immediate release of the bought pair
