"""Every SDK-based command, argument and option says what it is for (``--help``)."""

from __future__ import annotations

from typing import Any

from typer.main import get_command

from didstore.cli.main import app

RESOURCE_GROUPS = (
    "numbers",
    "trunks",
    "applications",
    "subaccounts",
    "partner",
    "events",
    "webhooks",
    "reservations",
)
RESOURCE_COMMANDS = ("balance", "transactions")


def _commands() -> list[tuple[str, Any]]:
    """(name, command) of every resource command (typer's own click objects)."""
    root: Any = get_command(app)
    found: list[tuple[str, Any]] = []
    for name in RESOURCE_GROUPS:
        group = root.commands[name]
        assert group.commands and group.help, name
        found.extend((f"{name} {sub}", cmd) for sub, cmd in group.commands.items())
    found.extend((name, root.commands[name]) for name in RESOURCE_COMMANDS)
    return found


def test_every_resource_command_and_parameter_has_help() -> None:
    commands = _commands()
    assert len(commands) >= 25
    missing = []
    for name, cmd in commands:
        if not (cmd.help or "").strip():
            missing.append(name)
        for param in cmd.params:
            if not (getattr(param, "help", None) or "").strip():
                missing.append(f"{name} {param.name}")
    assert not missing, f"no help text: {missing}"


def test_the_new_commands_are_there() -> None:
    names = {name for name, _ in _commands()}
    for expected in (
        "numbers show",
        "subaccounts list",
        "subaccounts create",
        "subaccounts show",
        "subaccounts update",
        "subaccounts delete",
        "partner customers",
        "partner numbers",
        "partner reports",
    ):
        assert expected in names
