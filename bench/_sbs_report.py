"""Summaries of the side-by-side benchmark: medians, shares of the ceiling, aims, the table."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from statistics import median
from typing import Any

from _wrk import Result

#: issue 12's aims, as a share of the FastAPI ceiling measured in the same run
AIMS = {
    "healthz": 80,
    "one": 35,
    "list-25": 25,
    "list-100": 25,
    "page-200": 25,
    "page-400": 25,
    "purchase-one": 10,
    "purchase-many": 10,
}
RSS_AIM_MIB = 100


@dataclass
class CaseRuns:
    """The measured runs of one case: per repeat, the FastAPI and Starlette ceilings just
    before it, the case, the server's RSS and the 1-minute load average just after it."""

    case: str
    fastapi: list[Result] = field(default_factory=list)
    starlette: list[Result] = field(default_factory=list)
    runs: list[Result] = field(default_factory=list)
    rss_mib: list[float] = field(default_factory=list)
    load1: list[float] = field(default_factory=list)
    #: server CPU (user + system, from /proc) per request of each FastAPI and case run, in µs
    fastapi_cpu_us: list[float] = field(default_factory=list)
    cpu_us: list[float] = field(default_factory=list)


def summarize(c: CaseRuns) -> dict[str, Any]:
    ratios = [r.ok_per_second / f.ok_per_second for r, f in zip(c.runs, c.fastapi, strict=True)]
    pct = round(100 * median(ratios), 1)  # the aim is judged on the figure shown
    aim = AIMS.get(c.case)
    by_cpu = [f / r for r, f in zip(c.cpu_us, c.fastapi_cpu_us, strict=True) if r > 0]
    return {
        "case": c.case,
        "rps": round(median(r.ok_per_second for r in c.runs)),
        "pct_of_fastapi": pct,
        "fastapi_rps": round(median(f.ok_per_second for f in c.fastapi)),
        "starlette_rps": round(median(s.ok_per_second for s in c.starlette)),
        "p99_ms": round(median(r.p99_ms for r in c.runs), 1),
        "cpu_us": round(median(c.cpu_us)) if c.cpu_us else None,
        "fastapi_cpu_us": round(median(c.fastapi_cpu_us)) if c.fastapi_cpu_us else None,
        # the share an uncontended core would give: ceiling CPU per request / the case's
        "pct_by_cpu": round(100 * median(by_cpu), 1) if by_cpu else None,
        "errors": sum(r.non2xx + r.socket_errors for r in c.runs),
        "rss_mib": round(max(c.rss_mib), 1),
        "load1": [round(x, 2) for x in c.load1],
        "aim_pct": aim,
        "aim_met": None if aim is None else pct >= aim,
    }


def _aim(row: dict[str, Any]) -> str:
    if row["aim_pct"] is None:
        return ""
    return f"≥ {row['aim_pct']} % {'met' if row['aim_met'] else 'NOT met'}"


def render_table(title: str, rows: list[dict[str, Any]]) -> str:
    out = [
        f"### {title}",
        "",
        "| case | req/s | % of FastAPI | FastAPI req/s | Starlette req/s | p99 ms | errors"
        " | server CPU µs/req (FastAPI) | % by CPU | RSS MiB | load 1 min | aim |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        rss = f"{r['rss_mib']:.0f}" + ("" if r["rss_mib"] <= RSS_AIM_MIB else " (> 100)")
        load = " / ".join(f"{x:.2f}" for x in r["load1"])
        cpu = f"{r['cpu_us']:,} ({r['fastapi_cpu_us']:,})" if r["cpu_us"] is not None else "-"
        by_cpu = f"{r['pct_by_cpu']:.1f} %" if r["pct_by_cpu"] is not None else "-"
        out.append(
            f"| {r['case']} | {r['rps']:,} | {r['pct_of_fastapi']:.1f} % | {r['fastapi_rps']:,}"
            f" | {r['starlette_rps']:,} | {r['p99_ms']} | {r['errors']} | {cpu} | {by_cpu}"
            f" | {rss} | {load}"
            f" | {_aim(r)} |"
        )
    return "\n".join(out)


def render_json(meta: dict[str, Any], sections: dict[str, list[CaseRuns]]) -> str:
    return json.dumps(
        {
            "meta": meta,
            "databases": {
                db: {
                    "rows": [summarize(c) for c in runs],
                    "runs": [asdict(c) for c in runs],
                }
                for db, runs in sections.items()
            },
        },
        indent=2,
    )
