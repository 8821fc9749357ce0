"""Carrying out a migration plan on didstore, resumably (``didstore migrate plivo apply``).

The plan's steps run in order: the sub-accounts it recreates, the applications it
recreates, then for each number its purchase, its routing (the recreated application, or
the mapped trunk) and its move to a sub-account. Each finished step is appended to a
journal (JSON lines, flushed and synced), and a re-run skips what the journal holds.

A crash between the server's answer and the journal line cannot repeat a step either: every
write carries an ``Idempotency-Key`` derived from the plan id and the step, so the server
replays its first answer (for 24 h). A purchase is safe even after that, since buying a
number the account already owns charges nothing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from didstore.client import Client
from didstore.client.errors import APIError, NotFoundError
from didstore.migration.plan import plan_id


class PlanError(Exception):
    """The plan cannot be applied as it is (altered, or for another account)."""


def load(path: Path, account: str) -> dict[str, Any]:
    try:
        plan: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise PlanError(f"cannot read the plan {path}: {exc}") from exc
    if not isinstance(plan, dict) or plan.get("plan_id") != plan_id(plan):
        raise PlanError(f"{path} was changed after it was planned: plan it again")
    if plan["target"].get("auth_id") != account:
        raise PlanError(f"the plan is for {plan['target'].get('auth_id')}, not {account}")
    return plan


class Journal:
    """What has been done, one JSON line per finished step."""

    def __init__(self, path: Path, plan: str) -> None:
        self.path = path
        self.plan = plan
        self.done: dict[str, dict[str, Any]] = {}
        self.failures: dict[str, int] = {}  # refused attempts per step
        if path.exists():
            for line in path.read_text().splitlines():
                if not line.strip():
                    continue
                entry = json.loads(line)
                if entry.get("plan_id") != plan:
                    continue
                if entry.get("failed"):
                    self.failures[entry["step"]] = self.failures.get(entry["step"], 0) + 1
                else:
                    self.done[entry["step"]] = entry.get("data") or {}

    def _append(self, entry: dict[str, Any]) -> None:
        with self.path.open("a") as f:
            f.write(json.dumps({"plan_id": self.plan, **entry}) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def record(self, step: str, data: dict[str, Any]) -> None:
        self._append({"step": step, "data": data})
        self.done[step] = data

    def record_failure(self, step: str) -> None:
        """A step the server refused: nothing changed, and the server keeps that answer for
        the step's key, so the next attempt needs a key of its own."""
        self._append({"step": step, "failed": True})
        self.failures[step] = self.failures.get(step, 0) + 1


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    run: Callable[[Client], dict[str, Any]]


def steps(plan: dict[str, Any], account: str, journal: Journal) -> Iterator[Step]:
    """The plan's steps in order; later steps read what earlier ones recorded."""
    for sub in plan["sub_accounts"]:
        yield Step(
            f"sub:{sub['source']}",
            f"create sub-account {sub['name']}",
            partial(_create_sub, account, str(sub["name"])),
        )
    routes: dict[str, tuple[str, str]] = {}
    for app in plan["applications"]:
        source = str(app["source_app_id"])
        if app["action"] == "trunk":
            routes[source] = ("trunk", str(app["trunk_id"]))
            continue
        routes[source] = ("app", source)
        fields = {k: v for k, v in app.items() if k not in ("source_app_id", "action")}
        yield Step(
            f"app:{source}",
            f"create application {app['app_name']}",
            partial(_create_app, account, fields),
        )
    for n in plan["numbers"]:
        e164, source = str(n["replacement"]), str(n["source"])
        yield Step(f"buy:{source}", f"buy {e164} for {source}", partial(_buy, account, e164))
        route = routes.get(str(n.get("source_app_id")))
        if route is not None:
            kind, target = route
            yield Step(
                f"route:{source}",
                f"route {e164} to {'trunk ' + target if kind == 'trunk' else 'its application'}",
                partial(_route, account, e164, kind, target, journal),
            )
        if n.get("source_sub_account"):
            yield Step(
                f"move:{source}",
                f"move {e164} to its sub-account",
                partial(_move, account, e164, str(n["source_sub_account"]), journal),
            )


def _create_sub(account: str, name: str, client: Client) -> dict[str, Any]:
    """The new sub-account's id (its token, shown once, is not kept: the parent's
    credentials act for it)."""
    made = client.sub_accounts.create(account, name)
    if made.sub_account is None:
        raise PlanError(f"the server did not describe the new sub-account {name}")
    return {"auth_id": made.sub_account.auth_id}


def _create_app(account: str, fields: dict[str, Any], client: Client) -> dict[str, Any]:
    return {"app_id": client.applications.create(account, **fields).app_id}


def _buy(account: str, e164: str, client: Client) -> dict[str, Any]:
    """Buying a number the account already holds charges nothing; one already moved on to a
    sub-account (a later step of an earlier run) is held too, though no longer "bought"."""
    try:
        client.phone_numbers.purchase_from_inventory(account, e164)
    except NotFoundError:
        client.phone_numbers.get_number(account, e164)  # held (by a sub-account): done
    return {"e164": e164}


def _route(
    account: str, e164: str, kind: str, target: str, journal: Journal, client: Client
) -> dict[str, Any]:
    if kind == "trunk":
        client.phone_numbers.assign_number_to_trunk(account, e164, target)
    else:
        app_id = str(journal.done[f"app:{target}"]["app_id"])
        client.phone_numbers.attach_application(account, e164, app_id)
    return {}


def _move(
    account: str, e164: str, source_sub: str, journal: Journal, client: Client
) -> dict[str, Any]:
    sub = str(journal.done[f"sub:{source_sub}"]["auth_id"])
    client.phone_numbers.assign_did_to_subaccount(account, e164, sub)
    return {}


def idempotency_key(plan: str, step: str, attempt: int = 0) -> str:
    """The same for every try of one attempt (a crash, a lost answer); a new one after the
    server refused the step (its refusal is stored under the old key)."""
    suffix = f":{attempt}" if attempt else ""
    return f"didstore-migrate:{plan}:{step}{suffix}"[:255]


def _stored_refusal(exc: APIError) -> bool:
    """Answers the server keeps under an Idempotency-Key (``services/idempotency.py``)."""
    return exc.status is not None and exc.status < 500 and exc.status not in (409, 429)


def run(
    client: Client,
    plan: dict[str, Any],
    account: str,
    journal: Journal,
    progress: Callable[[Step, bool], None],
) -> int:
    """Run every step not in the journal; ``progress(step, skipped)`` after each. Returns
    how many steps ran now. An SDK error stops the run (the journal keeps the progress)."""
    ran = 0
    for step in steps(plan, account, journal):
        if step.key in journal.done:
            progress(step, True)
            continue
        key = idempotency_key(plan["plan_id"], step.key, journal.failures.get(step.key, 0))
        keyed = client.with_options(headers={"Idempotency-Key": key})
        try:
            data = step.run(keyed)
        except APIError as exc:
            if _stored_refusal(exc):
                journal.record_failure(step.key)
            raise
        journal.record(step.key, data)
        ran += 1
        progress(step, False)
    return ran
