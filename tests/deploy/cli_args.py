"""Checks that a command line written into a deployment file (Dockerfile, compose.yaml, a
systemd unit) is one the real ``didstore`` CLI accepts, and which ``DIDSTORE_*`` variables
the code reads."""

from __future__ import annotations

import os
import re
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

from typer.core import TyperGroup
from typer.main import get_command

from didstore.cli.main import app
from tests.live_server import DIDSTORE

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "didstore"
_FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
#: variables read by libraries the server runs on, not by didstore's own code
LIBRARY_VARIABLES = {"FORWARDED_ALLOW_IPS": "uvicorn: proxies whose X-Forwarded-For counts"}


def parse(args: list[str]) -> tuple[list[str], dict[str, Any]]:
    """The sub-command path and the parameters click parses from ``didstore ARGS`` (raises
    a usage error for an unknown command, option or bad value); nothing runs."""
    command: Any = get_command(app)
    ctx = command.make_context("didstore", list(args))
    path: list[str] = []
    while isinstance(command, TyperGroup):
        rest = [*ctx._protected_args, *ctx.args]
        name, command, rest = command.resolve_command(ctx, rest)
        assert name is not None and command is not None
        path.append(name)
        ctx = command.make_context(name, rest, parent=ctx)
    return path, ctx.params


@cache
def help_flags(*command: str) -> frozenset[str]:
    """The options ``didstore COMMAND --help`` lists (the installed executable)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIDSTORE_")}
    done = subprocess.run(
        [DIDSTORE, *command, "--help"],
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return frozenset(_FLAG.findall(done.stdout))


def check_command_line(args: list[str]) -> tuple[list[str], dict[str, Any]]:
    """``args`` (after ``didstore``) parse, and every flag in them is in the command's help."""
    path, params = parse(args)
    used = {a.split("=", 1)[0] for a in args if a.startswith("--")}
    missing = used - help_flags(*path)
    assert not missing, f"didstore {' '.join(path)} --help lists no {sorted(missing)}"
    return path, params


@cache
def variables_read() -> frozenset[str]:
    """Every ``DIDSTORE_*`` name the source spells as a string literal (``os.environ``
    reads, ``envvar=`` of CLI options)."""
    found: set[str] = set()
    for path in SRC.rglob("*.py"):
        found.update(re.findall(r"""["'](DIDSTORE_[A-Z0-9_]+)["']""", path.read_text()))
    return frozenset(found)


def server_variables() -> frozenset[str]:
    """The variables that configure a server or worker (not the client side: SDK, CLI)."""
    client = SRC / "client"
    found: set[str] = set()
    for path in SRC.rglob("*.py"):
        if client in path.parents or path.name == "remote.py":
            continue
        found.update(re.findall(r"""["'](DIDSTORE_[A-Z0-9_]+)["']""", path.read_text()))
    return frozenset(found)
