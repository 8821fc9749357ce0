"""CLI tests run the real ``didstore`` executable against a real server process."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.live_server import DIDSTORE, Account, LiveServer, run_server


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from run_server(tmp_path_factory.mktemp("cli-server"), "cli")


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@dataclass
class Cli:
    live: LiveServer
    account: Account

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DIDSTORE_")}
        env.update(
            DIDSTORE_URL=self.live.url,
            DIDSTORE_AUTH_ID=self.account.auth_id,
            DIDSTORE_AUTH_TOKEN=self.account.auth_token,
            COLUMNS="200",
        )
        env.update(extra)
        return env

    def __call__(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        stdin: str | None = None,
        real: bool = False,
    ) -> Result:
        """Run in-process (fast) or, with ``real=True``, as the installed executable."""
        if not real:
            return self._in_process(list(args), env if env is not None else self.env(), stdin)
        done = subprocess.run(
            [DIDSTORE, *args],
            env=env if env is not None else self.env(),
            capture_output=True,
            text=True,
            input=stdin,
            timeout=120,
        )
        return Result(done.returncode, done.stdout, done.stderr)

    @staticmethod
    def _in_process(args: list[str], env: dict[str, str], stdin: str | None) -> Result:
        from typer.testing import CliRunner

        from didstore.cli.main import app

        # the runner overlays env on os.environ: unset every DIDSTORE_* it does not give
        overlay: dict[str, str | None] = {k: None for k in os.environ if k.startswith("DIDSTORE_")}
        overlay.update(env)
        result = CliRunner().invoke(app, args, env=overlay, input=stdin, catch_exceptions=False)
        return Result(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def account(live: LiveServer) -> Account:
    return live.create_account(balance=2000, release_fee=7)


@pytest.fixture
def cli(live: LiveServer, account: Account) -> Cli:
    return Cli(live, account)
