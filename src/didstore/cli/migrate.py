"""``didstore migrate plivo plan`` reads a Plivo account and didstore's stock and writes a
migration plan, read-only on both sides; ``apply`` carries it out on didstore, resumably
(issue 10 item 2; docs/migrating-from-plivo.md).

The source is the Plivo API (``--source-url``, default Plivo's public root; any
Plivo-compatible server works, such as another didstore's facade) or a CSV export
(``--source-csv``). The target is the didstore account of the usual ``--url``/``--auth-id``/
``--auth-token`` (``DIDSTORE_*``), read through the SDK.

Exit codes of ``plan``: 0 the plan is complete (every number has a replacement and every
wallet covers its cost); 3 the plan was written but is not complete; 1 a side could not be
read; 2 usage. Of ``apply``: 0 every step done; 1 the server refused a step (re-run to
resume); 2 no ``--yes``, or a plan altered or for another account.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from didstore.cli.remote import Remote, command, emit, narrate
from didstore.client.models import InventoryNumber
from didstore.migration import PLIVO_API

if TYPE_CHECKING:  # the planner needs the numbering plan: loaded when a plan runs, not before
    from didstore.migration.plan import Candidate
    from didstore.migration.plivo_source import Source, SourceNumber

app = typer.Typer(help="Move numbers from another provider to didstore.", no_args_is_help=True)
plivo_app = typer.Typer(help="From Plivo: plan (read-only), apply.", no_args_is_help=True)
app.add_typer(plivo_app, name="plivo")

#: Stock read per search: the numbers nearest the source (same first national digits), and
#: the first of the whole country.
PER_SEARCH = 100
INCOMPLETE = 3


def _candidate(n: InventoryNumber) -> Candidate:
    from didstore.domain.e164 import number_type
    from didstore.migration.plan import Candidate

    caps = n.capabilities
    services = tuple(s for s in ("voice", "sms", "mms") if caps is not None and getattr(caps, s))
    return Candidate(
        e164=n.e164,
        country=n.country,
        number_type=number_type(n.e164),
        region=n.region or "",
        services=services,
        setup_fee=n.setup_fee,
        monthly_fee=n.monthly_fee,
        currency=n.currency,
    )


class Stock:
    """didstore's inventory as the planner needs it, one search per distinct prefix."""

    def __init__(self, remote: Remote) -> None:
        self.remote = remote
        self._seen: dict[tuple[str, str], list[Candidate]] = {}

    def _search(self, country: str, prefix: str) -> list[Candidate]:
        key = (country, prefix)
        if key not in self._seen:
            page = self.remote.client.phone_numbers.list_inventory_numbers(
                self.remote.account, country=country, search=prefix or None, per_page=PER_SEARCH
            ).first_page()
            self._seen[key] = [
                _candidate(n) for n in page.items if not prefix or n.e164[1:].startswith(prefix)
            ]
        return self._seen[key]

    def near(self, n: SourceNumber) -> list[Candidate]:
        if not n.country:
            return []
        near = self._search(n.country, n.number[:5])
        merged = {c.e164: c for c in [*near, *self._search(n.country, "")]}
        return list(merged.values())


def _trunks(path: Path | None) -> dict[str, str]:
    """``--map`` JSON: ``{"applications": {"<plivo app_id>": {"trunk_id": "<uuid>"}}}``."""
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text())
        apps = data.get("applications", {})
        return {str(k): str(v["trunk_id"]) for k, v in apps.items()}
    except (OSError, ValueError, AttributeError, KeyError, TypeError) as exc:
        narrate(f"error: {path}: {exc}")
        raise typer.Exit(2) from exc


def _read_source(
    url: str, auth_id: str | None, token: str | None, csv_path: Path | None
) -> tuple[Source, dict[str, str]]:
    from didstore.migration.plivo_source import PlivoReader, read_csv

    if csv_path is not None:
        return read_csv(csv_path), {"csv": str(csv_path)}
    if not auth_id or not token:
        narrate("error: give --source-auth-id and --source-auth-token (or --source-csv)")
        raise typer.Exit(2)
    reader = PlivoReader(url, auth_id, token)
    try:
        return reader.read(), {"url": url, "auth_id": auth_id}
    finally:
        reader.close()


@command(plivo_app, "plan")
def plan(
    remote: Remote,
    out_path: Path = typer.Option(..., "--out", help="Where to write plan.json."),
    source_url: str = typer.Option(
        PLIVO_API, "--source-url", help="API root of the Plivo (or Plivo-compatible) server."
    ),
    source_auth_id: str | None = typer.Option(
        None, "--source-auth-id", envvar="PLIVO_AUTH_ID", help="Plivo auth id (MA…/SA…)."
    ),
    source_auth_token: str | None = typer.Option(
        None, "--source-auth-token", envvar="PLIVO_AUTH_TOKEN", help="Plivo auth token."
    ),
    source_csv: Path | None = typer.Option(
        None, "--source-csv", help="Read the numbers from a CSV export instead of the API."
    ),
    map_path: Path | None = typer.Option(
        None, "--map", help='JSON: {"applications": {"<app_id>": {"trunk_id": "…"}}}.'
    ),
) -> None:
    """Plan the move: a replacement for each Plivo number, the applications and sub-accounts
    to recreate, and the cost against the wallet. Writes only --out; changes nothing."""
    from didstore.migration import plan as planner
    from didstore.migration.plivo_source import SourceError

    trunks = _trunks(map_path)
    try:
        source, source_ref = _read_source(source_url, source_auth_id, source_auth_token, source_csv)
    except SourceError as exc:
        narrate(f"error: the source could not be read: {exc}")
        raise typer.Exit(1) from exc
    narrate(f"source: {len(source.numbers)} number(s), {len(source.applications)} application(s)")
    stock = Stock(remote)
    candidates = {n.number: stock.near(n) for n in source.numbers}
    for trunk_id in sorted(set(trunks.values())):
        remote.client.trunks.get(remote.account, trunk_id)  # a 404 stops the plan here
    balances = {b.currency: b.balance for b in remote.client.balance.list_balances(remote.account)}
    body = planner.build(
        source,
        candidates,
        balances=balances,
        trunks=trunks,
        source_ref=source_ref,
        target_ref={"url": remote.url or "", "auth_id": remote.account},
    )
    out_path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n")
    _show(remote, body)
    narrate(f"plan {body['plan_id']} written to {out_path}; nothing was bought or changed")
    if not planner.complete(body):
        raise typer.Exit(INCOMPLETE)


def _show(remote: Remote, body: dict[str, Any]) -> None:
    rows: list[list[Any]] = [
        [n["source"], n["replacement"], n["replacement_region"], n["monthly_fee"], n["currency"]]
        for n in body["numbers"]
    ]
    rows += [
        [m["source"], "", f"cannot replace: {m['reason']}", "", ""] for m in body["unreplaceable"]
    ]
    emit(remote, body, rows, ["plivo number", "replacement", "region", "monthly", "currency"])
    if remote.json:
        return
    for code, c in body["cost"].items():
        verdict = "enough" if c["enough"] else "NOT enough"
        narrate(
            f"{code}: {c['numbers']} number(s), setup {c['setup']} + first month "
            f"{c['first_month']} = {c['total']}; balance {c['balance']} ({verdict})"
        )
    for m in body["unreplaceable"]:
        narrate(f"cannot replace {m['source']}: {m['reason']}")


@command(plivo_app, "apply")
def apply(
    remote: Remote,
    plan_path: Path = typer.Argument(..., help="The plan.json that `plan` wrote."),
    yes: bool = typer.Option(False, "--yes", help="Buy and route: this spends money."),
    journal_path: Path | None = typer.Option(
        None, "--journal", help="Progress file (default: <plan>.journal next to the plan)."
    ),
) -> None:
    """Buy the plan's replacements, recreate its applications and sub-accounts, and route
    each number, resumably: a re-run after a crash or Ctrl-C skips what the journal holds,
    and the server's idempotency keys make a step interrupted half-way count once."""
    from rich.progress import Progress

    from didstore.cli.remote import err
    from didstore.migration.apply import Journal, PlanError, Step, load, run, steps

    if not yes:
        narrate("error: apply buys numbers and spends money: give --yes")
        raise typer.Exit(2)
    try:
        body = load(plan_path, remote.account)
    except PlanError as exc:
        narrate(f"error: {exc}")
        raise typer.Exit(2) from exc
    path = journal_path or plan_path.with_name(plan_path.name + ".journal")
    journal = Journal(path, body["plan_id"])
    total = sum(1 for _ in steps(body, remote.account, journal))
    skipped = 0
    with Progress(console=err, disable=not err.is_terminal or remote.json) as bar:
        task = bar.add_task("migrating", total=total)

        def progress(step: Step, was_done: bool) -> None:
            nonlocal skipped
            skipped += was_done
            bar.advance(task)
            if not err.is_terminal:
                narrate(f"{'already done' if was_done else 'done'}: {step.label}")

        ran = run(remote.client, body, remote.account, journal, progress)
    data = {
        "plan_id": body["plan_id"],
        "steps": total,
        "ran": ran,
        "skipped": skipped,
        "journal": str(path),
        "numbers": [n["replacement"] for n in body["numbers"]],
    }
    emit(remote, data, [[k, data[k]] for k in ("plan_id", "steps", "ran", "skipped")], ["", ""])
    narrate(f"applied: {ran} step(s) now, {skipped} done before; journal {path}")
