"""Multi-number operations (``numbers buy|release --from-file``): one result per number, a
progress bar on a TTY, and a failure of one number never aborts or hides the others; the
exit code is 1 when any number failed."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from didstore.cli.remote import Remote, emit, err, error_dict, narrate
from didstore.client import DidstoreError, InvalidNumberError, normalize


@dataclass
class Outcome:
    number: str
    ok: bool
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"e164": self.number, "ok": self.ok, "result": self.result, "error": self.error}


def read_numbers(args: Iterable[str], from_file: Path | None) -> list[str]:
    """Numbers from arguments and/or a file: one a line (or the first CSV column); blank
    lines, ``#`` comments and an ``e164`` header are skipped."""
    numbers = [a for a in args if a.strip()]
    if from_file is not None:
        try:
            text = (
                from_file.read_text()
                if str(from_file) != "-"
                else typer.get_text_stream("stdin").read()
            )
        except OSError as exc:
            err.print(f"error: cannot read {from_file}: {exc}")
            raise typer.Exit(2) from exc
        except UnicodeDecodeError as exc:  # a spreadsheet or another binary file
            err.print(f"error: cannot read {from_file}: not UTF-8 text (one number a line)")
            raise typer.Exit(2) from exc
        for line in text.splitlines():
            first = line.split(",")[0].strip().strip('"')
            if first and not first.startswith("#") and first.lower() != "e164":
                numbers.append(first)
    if not numbers:
        err.print("error: give at least one number (arguments or --from-file)")
        raise typer.Exit(2)
    return numbers


def canonical(numbers: list[str]) -> list[str]:
    """Normalise where possible (bad spellings stay as typed and fail individually)."""
    result = []
    for n in numbers:
        try:
            result.append(normalize(n))
        except InvalidNumberError:
            result.append(n)
    return result


def run_each(
    remote: Remote, verb: str, numbers: list[str], action: Callable[[str], dict[str, Any]]
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    show = err.is_terminal and not remote.json and len(numbers) > 1
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err, disable=not show, transient=True) as progress:
        task = progress.add_task(verb, total=len(numbers))
        for number in numbers:
            try:
                outcomes.append(Outcome(number, True, result=action(number)))
            except (DidstoreError, InvalidNumberError) as exc:
                outcomes.append(Outcome(number, False, error=error_dict(exc)))
            progress.advance(task)
    return outcomes


def report(remote: Remote, verb: str, outcomes: list[Outcome], detail: str) -> None:
    failed = [o for o in outcomes if not o.ok]
    data = {
        "results": [o.to_dict() for o in outcomes],
        "succeeded": len(outcomes) - len(failed),
        "failed": len(failed),
    }
    rows = [
        [
            o.number,
            "ok" if o.ok else "FAILED",
            (o.result or {}).get(detail, "") if o.ok else (o.error or {}).get("message", ""),
        ]
        for o in outcomes
    ]
    emit(remote, data, rows, ["number", "result", detail if detail else "detail"])
    narrate(f"{verb}: {data['succeeded']} succeeded, {data['failed']} failed")
    if failed:
        raise typer.Exit(1)
