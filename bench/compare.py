"""Side-by-side p50/p99 of several search benchmark runs (JSON files written by search.py).

python bench/compare.py bench/results/search-pg-before.json bench/results/search-pg-after.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(paths: list[str]) -> int:
    raw = [json.loads(Path(p).read_text()) for p in paths]
    # early runs stored a bare list; later ones {"loadavg_at_end": [...], "results": [...]}
    runs = [r if isinstance(r, dict) else {"results": r} for r in raw]
    names = [Path(p).stem for p in paths]
    header = " | ".join(f"{n} p50 / p99 ms" for n in names)
    print(f"| case | {header} |")
    print("|---|" + "---:|" * len(names))
    cases = [r["case"] for r in runs[0]["results"]]
    for case in cases:
        cells = []
        for run in runs:
            row = next((r for r in run["results"] if r["case"] == case), None)
            cells.append(f"{row['p50_ms']} / {row['p99_ms']}" if row else "-")
        print(f"| {case} | " + " | ".join(cells) + " |")
    loads = " / ".join(str(run.get("loadavg_at_end", ["?"])[0]) for run in runs)
    print(f"\n1-minute load average at the end of each run: {loads}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
