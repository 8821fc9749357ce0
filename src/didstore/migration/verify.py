"""Checking an applied plan before the Plivo numbers go (``didstore migrate plivo verify``),
and releasing them (``release``).

Verify: every replacement is held by the account, active, and routed as the plan says (to
the application ``apply`` recreated, to the mapped trunk, in the mapped sub-account); every
Plivo number is still in service (the parallel run). When all of that holds, the
confirmation token is a digest of the plan id and of the numbers verified, so a token from
another plan, or from a verification whose numbers have changed since, does not match.

Release re-verifies, compares the token, and only then deletes on Plivo the numbers whose
replacements verified, and nothing else.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from didstore.client import Client
from didstore.client.errors import NotFoundError
from didstore.migration.apply import Journal
from didstore.migration.plivo_source import PlivoReader, SourceError


@dataclass
class Check:
    source: str
    replacement: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _expected_routing(plan: dict[str, Any], journal: Journal, n: dict[str, Any]) -> dict[str, Any]:
    app = next(
        (a for a in plan["applications"] if str(a["source_app_id"]) == str(n["source_app_id"])),
        None,
    )
    want: dict[str, Any] = {"application_id": None, "trunk_group_id": None}
    if app is not None and app["action"] == "trunk":
        want["trunk_group_id"] = app["trunk_id"]
    elif app is not None:
        want["application_id"] = journal.done.get(f"app:{app['source_app_id']}", {}).get("app_id")
    if n.get("source_sub_account"):
        sub = journal.done.get(f"sub:{n['source_sub_account']}", {})
        want["holder"] = sub.get("auth_id")
    return want


def check(
    client: Client,
    account: str,
    source: PlivoReader,
    plan: dict[str, Any],
    journal: Journal,
) -> list[Check]:
    out: list[Check] = []
    for n in plan["numbers"]:
        c = Check(str(n["source"]), str(n["replacement"]))
        want = _expected_routing(plan, journal, n)
        try:
            held = client.phone_numbers.get_number(account, c.replacement)
        except NotFoundError:
            c.problems.append(f"{c.replacement} is not held by {account} (apply it first)")
        else:
            if held.status != "active":
                c.problems.append(f"{c.replacement} is {held.status}, not active")
            for key in ("application_id", "trunk_group_id"):
                if getattr(held, key) != want[key]:
                    c.problems.append(
                        f"{c.replacement} {key} is {getattr(held, key)}, not {want[key]}"
                    )
            holder = want.get("holder") or account
            if held.account_id != holder:
                c.problems.append(f"{c.replacement} is held by {held.account_id}, not {holder}")
        try:
            source.number(c.source)
        except SourceError as exc:
            c.problems.append(f"the Plivo number {c.source} is not in service: {exc}")
        out.append(c)
    return out


def token(plan: dict[str, Any], checks: list[Check]) -> str:
    """Bound to the plan and to exactly the numbers verified."""
    verified = ",".join(sorted(f"{c.source}>{c.replacement}" for c in checks if c.ok))
    return hashlib.sha256(f"{plan['plan_id']}|{verified}".encode()).hexdigest()[:24]


def checklist(plan: dict[str, Any]) -> list[str]:
    """What still names the old numbers, for a person to change before the release."""
    lines = [
        f"replace {n['source']} by {n['replacement']} wherever it is shown or dialled: "
        "caller ids, websites, IVR prompts, CRM records"
        for n in plan["numbers"]
    ]
    for app in plan["applications"]:
        if app["action"] == "create":
            lines.append(
                f"check the webhooks of application {app['app_name']} "
                f"({app.get('answer_url', '')}) for anything that names an old number"
            )
    return lines
