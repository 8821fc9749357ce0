"""CLI start-up: the SDK-based resource commands must not load the server stack (FastAPI,
uvicorn, SQLAlchemy, phonenumbers geodata), which made every ``didstore`` command take
seconds. Each check runs in a fresh interpreter so nothing imported by the test session
leaks into ``sys.modules``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SERVER_STACK = ("fastapi", "uvicorn", "sqlalchemy", "starlette", "phonenumbers", "alembic")

PROBE = """
import json, sys
from typer.main import get_command
import didstore.cli.main as main
args = json.loads(sys.argv[1])
code = None
if args:
    try:
        get_command(main.app).main(args=args, prog_name="didstore", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
print(json.dumps({"code": code, "loaded": [m for m in STACK if m in sys.modules]}))
""".replace("STACK", repr(SERVER_STACK))


def _probe(args: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "DIDSTORE_URL": "http://127.0.0.1:9"},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_cli_loads_no_server_stack() -> None:
    assert _probe([]) == {"code": None, "loaded": []}


@pytest.mark.parametrize(
    "args",
    [
        ["numbers", "list", "--help"],
        ["numbers", "search", "--help"],
        ["trunks", "--help"],
        ["--help"],
        # Runs for real (the server is unreachable): still no server stack.
        ["--auth-id", "MA_X", "--auth-token", "t", "balance", "--json"],
    ],
)
def test_resource_commands_load_no_server_stack(args: list[str]) -> None:
    result = _probe(args)
    assert result["loaded"] == [], result


def test_operator_commands_still_load_it_on_demand(tmp_path: Path) -> None:
    """The probe can see the stack: an operator command's help imports nothing, but running
    ``db upgrade`` does (guards against a probe that can never fail)."""
    result = _probe(["db", "upgrade", "--database-url", f"sqlite:///{tmp_path}/cli.sqlite3"])
    assert result["code"] in (0, None)
    assert "sqlalchemy" in result["loaded"]
