"""The Dockerfile and compose.yaml, checked without a Docker engine: their wiring (stages,
non-root user, health checks, services, dependencies, volumes), every environment variable
they set is one the code reads, and every command line they run parses with the real CLI.
The image's HEALTHCHECK command itself runs against a real server."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.conftest import drop_database, new_database_url
from tests.deploy.cli_args import (
    LIBRARY_VARIABLES,
    ROOT,
    check_command_line,
    variables_read,
)
from tests.live_server import _free_port, serve_process


@dataclass
class Instruction:
    keyword: str
    args: str

    def exec_form(self) -> list[str]:
        value = json.loads(self.args)
        assert isinstance(value, list), self.args
        return [str(v) for v in value]


def dockerfile() -> list[list[Instruction]]:
    """The Dockerfile's build stages, each a list of instructions (continuations joined,
    comments and the parser directive dropped)."""
    stages: list[list[Instruction]] = [[]]  # stage 0: the ARGs before the first FROM
    logical = ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.lstrip().startswith("#") or not (line.strip() or logical):
            continue
        logical += line.rstrip("\\").strip() + " " if line.endswith("\\") else line.strip()
        if line.endswith("\\"):
            continue
        keyword, _, args = logical.partition(" ")
        logical = ""
        if keyword.upper() == "FROM":
            stages.append([])
        stages[-1].append(Instruction(keyword.upper(), args.strip()))
    return stages


def env_of(stage: list[Instruction]) -> dict[str, str]:
    found: dict[str, str] = {}
    for i in stage:
        if i.keyword == "ENV":
            for word in shlex.split(i.args):
                key, _, value = word.partition("=")
                found[key] = value
    return found


def only(stage: list[Instruction], keyword: str) -> Instruction:
    [found] = [i for i in stage if i.keyword == keyword]
    return found


def test_dockerfile_is_multi_stage_on_slim_python_3_11() -> None:
    stages = dockerfile()
    args = dict(a.args.split("=", 1) for a in stages[0] if a.keyword == "ARG")
    bases = [re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], s[0].args) for s in stages[1:]]
    assert len(bases) >= 2
    assert bases[0].endswith(" AS build")
    final = stages[-1]
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?", bases[-1]), bases[-1]
    assert any(i.keyword == "COPY" and "--from=build" in i.args for i in final)
    # what the build stage copies exists and is not excluded from the build context
    ignored = (ROOT / ".dockerignore").read_text().split()
    for copy in (i for i in stages[1] if i.keyword == "COPY"):
        for source in copy.args.split()[:-1]:
            assert (ROOT / source).exists(), source
            assert source.rstrip("/") not in ignored, source


def test_the_image_runs_as_a_non_root_user() -> None:
    final = dockerfile()[-1]
    users = [i for i in final if i.keyword == "USER"]
    assert users, "no USER in the final stage"
    user = users[-1].args.split(":")[0]
    assert user not in ("root", "0"), user
    created = " ".join(i.args for i in final if i.keyword == "RUN")
    assert re.search(rf"useradd [^&]*--uid {user}\b", created), "the USER is not created"
    last_user = max(n for n, i in enumerate(final) if i.keyword == "USER")
    assert last_user < final.index(only(final, "ENTRYPOINT"))


def test_the_image_serves_on_all_interfaces_with_its_data_in_a_volume() -> None:
    final = dockerfile()[-1]
    command = only(final, "ENTRYPOINT").exec_form() + only(final, "CMD").exec_form()
    assert command == ["didstore", "serve", "--host", "0.0.0.0"]
    check_command_line(command[1:])
    env = env_of(final)
    assert set(env) - {"PATH", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE"} <= variables_read()
    database = urlsplit(env["DIDSTORE_DATABASE_URL"])
    assert database.scheme == "sqlite"
    data_dir = str(Path(database.path[1:]).parent)  # sqlite:////abs/path -> /abs/path
    assert only(final, "VOLUME").exec_form() == [data_dir]
    assert only(final, "WORKDIR").args == data_dir
    assert created_for_user(final, data_dir)
    assert only(final, "EXPOSE").args == env["DIDSTORE_PORT"]


def created_for_user(stage: list[Instruction], directory: str) -> bool:
    runs = " ".join(i.args for i in stage if i.keyword == "RUN")
    return bool(re.search(rf"install -d -o didstore -g didstore [^&]*{re.escape(directory)}", runs))


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("healthcheck")
    url = new_database_url(tmp, "health")
    try:
        with serve_process(tmp, url) as base:
            yield base
    finally:
        drop_database(url)


@pytest.mark.e2e
def test_the_image_healthcheck_command_passes_on_a_ready_server_only(live_url: str) -> None:
    health = only(dockerfile()[-1], "HEALTHCHECK")
    options, _, cmd = health.args.partition("CMD ")
    assert "--interval=" in options and "--start-period=" in options
    argv = json.loads(cmd)
    assert argv[0] == "python" and "/healthz" in argv[-1]
    port = urlsplit(live_url).port
    run = [sys.executable, *argv[1:]]
    ok = subprocess.run(run, env={"DIDSTORE_PORT": str(port)}, capture_output=True, timeout=30)
    assert ok.returncode == 0, ok.stderr
    closed = subprocess.run(
        run, env={"DIDSTORE_PORT": str(_free_port())}, capture_output=True, timeout=30
    )
    assert closed.returncode != 0


# -- compose.yaml ---------------------------------------------------------------------------
COMPOSE_ENV = {"POSTGRES_PASSWORD": "s3cr3t", "DIDSTORE_ADMIN_TOKEN": "", "DIDSTORE_GRACE_DAYS": ""}
_VARIABLE = re.compile(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?error}``."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(m: re.Match[str]) -> str:
        name, op, arg = m.group(1), m.group(2), m.group(3)
        current = env.get(name)
        if op and op.endswith("?") and not current:
            raise KeyError(f"{name}: {arg}")
        if op and op.endswith("-") and not current:
            return arg
        return current or ""

    return _VARIABLE.sub(one, value)


def compose_raw() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def compose() -> dict[str, Any]:
    return interpolate(compose_raw(), COMPOSE_ENV)


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    assert isinstance(env, dict), "environment as a map"
    return {k: str(v) for k, v in env.items()}


def test_compose_has_the_database_the_server_and_a_worker() -> None:
    spec = compose()
    services = spec["services"]
    assert set(services) == {"db", "server", "worker"}
    db = services["db"]
    assert db["image"].startswith("postgres:")
    # the image's pg_dump (Debian 12: 15) must be at least the server's major version
    assert int(re.match(r"postgres:(\d+)", db["image"]).group(1)) <= 15  # type: ignore[union-attr]
    [volume] = db["volumes"]
    name, path = volume.split(":")[:2]
    assert path == "/var/lib/postgresql/data" and name in spec["volumes"]
    test = db["healthcheck"]["test"]
    assert test[0] == "CMD" and test[1] == "pg_isready", test
    assert "--host=127.0.0.1" in test  # not healthy while initdb's socket-only server runs
    for name in ("server", "worker"):
        assert services[name]["depends_on"]["db"]["condition"] == "service_healthy"
        assert services[name]["build"] == "." and services[name]["init"] is True


def test_compose_server_and_worker_use_the_database_service() -> None:
    services = compose()["services"]
    db_env = environment(services["db"])
    for name in ("server", "worker"):
        url = urlsplit(environment(services[name])["DIDSTORE_DATABASE_URL"])
        assert url.scheme == "postgresql" and url.hostname == "db", url
        assert url.username == db_env["POSTGRES_USER"]
        assert url.password == db_env["POSTGRES_PASSWORD"] == COMPOSE_ENV["POSTGRES_PASSWORD"]
        assert url.path == "/" + db_env["POSTGRES_DB"]
    with pytest.raises(KeyError, match="POSTGRES_PASSWORD"):
        interpolate(compose_raw(), {})  # no password, no start


def test_compose_commands_parse_with_the_real_cli() -> None:
    services = compose()["services"]
    path, params = check_command_line(services["server"]["command"])
    assert path == ["serve"] and params["host"] == "0.0.0.0" and params["jobs"] is False
    published = services["server"]["ports"][0]
    assert published.startswith("127.0.0.1:")  # for a reverse proxy on the host
    assert int(published.rsplit(":", 1)[1]) == params["port"]
    path, _ = check_command_line(services["worker"]["command"])
    assert path == ["worker"]


def test_compose_health_checks() -> None:
    services = compose()["services"]
    assert "healthcheck" not in services["server"]  # the image's /healthz check applies
    assert services["worker"]["healthcheck"] == {"disable": True}  # no HTTP listener
    # the worker starts once the server has migrated the database
    assert services["worker"]["depends_on"]["server"]["condition"] == "service_healthy"


def test_compose_sets_only_variables_the_code_reads() -> None:
    services = compose()["services"]
    for name in ("server", "worker"):
        unknown = set(environment(services[name])) - variables_read() - set(LIBRARY_VARIABLES)
        assert not unknown, f"{name} sets {unknown}, which nothing reads"
    example = (ROOT / "deploy" / "compose.env.example").read_text()
    keys = set(re.findall(r"^(\w+)=", example, re.M))
    used = set(_VARIABLE.findall((ROOT / "compose.yaml").read_text()))
    assert {u[0] for u in used} <= keys
    assert keys - {"POSTGRES_PASSWORD"} <= variables_read()
