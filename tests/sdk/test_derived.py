"""The sync SDK is derived from the async source and cannot drift from it: the derived files
are current, and every public call of every resource has a live test (each test in this
folder runs in both flavours through the ``flavour`` fixture)."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

from didstore.client import AsyncClient, Client
from didstore.client._async.runner import Resource

ROOT = Path(__file__).resolve().parents[2]


def test_sync_files_are_derived_from_the_async_source() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "unasync_client.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_flavours_have_the_same_calls() -> None:
    def surface(cls: type) -> dict[str, bool]:
        return {
            name: inspect.iscoroutinefunction(getattr(cls, name))
            for name in dir(cls)
            if not name.startswith("_")
        }

    sync_surface, async_surface = surface(Client), surface(AsyncClient)
    assert sync_surface.keys() == async_surface.keys()
    assert not any(sync_surface.values())
    assert async_surface["request"] and async_surface["close"]


def _resource_calls() -> set[tuple[str, str]]:
    """(group attribute, method) for every public call, e.g. ``("trunks", "delete")``."""
    calls: set[tuple[str, str]] = set()

    def walk(owner: type) -> None:
        hints = inspect.get_annotations(owner, eval_str=True)
        for attr in sorted(set(dir(owner)) | set(hints)):
            value = getattr(owner, attr, None)
            kind = getattr(value, "fget", None) or getattr(value, "func", None)
            returned = None
            if kind is not None:
                returned = inspect.get_annotations(kind, eval_str=True).get("return")
            returned = returned or hints.get(attr)
            if isinstance(returned, type) and issubclass(returned, Resource):
                for name, _ in inspect.getmembers(returned, inspect.isfunction):
                    if not name.startswith("_"):
                        calls.add((attr, name))
                walk(returned)

    walk(AsyncClient)
    return calls


def _called_in_tests() -> set[tuple[str, str]]:
    called: set[tuple[str, str]] = set()
    for path in Path(__file__).parent.glob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                if isinstance(owner, ast.Attribute):
                    called.add((owner.attr, node.func.attr))
    return called


def test_every_public_call_has_a_live_test() -> None:
    calls = _resource_calls()
    assert ("phone_numbers", "get_number") in calls and ("reports", "kyc") in calls
    missing = sorted(calls - _called_in_tests())
    assert not missing, f"SDK calls without a test in tests/sdk: {missing}"
