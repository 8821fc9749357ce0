"""docs/deployment.md and LICENSE match what the code and pyproject.toml say: the variables
documented are the ones the code reads (all of them), every ``didstore`` command line in
the guide parses with the real CLI, and LICENSE is the Apache License 2.0, unaltered."""

from __future__ import annotations

import hashlib
import re
import shlex
import tomllib
from pathlib import Path

from typer.main import get_command

from didstore.cli.main import app
from tests.deploy.cli_args import (
    LIBRARY_VARIABLES,
    ROOT,
    check_command_line,
    server_variables,
    variables_read,
)

GUIDE = ROOT / "docs" / "deployment.md"
#: sha256 of the Apache License 2.0 text as apache.org and Debian
#: (/usr/share/common-licenses/Apache-2.0) distribute it
APACHE_2_SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"
DEBIAN_COPY = Path("/usr/share/common-licenses/Apache-2.0")


def test_the_guide_documents_exactly_the_variables_the_server_reads() -> None:
    text = GUIDE.read_text()
    mentioned = set(re.findall(r"DIDSTORE_[A-Z0-9_]+", text))
    assert mentioned <= variables_read(), f"not read by the code: {mentioned - variables_read()}"
    table = {m for m in re.findall(r"^\| `(\w+)` \|", text, re.M) if m.startswith("DIDSTORE_")}
    assert table == set(server_variables()), (
        f"missing from the table: {server_variables() - table}; not server-side: "
        f"{table - server_variables()}"
    )
    for name in LIBRARY_VARIABLES:
        assert f"| `{name}` |" in text


def _command_lines() -> list[list[str]]:
    """Every ``didstore`` invocation in the guide's code blocks, as argv after ``didstore``."""
    roots = set(get_command(app).commands)  # type: ignore[attr-defined]
    found: list[list[str]] = []
    for block in re.findall(r"^ *```[a-z]*\n(.*?)^ *```", GUIDE.read_text(), re.S | re.M):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = re.sub(r"\$\([^)]*\)", "X", line.split(" #")[0])
            words = [w.strip("[]") for w in shlex.split(line)]
            for stop in ("|", "&&", ";", "2>&1"):
                if stop in words:
                    words = words[: words.index(stop)]
            if words[:3] == ["docker", "compose", "run"] and "server" in words:
                found.append(words[words.index("server") + 1 :])
                continue
            for i, word in enumerate(words[:-1]):
                if (word == "didstore" or word.endswith("/bin/didstore")) and words[i + 1] in roots:
                    found.append(words[i + 1 :])
                    break
    return found


def test_every_command_line_in_the_guide_parses_with_the_real_cli() -> None:
    lines = _command_lines()
    commands = {" ".join(line[:2]) for line in lines}
    assert {"db backup", "db restore", "db upgrade", "ledger verify"} <= commands, commands
    for argv in lines:
        check_command_line(argv)


def test_license_is_the_apache_license_2_0_with_our_copyright() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0"
    first, rest = (ROOT / "LICENSE").read_text().split("\n", 1)
    assert first == "Copyright 2026 The didstore authors"
    assert hashlib.sha256(rest.encode()).hexdigest() == APACHE_2_SHA256
    if DEBIAN_COPY.exists():
        assert rest == DEBIAN_COPY.read_text()


def test_the_readme_points_to_the_guide() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Deploying", 1)[1].split("\n## ", 1)[0]
    assert "(docs/deployment.md)" in section
