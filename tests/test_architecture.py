"""Arrows point inward: the domain imports no framework or database code."""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "didstore"
FORBIDDEN_IN_DOMAIN = (
    "sqlalchemy",
    "fastapi",
    "starlette",
    "didstore.services",
    "didstore.db",
    "didstore.api",
    "httpx",
)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_domain_is_pure() -> None:
    for path in (SRC / "domain").glob("*.py"):
        bad = {n for n in _imports(path) if n.startswith(FORBIDDEN_IN_DOMAIN)}
        assert not bad, f"{path.name} imports {bad}"


def test_services_do_not_import_the_http_layer() -> None:
    for path in (SRC / "services").glob("*.py"):
        bad = {n for n in _imports(path) if n.startswith(("fastapi", "starlette", "didstore.api"))}
        assert not bad, f"{path.name} imports {bad}"


def _opens_transactions(path: Path) -> bool:
    """Whether a module calls ``<something>.read()``/``.write()`` in an ``async with``."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.AsyncWith):
            for item in node.items:
                call = item.context_expr
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr in ("read", "write")
                ):
                    return True
    return False


def test_only_services_open_transactions() -> None:
    allowed = {SRC / "db" / "database.py"}  # where read()/write() are defined
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path.parent.name != "services" and path not in allowed and _opens_transactions(path)
    ]
    assert offenders == []


def test_wire_shapes_know_no_framework() -> None:
    for path in (SRC / "wire").glob("*.py"):
        bad = {n for n in _imports(path) if n.startswith(("fastapi", "starlette", "didstore.api"))}
        assert not bad, f"{path.name} imports {bad}"


def test_the_cli_does_not_import_the_http_layer() -> None:
    """The CLI reaches the server through the composition root (operator commands) or the
    SDK (resource commands); ``serve`` names the app by import string."""
    for path in (SRC / "cli").glob("*.py"):
        bad = {n for n in _imports(path) if n.startswith(("fastapi", "starlette", "didstore.api"))}
        assert not bad, f"cli/{path.name} imports {bad}"


def test_the_sdk_does_not_import_the_server() -> None:
    """``didstore.client`` may become its own distribution: it imports only itself."""
    for path in (SRC / "client").rglob("*.py"):
        bad = {
            n
            for n in _imports(path)
            if n.startswith("didstore.") and not n.startswith("didstore.client")
        }
        bad |= {n for n in _imports(path) if n.startswith(("fastapi", "starlette", "sqlalchemy"))}
        assert not bad, f"{path.relative_to(SRC)} imports {bad}"
