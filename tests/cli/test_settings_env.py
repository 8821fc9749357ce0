"""A malformed ``DIDSTORE_*`` variable stops the command with one line naming the variable
and exit code 2 (a usage error), never a Python traceback: the real executable, per command
that reads the settings."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.live_server import DIDSTORE


@pytest.mark.parametrize(
    ("variable", "value", "command", "message"),
    [
        ("DIDSTORE_JOB_INTERVAL", "abc", ["serve", "--port", "0"], "must be a number, got 'abc'"),
        ("DIDSTORE_RATE_LIMIT", "1e", ["serve", "--port", "0"], "must be a number, got '1e'"),
        ("DIDSTORE_GRACE_DAYS", "-1", ["worker"], "must not be negative"),
        ("DIDSTORE_BODY_TIMEOUT", "soon", ["jobs", "run", "all"], "must be a number, got 'soon'"),
        ("DIDSTORE_LOW_BALANCE_MINOR", "ten", ["ledger", "verify"], "must be a number, got 'ten'"),
        # 0 (or 0.5, read as 0) made every hold expire as it was made: 201, then nothing held
        ("DIDSTORE_RESERVATION_MAX_TTL", "0", ["serve", "--port", "0"], "must be at least 1"),
        ("DIDSTORE_RESERVATION_MAX_TTL", "0.5", ["serve", "--port", "0"], "must be at least 1"),
    ],
)
def test_a_malformed_variable_is_a_one_line_error(
    tmp_path: Path, variable: str, value: str, command: list[str], message: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIDSTORE_")}
    env[variable] = value
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    done = subprocess.run(
        [DIDSTORE, *command, "--database-url", url],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [f"error: {variable} {message}"]
