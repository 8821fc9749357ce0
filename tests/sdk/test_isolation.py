"""The SDK is importable without the server's dependencies (httpx + standard library)."""

from __future__ import annotations

import subprocess
import sys

BLOCKER = """
import sys
SERVER = ("fastapi", "starlette", "sqlalchemy", "alembic", "psycopg", "pydantic", "uvicorn",
          "typer", "rich", "orjson", "phonenumbers", "iso4217",
          "didstore.api", "didstore.services", "didstore.db", "didstore.domain", "didstore.cli")

def server_module(name):
    return any(name == s or name.startswith(s + ".") for s in SERVER)

class Block:
    def find_spec(self, name, path=None, target=None):
        if server_module(name):
            raise ImportError(f"the SDK must not import {name}")
        return None

sys.meta_path.insert(0, Block())
import didstore.client
from didstore.client import AsyncClient, Client
Client(auth_id="MA_X", auth_token="t").close()
loaded = sorted(m for m in sys.modules if server_module(m))
assert not loaded, loaded
print("ok")
"""


def test_sdk_imports_without_server_dependencies() -> None:
    done = subprocess.run(
        [sys.executable, "-c", BLOCKER], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
