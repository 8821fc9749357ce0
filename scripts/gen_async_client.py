"""Generate the async resources from the sync ones (run after editing them):

    python scripts/gen_async_client.py          # rewrite
    python scripts/gen_async_client.py --check  # exit 1 when out of date (the tests run it)

Rules: a method that sends a request becomes ``async def`` and awaits it; list methods stay
plain ``def`` and return an ``AsyncPager`` (``async for``); loops over list methods become
``async for``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "src" / "didstore" / "client"
PAIRS = {"resources.py": "async_resources.py", "partner.py": "async_partner.py"}
HEADER = '"""GENERATED from {src} by scripts/gen_async_client.py: do not edit.\n\n'
_DEF = re.compile(r"^    def (\w+)\(")


def _convert_block(block: list[str]) -> list[str]:
    text = "".join(block)
    sends = (
        "self._c.request(" in text
        or re.search(r"for \w+ in self\.list", text)
        or re.search(r"return self\.get_\w+\(", text)
    )
    is_protocol_request = "def request(self, op: Operation[T]) -> T: ..." in text
    if (sends or is_protocol_request) and not text.lstrip().startswith("def __init__"):
        block = [block[0].replace("    def ", "    async def ", 1), *block[1:]]
    out = []
    for line in block:
        line = line.replace("return self._c.request(", "return await self._c.request(")
        line = re.sub(r"= self\._c\.request\(", "= await self._c.request(", line)
        line = re.sub(r"return self\.(get_\w+)\(", r"return await self.\1(", line)
        line = re.sub(r"^(\s+)for (\w+) in self\.list", r"\1async for \2 in self.list", line)
        out.append(line)
    return out


def generate(src: str) -> str:
    lines = (ROOT / src).read_text().splitlines(keepends=True)
    assert lines[0].startswith('"""')
    lines[0] = HEADER.format(src=src) + lines[0][3:]
    result: list[str] = []
    block: list[str] = []
    for line in lines:
        if _DEF.match(line) or (line and not line.startswith((" ", "\n")) and block):
            result.extend(_convert_block(block) if block and _DEF.match(block[0]) else block)
            block = []
        block.append(line)
    result.extend(_convert_block(block) if block and _DEF.match(block[0]) else block)
    text = "".join(result)
    text = text.replace(
        "from didstore.client.pager import Pager", "from didstore.client.pager import AsyncPager"
    )
    text = re.sub(r"\bPager\[", "AsyncPager[", text)
    text = text.replace(
        "from didstore.client.resources import", "from didstore.client.async_resources import"
    )
    return _format(text, src)


def _format(text: str, src: str) -> str:
    """Run ruff format so the generated file passes ``ruff format --check``."""
    ruff = Path(sys.executable).parent / "ruff"
    command = [str(ruff) if ruff.exists() else "ruff", "format", "--stdin-filename", src, "-"]
    done = subprocess.run(command, input=text, capture_output=True, text=True, check=True)
    return done.stdout


def main() -> int:
    check = "--check" in sys.argv
    stale = []
    for src, dst in PAIRS.items():
        text = generate(src)
        target = ROOT / dst
        if check:
            if not target.exists() or target.read_text() != text:
                stale.append(dst)
        else:
            target.write_text(text)
    if stale:
        print("out of date: " + ", ".join(stale) + " (run scripts/gen_async_client.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
