"""``didstore migrate plivo plan`` reads a Plivo account and didstore's stock and writes a
migration plan, read-only on both sides; ``apply`` carries it out on didstore, resumably;
``verify`` checks it and prints a confirmation token; ``release`` unrents the verified
Plivo numbers (issue 10 item 2; docs/migrating-from-plivo.md).

The source is the Plivo API (``--source-url``, default Plivo's public root; any
Plivo-compatible server works, such as another didstore's facade) or a CSV export
(``--source-csv``). The target is the didstore account of the usual ``--url``/``--auth-id``/
``--auth-token`` (``DIDSTORE_*``), read through the SDK.

Exit codes of ``plan``: 0 the plan is complete (every number has a replacement and every
wallet covers its cost); 3 the plan was written but is not complete; 1 a side could not be
read; 2 usage. Of ``apply``: 0 every step done; 1 the server refused a step (re-run to
resume); 2 no ``--yes``, or a plan altered or for another account. Of ``verify``: 0 all
green, 1 not. Of ``release``: 0 released, 1 refused (token) or Plivo refused, 2 usage.
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
plivo_app = typer.Typer(help="From Plivo: plan, apply, verify, release.", no_args_is_help=True)
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


def _source_reader(
    body: dict[str, Any], url: str | None, auth_id: str | None, token: str | None
) -> Any:
    from didstore.migration.plivo_source import PlivoReader

    url = url or body["source"].get("url")
    auth_id = auth_id or body["source"].get("auth_id")
    if not url or not auth_id or not token:
        narrate(
            "error: give --source-auth-token (and --source-url/--source-auth-id for a CSV plan)"
        )
        raise typer.Exit(2)
    return PlivoReader(url, auth_id, token)


_SOURCE_URL = typer.Option(None, "--source-url", help="Default: the plan's source.")
_SOURCE_ID = typer.Option(None, "--source-auth-id", envvar="PLIVO_AUTH_ID")
_SOURCE_TOKEN = typer.Option(None, "--source-auth-token", envvar="PLIVO_AUTH_TOKEN")


def _checked(
    remote: Remote,
    plan_path: Path,
    url: str | None,
    auth_id: str | None,
    token: str | None,
) -> tuple[dict[str, Any], Any, list[Any]]:
    from didstore.migration.apply import Journal, PlanError, load
    from didstore.migration.verify import check

    try:
        body = load(plan_path, remote.account)
    except PlanError as exc:
        narrate(f"error: {exc}")
        raise typer.Exit(2) from exc
    reader = _source_reader(body, url, auth_id, token)
    journal = Journal(plan_path.with_name(plan_path.name + ".journal"), body["plan_id"])
    return body, reader, check(remote.client, remote.account, reader, body, journal)


@command(plivo_app, "verify")
def verify(
    remote: Remote,
    plan_path: Path = typer.Argument(..., help="The applied plan.json."),
    source_url: str | None = _SOURCE_URL,
    source_auth_id: str | None = _SOURCE_ID,
    source_auth_token: str | None = _SOURCE_TOKEN,
) -> None:
    """Check every replacement (held, active, routed as planned) and that every Plivo number
    is still in service; print the cut-over checklist and, when all is green, the
    confirmation token `release` needs. Exit 1 when anything is not green."""
    from didstore.migration.verify import checklist, token

    body, reader, checks = _checked(
        remote, plan_path, source_url, source_auth_id, source_auth_token
    )
    reader.close()
    ok = all(c.ok for c in checks)
    data: dict[str, Any] = {
        "ok": ok,
        "confirm_token": token(body, checks) if ok else None,
        "numbers": [
            {"source": c.source, "replacement": c.replacement, "ok": c.ok, "problems": c.problems}
            for c in checks
        ],
        "checklist": checklist(body),
    }
    rows = [[c.source, c.replacement, "ok" if c.ok else "; ".join(c.problems)] for c in checks]
    emit(remote, data, rows, ["plivo number", "replacement", "verified"])
    if not remote.json:
        for line in data["checklist"]:
            narrate(f"- {line}")
        if ok:
            narrate(f"all green: release with --confirm {data['confirm_token']}")
    if not ok:
        raise typer.Exit(1)


@command(plivo_app, "release")
def release(
    remote: Remote,
    plan_path: Path = typer.Argument(..., help="The verified plan.json."),
    confirm: str = typer.Option(..., "--confirm", help="The token `verify` printed."),
    source_url: str | None = _SOURCE_URL,
    source_auth_id: str | None = _SOURCE_ID,
    source_auth_token: str | None = _SOURCE_TOKEN,
) -> None:
    """Unrent on Plivo the numbers whose replacements verified, and nothing else. It checks
    again first, and refuses (exit 1) a token from another plan or one that no longer
    matches what verifies now."""
    from didstore.migration.plivo_source import SourceError
    from didstore.migration.verify import token

    body, reader, checks = _checked(
        remote, plan_path, source_url, source_auth_id, source_auth_token
    )
    try:
        if not all(c.ok for c in checks) or token(body, checks) != confirm:
            narrate("error: refused: the token is not for this plan, or what it confirmed")
            narrate("no longer verifies; run verify again")
            raise typer.Exit(1)
        released: list[str] = []
        gone: list[str] = []
        for c in checks:
            try:
                (released if reader.delete_number(c.source) else gone).append(c.source)
            except SourceError as exc:
                narrate(f"error: {exc}")
                raise typer.Exit(1) from exc
    finally:
        reader.close()
    data = {"released": released, "already_gone": gone}
    emit(remote, data, [[n, "released"] for n in released], ["plivo number", ""])
    narrate(f"released {len(released)} Plivo number(s)")
