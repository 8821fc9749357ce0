"""Extract the fenced examples of a guide, so the tests can run them and compare what they
print with the output the guide shows.

A fence ```python (or ```sh) is an example; a ```text fence right after it is the output it
prints. In an output block, ``<…>`` stands for any text within a line (an id, a date) and a
line holding only ``…`` for any number of lines; runs of white space compare equal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"
_FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```[ \t]*\n?", re.S | re.M)


@dataclass
class Block:
    lang: str
    code: str
    output: str | None = None


def blocks(name: str, lang: str) -> list[Block]:
    """The guide's ``lang`` examples in order, each with the ```text block that follows it."""
    text = (DOCS / name).read_text()
    found: list[Block] = []
    previous_end = -1
    for match in _FENCE.finditer(text):
        kind = match.group(1)
        follows = bool(found) and not text[previous_end : match.start()].strip()
        if kind == lang:
            found.append(Block(lang, match.group(3)))
        elif kind == "text" and follows and found[-1].output is None:
            found[-1].output = match.group(3)
        previous_end = match.end()
    return found


def output_pattern(expected: str) -> re.Pattern[str]:
    """A regular expression for an output block (see the module docstring)."""
    parts: list[str] = []
    for line in expected.strip().splitlines():
        if line.strip() == "…":
            parts.append(r"(?:[^\n]*\n)*?")
            continue
        pieces = [
            r"\s+".join(re.escape(word) for word in literal.split())
            for literal in line.strip().split("<…>")
        ]
        parts.append(r"[^\n]*?".join(pieces) + r"[ \t]*\n")
    return re.compile("".join(parts) + r"\Z")


def matches(expected: str, actual: str) -> bool:
    lines = "".join(line.strip() + "\n" for line in actual.strip().splitlines())
    return output_pattern(expected).match(lines) is not None
