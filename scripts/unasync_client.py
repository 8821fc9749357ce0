"""Derive the sync SDK (``src/didstore/client/_sync/``) from the async source
(``src/didstore/client/_async/``) with the ``unasync`` library:

    python scripts/unasync_client.py          # rewrite the sync files
    python scripts/unasync_client.py --check  # exit 1 when they are stale (a test runs this)

``unasync`` works on tokens, not guesses: it deletes every ``async`` and ``await`` keyword
and renames the names below, so a call the async source awaits is a plain call in the sync
one, and an await missing from the async source is a mypy error there (an unused or returned
coroutine) before anything is derived. The output is formatted with ruff so the derived
files pass the same lint as the rest of the tree.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import unasync

CLIENT = Path(__file__).resolve().parent.parent / "src" / "didstore" / "client"
SOURCE, TARGET = CLIENT / "_async", CLIENT / "_sync"
HEADER = "# GENERATED from _async/{name} by scripts/unasync_client.py: do not edit.\n"

#: async name -> sync name (unasync already maps __aenter__, __aiter__, AsyncIterator...).
REPLACEMENTS = {
    "_async": "_sync",  # the package in import paths
    "AsyncClient": "Client",  # ours and httpx's
    "AsyncPager": "Pager",
    "aclose": "close",
    "asyncio": "time",  # asyncio.sleep -> time.sleep
    # core.PagerBase: an async pager's total needs the first page fetched already; a sync
    # pager fetches it on demand.
    "_fetched_first_page": "first_page",
    # httpx's streamed response
    "aiter_bytes": "iter_bytes",
    "aread": "read",
}


def derive() -> dict[str, str]:
    """File name -> derived, formatted text, for every module of the async source."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "_async"
        shutil.copytree(SOURCE, work, ignore=shutil.ignore_patterns("__pycache__"))
        files = sorted(str(p) for p in work.glob("*.py"))
        rule = unasync.Rule("/_async/", "/_sync/", additional_replacements=REPLACEMENTS)
        unasync.unasync_files(files, [rule])
        derived = Path(tmp) / "_sync"
        return {
            p.name: _tidy(HEADER.format(name=p.name) + p.read_text(), p.name)
            for p in sorted(derived.glob("*.py"))
        }


def _tidy(text: str, name: str) -> str:
    """Sort imports (renames can unsort them), apply the pyupgrade fixes that only the sync
    form allows (``yield from``), and format, as the rest of the tree is."""
    ruff = Path(sys.executable).parent / "ruff"
    exe = str(ruff) if ruff.exists() else "ruff"
    stdin_name = str(TARGET / name)
    fixed = subprocess.run(
        [
            exe,
            "check",
            "--select",
            "I,UP",
            "--fix",
            "--unsafe-fixes",
            "--quiet",
            "--stdin-filename",
            stdin_name,
            "-",
        ],
        input=text,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return subprocess.run(
        [exe, "format", "--stdin-filename", stdin_name, "-"],
        input=fixed,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def main() -> int:
    check = "--check" in sys.argv[1:]
    wanted = derive()
    present = {p.name for p in TARGET.glob("*.py")} if TARGET.exists() else set()
    stale = sorted(
        name
        for name in wanted.keys() | present
        if name not in wanted or name not in present or (TARGET / name).read_text() != wanted[name]
    )
    if check:
        if stale:
            print("stale: _sync/" + ", _sync/".join(stale) + " (run scripts/unasync_client.py)")
            return 1
        return 0
    TARGET.mkdir(exist_ok=True)
    for name in present - wanted.keys():
        (TARGET / name).unlink()
    for name, text in wanted.items():
        (TARGET / name).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
