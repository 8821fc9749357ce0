"""Extract the fenced examples of a guide, so the tests can run them.

A fence ```python (or ```sh) is run; ```python requires=<feature> is run only when the
server has that feature (its route does not answer 404 ``no route``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"
_FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```", re.S | re.M)


@dataclass
class Block:
    lang: str
    requires: str | None
    code: str


def blocks(name: str, lang: str) -> list[Block]:
    found = []
    for match in _FENCE.finditer((DOCS / name).read_text()):
        if match.group(1) != lang:
            continue
        tags = dict(t.split("=", 1) for t in match.group(2).split() if "=" in t)
        found.append(Block(lang, tags.get("requires"), match.group(3)))
    return found


def feature_probes(auth_id: str) -> dict[str, tuple[str, str]]:
    """feature -> (method, path) whose presence means the feature has landed."""
    return {
        "trunks": ("GET", f"/api/v1/Account/{auth_id}/trunks"),
        "applications": ("GET", f"/api/v1/Account/{auth_id}/Application/"),
        "subaccount-moves": (
            "POST",
            f"/api/v1/account/{auth_id}/numbers/%2B918049999999/assign-subaccount",
        ),
    }
