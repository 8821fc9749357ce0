"""The migration plan: for each Plivo number, a replacement from didstore's inventory, the
applications and sub-accounts to recreate, and what it all costs. Pure: no I/O; the command
(``cli/migrate.py``) reads both sides and writes the plan.

A replacement is a number in stock in the same country and of the same type, whose
capabilities include the source's; among those, one in the same region comes first, then
the one sharing the longest prefix with the source number, then the lowest number. No
number is picked twice.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from didstore.domain.money import currency, to_minor, to_units
from didstore.migration.plivo_source import Source, SourceApp, SourceNumber

PLAN_VERSION = 1


@dataclass(frozen=True)
class Candidate:
    """A number in didstore's stock, as the planner compares it."""

    e164: str
    country: str
    number_type: str
    region: str
    services: tuple[str, ...]
    setup_fee: float
    monthly_fee: float
    currency: str


def _region_key(region: str) -> str:
    return region.split(",")[0].strip().lower()


def _shared_prefix(a: str, b: str) -> int:
    size = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        size += 1
    return size


def pick(
    source: SourceNumber, candidates: Iterable[Candidate], taken: set[str]
) -> tuple[Candidate | None, str]:
    """The best replacement still free, or ``None`` and why there is none."""
    pool = [c for c in candidates if c.country == source.country]
    if not pool:
        return None, f"no numbers in stock in {source.country or 'its country'}"
    pool = [c for c in pool if c.number_type == source.number_type]
    if not pool:
        return None, f"no {source.number_type} numbers in stock in {source.country}"
    wanted = set(source.services)
    pool = [c for c in pool if wanted <= set(c.services)]
    if not pool:
        return None, (
            f"no {source.number_type} number in {source.country} with {', '.join(sorted(wanted))}"
        )
    pool = [c for c in pool if c.e164 not in taken]
    if not pool:
        return None, "every matching number is already planned for another one"
    region = _region_key(source.region)

    def rank(c: Candidate) -> tuple[int, int, str]:
        same = bool(region) and _region_key(c.region) == region
        return (0 if same else 1, -_shared_prefix(c.e164[1:], source.number), c.e164)

    return min(pool, key=rank), ""


_APP_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def app_name(name: str, app_id: str) -> str:
    """didstore application names take letters, digits, ``-`` and ``_``."""
    cleaned = _APP_NAME.sub("-", name).strip("-")[:100]
    return cleaned or f"plivo-{app_id}"


def build(
    source: Source,
    candidates: Mapping[str, Sequence[Candidate]],
    *,
    balances: Mapping[str, float],
    trunks: Mapping[str, str],
    source_ref: Mapping[str, str],
    target_ref: Mapping[str, str],
) -> dict[str, Any]:
    """The plan as written to ``plan.json``. ``candidates`` maps each source number (digits)
    to the stock it may be replaced from; ``trunks`` maps a source ``app_id`` to a didstore
    trunk that replaces it (the ``--map`` file)."""
    taken: set[str] = set()
    numbers: list[dict[str, Any]] = []
    missing: list[dict[str, Any]] = []
    for n in source.numbers:
        found, why = pick(n, candidates.get(n.number, ()), taken)
        if found is None:
            missing.append({"source": n.number, "reason": why})
            continue
        taken.add(found.e164)
        numbers.append(
            {
                "source": n.number,
                "country": n.country,
                "number_type": n.number_type,
                "region": n.region,
                "services": list(n.services),
                "source_app_id": n.app_id,
                "alias": n.alias,
                "source_sub_account": n.sub_account,
                "replacement": found.e164,
                "replacement_region": found.region,
                "shared_prefix": _shared_prefix(found.e164[1:], n.number),  # digits
                "setup_fee": found.setup_fee,
                "monthly_fee": found.monthly_fee,
                "currency": found.currency,
            }
        )
    return _sealed(
        {
            "version": PLAN_VERSION,
            "source": dict(source_ref),
            "target": dict(target_ref),
            "numbers": numbers,
            "unreplaceable": missing,
            "applications": [_app(a, trunks) for a in source.applications],
            "sub_accounts": _subs(source, numbers),
            "cost": cost(numbers, balances),
        }
    )


def _app(a: SourceApp, trunks: Mapping[str, str]) -> dict[str, Any]:
    if a.app_id in trunks:
        return {"source_app_id": a.app_id, "action": "trunk", "trunk_id": trunks[a.app_id]}
    return {
        "source_app_id": a.app_id,
        "action": "create",
        "app_name": app_name(a.app_name, a.app_id),
        **a.fields,
    }


def _subs(source: Source, numbers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = {s.auth_id: s.name for s in source.sub_accounts}
    used = sorted({str(n["source_sub_account"]) for n in numbers if n["source_sub_account"]})
    return [{"source": s, "name": names.get(s, s), "action": "create"} for s in used]


def cost(numbers: Sequence[Mapping[str, Any]], balances: Mapping[str, float]) -> dict[str, Any]:
    """Per currency: setup fees, first months, their total, the wallet balance, and whether
    it covers the total (integer minor units inside, currency units on the way out)."""
    sums: dict[str, list[int]] = {}
    for n in numbers:
        cur = currency(n["currency"])
        line = sums.setdefault(cur.code, [0, 0])
        line[0] += to_minor(str(n["setup_fee"]), cur)
        line[1] += to_minor(str(n["monthly_fee"]), cur)
    out: dict[str, Any] = {}
    for code, (setup, monthly) in sorted(sums.items()):
        cur = currency(code)
        have = to_minor(str(balances.get(code, 0)), cur)
        out[code] = {
            "numbers": sum(1 for n in numbers if n["currency"] == code),
            "setup": to_units(setup, cur),
            "first_month": to_units(monthly, cur),
            "total": to_units(setup + monthly, cur),
            "balance": to_units(have, cur),
            "enough": have >= setup + monthly,
        }
    return out


def plan_id(body: Mapping[str, Any]) -> str:
    """A digest of everything the plan decides (later steps bind to it)."""
    decided = {k: v for k, v in body.items() if k != "plan_id"}
    canonical = json.dumps(decided, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _sealed(body: dict[str, Any]) -> dict[str, Any]:
    return {"plan_id": plan_id(body), **body}


def complete(plan: Mapping[str, Any]) -> bool:
    """Every number has a replacement and every currency's wallet covers its cost."""
    return not plan["unreplaceable"] and all(c["enough"] for c in plan["cost"].values())


def as_dict(c: Candidate) -> dict[str, Any]:
    return asdict(c)
