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
    """No framework, no database, and nothing of ours outside the domain itself."""
    for path in (SRC / "domain").glob("*.py"):
        bad = {n for n in _imports(path) if n.startswith(FORBIDDEN_IN_DOMAIN)}
        bad |= {
            n
            for n in _imports(path)
            if n.startswith("didstore.") and not n.startswith("didstore.domain")
        }
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


# -- the tests tree mirrors src/ (issue 15) ----------------------------------------------------
TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent

#: Every folder of tests/ that holds Python files, and what it mirrors. A feature folder
#: (tests/billing/, tests/routing/, …) is not one of them: a feature's tests live beside the
#: code they test (unit/domain/, services/, api/…).
TEST_FOLDERS = {
    "unit": "pure modules outside domain/ (test_<package>_<module>.py)",
    "unit/domain": "src/didstore/domain/",
    "services": "src/didstore/services/",
    "api": "src/didstore/api/ and api/routes/",
    "db": "src/didstore/db/",
    "sdk": "src/didstore/client/, against a real server process",
    "cli": "src/didstore/cli/, running the real executable",
    "console": "src/didstore/console/",
    "e2e": "real server and worker processes, the real vobiz-python SDK",
    "deploy": "deploy/, Dockerfile, compose.yaml",
    "bench": "bench/",
}

#: tests/services/ files that test what several services (or the database's triggers and
#: indexes) keep true together, so they name no single service module.
SERVICE_TOPICS = {
    "auth_cache_and_owned_list": "the authentication cache and the owned list's totals",
    "number_counts": "number_counts kept by triggers (migration 0008) through a number's life",
    "owned_visibility": "the two spellings of 'visible as owned at now' select the same rows",
    "search_index": "the search index (migration 0009, ADR 0016) against plain filters",
    "races": "the business invariants under concurrent calls across services",
}

#: tests/api/ files about a concern that crosses routers.
API_TOPICS = {
    "bad_inputs": "no 500 for any odd input, whichever route",
    "conflicts": "which 409s are retryable (Retry-After) across routes",
    "inventory": "operator import (admin router) and customer search (numbers router)",
    "outages": "503 with Retry-After from every route when the database is down",
    "plivo_accounts": "the Plivo account alias in every account-shaped answer",
    "purchase": "purchase from inventory, the numbers router's main use case",
    "route_lookup": "the SIP router's lookup (routing_admin) for every route reason",
}


def _modules(folder: Path) -> set[str]:
    """Module and package names in ``folder`` (``__init__`` aside)."""
    names = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
    names |= {p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("_")}
    return names


def _test_stems(folder: Path) -> list[str]:
    return sorted(p.stem.removeprefix("test_") for p in folder.glob("test_*.py"))


def _names_a_module(stem: str, modules: set[str]) -> bool:
    """``X`` or ``X_<aspect>`` for a module ``X``."""
    return any(stem == m or stem.startswith(m + "_") for m in modules)


def test_the_tests_tree_has_no_feature_folders() -> None:
    folders = {
        str(p.parent.relative_to(TESTS))
        for p in TESTS.rglob("*.py")
        if p.parent != TESTS and "__pycache__" not in p.parts
    }
    assert folders <= TEST_FOLDERS.keys(), (
        f"tests/{sorted(folders - TEST_FOLDERS.keys())} mirror nothing in src/: put service "
        "tests in tests/services/, HTTP tests in tests/api/ (see CONTRIBUTING.md)"
    )
    assert [p.name for p in TESTS.glob("test_*.py")] == ["test_architecture.py"]


def test_domain_tests_name_a_domain_module_and_every_rule_module_has_one() -> None:
    modules = _modules(SRC / "domain")
    stems = _test_stems(TESTS / "unit" / "domain")
    assert [s for s in stems if s not in modules] == []
    # errors.py holds the refusal classes; their codes and statuses are tested through the
    # one error table (tests/api/test_conflicts.py, tests/api/test_bad_inputs.py).
    assert sorted(modules - set(stems) - {"errors"}) == []


def test_unit_tests_outside_domain_name_a_module() -> None:
    for stem in _test_stems(TESTS / "unit"):
        package, _, module = stem.partition("_")
        assert (SRC / package / f"{module}.py").exists(), f"tests/unit/test_{stem}.py"


def test_service_tests_name_a_service_module() -> None:
    modules = _modules(SRC / "services")
    stems = _test_stems(TESTS / "services")
    strays = [s for s in stems if not _names_a_module(s, modules) and s not in SERVICE_TOPICS]
    assert strays == [], f"tests/services/test_{strays}: name a services/ module (or a topic)"
    assert sorted(SERVICE_TOPICS.keys() - set(stems)) == []  # no stale entry


def test_api_tests_name_a_router_or_an_api_module() -> None:
    modules = _modules(SRC / "api" / "routes") | _modules(SRC / "api")
    stems = _test_stems(TESTS / "api")
    strays = [s for s in stems if not _names_a_module(s, modules) and s not in API_TOPICS]
    assert strays == [], f"tests/api/test_{strays}: name a router in api/routes/ (or a topic)"
    assert sorted(API_TOPICS.keys() - set(stems)) == []  # no stale entry


def test_db_tests_name_a_db_module() -> None:
    modules = _modules(SRC / "db")
    assert [s for s in _test_stems(TESTS / "db") if not _names_a_module(s, modules)] == []


def _service_classes() -> set[str]:
    """The classes of didstore.services that bootstrap.py imports (and builds once)."""
    tree = ast.parse((SRC / "bootstrap.py").read_text())
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("didstore.services")
        for alias in node.names
        if alias.name[:1].isupper()
    }


def test_services_are_created_only_in_bootstrap() -> None:
    """One instance of each service per process, made by ``bootstrap.build``: a module that
    made its own would bypass the settings (and caches) the composition root gives them."""
    classes = _service_classes()
    assert {"NumberService", "WalletService", "Jobs"} <= classes
    offenders = []
    for path in SRC.rglob("*.py"):
        if path == SRC / "bootstrap.py":
            continue
        tree = ast.parse(path.read_text())
        # the service classes this module can reach: imported from didstore.services, or
        # defined in it when it is a services module (the SDK has classes of the same names)
        reachable = {
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            and (node.module or "").startswith("didstore.services")
            for alias in node.names
        }
        if path.is_relative_to(SRC / "services"):
            reachable |= {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name in classes and (name in reachable or isinstance(func, ast.Attribute)):
                    offenders.append(f"{path.relative_to(SRC)}:{node.lineno} {name}(…)")
    assert offenders == []


# -- what tests may import ----------------------------------------------------------------------
def _test_module_imports(tree: ast.Module, package: str) -> list[str]:
    """The ``test_*`` modules a test file imports (``package``: its own, for relative imports).
    Shared helpers live in tests/support.py, tests/conftest.py (and a folder's conftest.py or
    plain helper module), never in another test module: importing one runs its tests' module
    code, ties two test files together and hides the helper from whoever looks for it."""
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if _is_test_module(a.name)]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            if _is_test_module(base):
                found.append(base)
            found += [f"{base}.{a.name}" for a in node.names if a.name.startswith("test_")]
    return found


def _is_test_module(dotted: str) -> bool:
    return any(part.startswith("test_") for part in dotted.split("."))


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _private_didstore_names(tree: ast.Module) -> list[str]:
    """Private names of didstore a file uses: imported (``from didstore.x import _y``), or
    read off a name it imported from didstore (``database._run``, ``Client._http``). A test
    of a private name breaks on every refactor and proves nothing a user sees. An attribute
    of an object (``client._http``) is out of reach of this check: reviewers look for it."""
    found: list[str] = []
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("didstore"):
            found += [f"{node.module}.{a.name}" for a in node.names if _private(a.name)]
            imported |= {a.asname or a.name for a in node.names}
        elif isinstance(node, ast.Import):
            imported |= {
                a.asname or a.name.split(".")[0]
                for a in node.names
                if a.name.startswith("didstore")
            }
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            chain = [node.attr]
            root: ast.expr = node.value
            while isinstance(root, ast.Attribute):
                chain.insert(0, root.attr)
                root = root.value
            if isinstance(root, ast.Name) and root.id in imported:
                found.append(".".join([root.id, *chain]))
    return found


def _test_files() -> list[Path]:
    return [p for p in TESTS.rglob("*.py") if "__pycache__" not in p.parts]


def _package(path: Path) -> str:
    return ".".join(path.parent.relative_to(TESTS.parent).parts)


def test_no_test_module_imports_another_test_module() -> None:
    offenders = {
        str(p.relative_to(TESTS.parent)): found
        for p in _test_files()
        if (found := _test_module_imports(ast.parse(p.read_text()), _package(p)))
    }
    assert offenders == {}, "move the shared helper to tests/support.py or tests/conftest.py"


def test_the_test_import_rule_catches_every_spelling() -> None:
    """The checker itself: each way of importing a test module is found, helpers are not."""
    caught = [
        "from tests.api.test_partner import buy",
        "from tests.e2e import test_wire_contract",
        "import tests.services.test_races",
        "from .test_partner import buy",
        "from . import test_partner",
        "def f():\n    from tests.api.test_outages import database_unusable",
    ]
    for source in caught:
        assert _test_module_imports(ast.parse(source), "tests.api"), source
    allowed = [
        "from tests.conftest import make_account",
        "from tests.support import TestServices",
        "from tests.e2e.vobiz_contract import PAGE",
        "from .conftest import Cli",
        "import pytest",
    ]
    for source in allowed:
        assert _test_module_imports(ast.parse(source), "tests.api") == [], source


def test_no_test_imports_a_private_name_of_didstore() -> None:
    offenders = {
        str(p.relative_to(TESTS.parent)): found
        for p in _test_files()
        if (found := _private_didstore_names(ast.parse(p.read_text())))
    }
    assert offenders == {}, "test the public behaviour (see CONTRIBUTING.md, 'Tests')"


def test_the_private_name_rule_catches_a_private_import() -> None:
    assert _private_didstore_names(ast.parse("from didstore.api.wire import _ts")) == [
        "didstore.api.wire._ts"
    ]
    assert _private_didstore_names(ast.parse("from didstore.db import database")) == []
    assert _private_didstore_names(ast.parse("from didstore import __version__")) == []
    assert _private_didstore_names(ast.parse("from other import _x")) == []
    patched = "from didstore.db import database\ndatabase.SqliteConnection._run = None"
    assert _private_didstore_names(ast.parse(patched)) == ["database.SqliteConnection._run"]
    read = "from didstore.db import database\nx = database._lock_wait"
    assert _private_didstore_names(ast.parse(read)) == ["database._lock_wait"]
    aliased = "import didstore.api.wire as wire\nwire._ts(1)"
    assert _private_didstore_names(ast.parse(aliased)) == ["wire._ts"]
    assert _private_didstore_names(ast.parse("from didstore.db import database\ndatabase.x")) == []
