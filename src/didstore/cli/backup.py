"""``didstore db backup`` and ``didstore db restore``: a consistent copy of the database taken
while the server runs, and putting it back.

Business rules:

- A backup is one consistent state (one commit), never a mix: on SQLite the ``sqlite3``
  online backup API copies every page in one step under one read transaction (WAL: the
  server keeps writing meanwhile); on PostgreSQL ``pg_dump --format=custom`` reads one
  snapshot. The file appears only once it is complete (written beside it, then renamed),
  readable by its owner only, and an existing file is kept unless ``--force``.
- A restore never overwrites data by surprise: a target holding any row (migration
  bookkeeping aside) is refused unless ``--yes`` (exit 2, like every missing ``--yes``).
  The backup is checked before the target is touched (SQLite ``quick_check``,
  ``pg_restore --list``), and a PostgreSQL restore is one transaction
  (``pg_restore --clean --if-exists --single-transaction``): it applies whole or not at all.
- A backup restores into the same kind of database it came from (SQLite file into
  ``sqlite:///``, pg_dump archive into ``postgresql://``).
- Passwords never reach a command line or the output: libpq gets them through
  ``PGPASSWORD``, URLs are printed with ``***``.

The server stack is imported inside the commands only (CLI start-up time).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from didstore.cli.common import DatabaseUrl, JsonFlag, emit_json, err, out

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
FORMATS = {"sqlite": "sqlite", "postgresql": "pg_dump-custom"}
NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
#: tables that hold rows in a freshly migrated database: not "data"
BOOKKEEPING = frozenset({"alembic_version"})


class BackupError(Exception):
    """A failure reported as one line on stderr, exit ``code`` (1 failed, 2 usage)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True, slots=True)
class Target:
    """A ``--database-url``: a SQLite file, or a PostgreSQL connection for libpq tools."""

    dialect: str  # "sqlite" or "postgresql"
    shown: str  # the URL as printed (password hidden)
    path: Path | None = None  # SQLite
    conninfo: str = ""  # PostgreSQL: a libpq URI without the password
    password: str | None = None

    @property
    def sqlite_path(self) -> Path:
        assert self.path is not None
        return self.path

    def pg_env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.password is not None:
            env["PGPASSWORD"] = self.password
        return env


def parse_target(database_url: str | None) -> Target:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from didstore.db.engine import default_database_url, normalize_url

    raw = database_url or default_database_url()
    try:
        url = make_url(normalize_url(raw))
    except ArgumentError:
        raise BackupError(f"not a database URL: {raw!r}", 2) from None
    backend = url.get_backend_name()
    if backend == "postgresql":
        url = url.set(drivername="postgresql")  # as libpq spells it (normalize_url adds psycopg)
    shown = url.render_as_string(hide_password=True)
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise BackupError("an in-memory SQLite database has nothing to back up", 2)
        return Target("sqlite", shown, path=Path(url.database))
    if backend == "postgresql":
        plain = url.set(password=None)
        return Target(
            "postgresql",
            shown,
            conninfo=plain.render_as_string(hide_password=False),
            password=url.password if isinstance(url.password, str) else None,
        )
    raise BackupError(f"unsupported database URL {shown}: use sqlite:/// or postgresql://", 2)


# -- SQLite ---------------------------------------------------------------------------------
def _sqlite_open(path: Path, *, read_only: bool) -> sqlite3.Connection:
    if read_only:
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    return sqlite3.connect(path, timeout=30)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    return sorted(str(r[0]) for r in rows)


def _sqlite_index_tables(conn: sqlite3.Connection) -> set[str]:
    """Virtual tables (the FTS5 search index) and their shadow tables: an index of rows
    held elsewhere, never data of their own (an empty database's FTS5 keeps its config)."""
    virtual = [
        str(r[0])
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL%'"
        )
    ]
    return {
        t for t in _sqlite_tables(conn) if any(t == v or t.startswith(f"{v}_") for v in virtual)
    }


def _sqlite_facts(path: Path) -> tuple[list[str], list[str], str | None]:
    """(tables, tables holding data, schema revision) of a SQLite file."""
    if not path.exists() or path.stat().st_size == 0:
        return [], [], None
    conn = _sqlite_open(path, read_only=True)
    try:
        tables = _sqlite_tables(conn)
        derived = _sqlite_index_tables(conn)
        filled = [
            t
            for t in tables
            if t not in BOOKKEEPING
            and t not in derived
            and conn.execute(f"SELECT EXISTS (SELECT 1 FROM {_quote(t)})").fetchone()[0]
        ]
        revision = None
        if "alembic_version" in tables:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = str(row[0]) if row else None
        return tables, filled, revision
    finally:
        conn.close()


def _sqlite_copy(source: Path, dest: Path, *, journal: str | None) -> None:
    """Every page of ``source`` into ``dest`` in one step (one read transaction)."""
    src = _sqlite_open(source, read_only=True)
    try:
        dst = _sqlite_open(dest, read_only=False)
        try:
            src.backup(dst)  # pages=-1: the whole database in one step
            if journal:
                dst.execute(f"PRAGMA journal_mode={journal}")
        finally:
            dst.close()
    finally:
        src.close()


def _sqlite_backup(target: Target, dest: Path) -> None:
    source = target.sqlite_path
    if not source.is_file():
        raise BackupError(f"no SQLite database at {source}")
    # the copy is one self-contained file (no -wal beside it)
    _sqlite_copy(source, dest, journal="DELETE")


def _sqlite_check(file: Path) -> None:
    conn = _sqlite_open(file, read_only=True)
    try:
        verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
    finally:
        conn.close()
    if verdict != "ok":
        raise BackupError(f"{file} is a damaged SQLite database ({verdict}): nothing restored")


def _sqlite_restore(file: Path, target: Target) -> None:
    dest = target.sqlite_path
    if not dest.parent.is_dir():
        raise BackupError(f"no directory {dest.parent} for the database file")
    _sqlite_copy(file, dest, journal=None)


# -- PostgreSQL -----------------------------------------------------------------------------
def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} not found on PATH: install the PostgreSQL client tools (Debian/Ubuntu: "
            f"apt-get install postgresql-client), of the server's major version or newer"
        )
    return found


def _run_tool(cmd: list[str], target: Target) -> str:
    done = subprocess.run(cmd, env=target.pg_env(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip()
        raise BackupError(f"{Path(cmd[0]).name} failed (exit {done.returncode}): {detail}")
    return done.stdout


def _pg_facts(target: Target) -> tuple[list[str], list[str], str | None]:
    """(tables, tables holding data, schema revision) of the current schema."""
    import psycopg
    from psycopg import sql

    try:
        conn = psycopg.connect(
            target.conninfo, password=target.password, connect_timeout=10, autocommit=True
        )
    except psycopg.OperationalError as exc:
        raise BackupError(f"cannot connect to {target.shown}: {str(exc).strip()}") from None
    with conn:
        tables = sorted(
            str(r[0])
            for r in conn.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema()"
            ).fetchall()
        )
        filled = []
        for t in tables:
            if t in BOOKKEEPING:
                continue
            query = sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(t))
            row = conn.execute(query).fetchone()
            if row and row[0]:
                filled.append(t)
        revision = None
        if "alembic_version" in tables:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = str(row[0]) if row else None
    return tables, filled, revision


def _pg_backup(pg_dump: str, target: Target, dest: Path) -> None:
    cmd = [pg_dump, "--format=custom", "--no-password", f"--file={dest}"]
    _run_tool([*cmd, f"--dbname={target.conninfo}"], target)


def _pg_restore(pg_restore: str, file: Path, target: Target) -> None:
    cmd = [pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction"]
    _run_tool([*cmd, "--no-password", f"--dbname={target.conninfo}", str(file)], target)


# -- shared ---------------------------------------------------------------------------------
def _facts(target: Target) -> tuple[list[str], list[str], str | None]:
    if target.dialect == "sqlite":
        return _sqlite_facts(target.sqlite_path)
    return _pg_facts(target)


def _write_atomically(dest: Path, write: Callable[[Path], None]) -> None:
    """``write`` a temporary file beside ``dest`` (mode 0600), then rename it into place."""
    fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent)
    os.close(fd)
    partial = Path(name)
    try:
        write(partial)
        os.replace(partial, dest)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _file_format(file: Path) -> str:
    with file.open("rb") as f:
        head = f.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupError(
        f"{file} is not a didstore backup (neither a SQLite database nor a pg_dump archive)", 2
    )


def _report(data: dict[str, Any], text: str, json_out: bool) -> None:
    if json_out:
        emit_json(data)
    else:
        out.print(text, markup=False, highlight=False, soft_wrap=True)


def _failing(run: Callable[[], None]) -> None:
    try:
        run()
    except BackupError as exc:
        err.print(f"[red]error:[/red] {escape(exc.message)}", soft_wrap=True)
        raise typer.Exit(code=exc.code) from None
    except (sqlite3.Error, OSError) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(code=1) from None


def _take_backup(target: Target, dest: Path) -> str | None:
    """Write the backup of ``target`` to ``dest``; its schema revision."""
    if target.dialect == "sqlite":
        _write_atomically(dest, lambda p: _sqlite_backup(target, p))
        return _sqlite_facts(dest)[2]
    pg_dump = _tool("pg_dump")
    revision = _pg_facts(target)[2]
    _write_atomically(dest, lambda p: _pg_backup(pg_dump, target, p))
    return revision


def _checked_restorer(kind: str, source: Path, target: Target) -> Callable[[], None]:
    """Check the backup file (before the target is touched); the restore to run."""
    if kind == "sqlite":
        _sqlite_check(source)
        return lambda: _sqlite_restore(source, target)
    pg_restore = _tool("pg_restore")
    _run_tool([pg_restore, "--list", str(source)], target)  # a readable archive
    return lambda: _pg_restore(pg_restore, source, target)


def backup(
    out_file: Path = typer.Option(
        ..., "--out", help="The backup file to write (kept if it exists, unless --force)."
    ),
    force: bool = typer.Option(False, "--force", help="Replace an existing --out file."),
    database_url: str | None = DatabaseUrl,
    json_out: bool = JsonFlag,
) -> None:
    """Write a consistent backup, even while the server runs.

    SQLite: the online backup API of sqlite3; PostgreSQL: pg_dump --format=custom (the
    client tools must be installed). Put it back with `didstore db restore`."""

    def run() -> None:
        target = parse_target(database_url)
        dest = out_file.absolute()
        if dest.is_dir():
            raise BackupError(f"--out {dest} is a directory: name a file", 2)
        if dest.exists() and not force:
            raise BackupError(f"{dest} exists: pass --force to replace it", 2)
        if not dest.parent.is_dir():
            raise BackupError(f"no directory {dest.parent} for the backup file")
        started = time.monotonic()
        revision = _take_backup(target, dest)
        seconds, size, fmt = (
            time.monotonic() - started,
            dest.stat().st_size,
            FORMATS[target.dialect],
        )
        data = {"action": "backup", "database": target.shown, "dialect": target.dialect,
                "file": str(dest), "format": fmt, "bytes": size, "schema_revision": revision,
                "seconds": round(seconds, 3)}  # fmt: skip
        text = f"backed up {target.shown} to {dest} ({fmt}, {size} bytes, schema revision "
        _report(data, text + f"{revision}) in {seconds:.2f} s", json_out)

    _failing(run)


def restore(
    file: Path = typer.Argument(..., help="A file written by `didstore db backup`."),
    yes: bool = typer.Option(
        False, "--yes", help="Replace the target's data when it already holds some."
    ),
    database_url: str | None = DatabaseUrl,
    json_out: bool = JsonFlag,
) -> None:
    """Restore a backup into a database (refused if it holds data, unless --yes).

    Stop the server and workers of that database first. The server (or `didstore db
    upgrade`) migrates the restored database to its own schema version."""

    def run() -> None:
        target = parse_target(database_url)
        source = file.absolute()
        if not source.is_file():
            raise BackupError(f"no backup file {source}")
        kind = _file_format(source)
        if kind != target.dialect:
            raise BackupError(
                f"{source} is a {NAMES[kind]} backup: restore it into a {NAMES[kind]} database, "
                f"not {target.shown}",
                2,
            )
        restorer = _checked_restorer(kind, source, target)
        filled = _facts(target)[1]
        if filled and not yes:
            more = "…" if len(filled) > 5 else ""
            raise BackupError(
                f"{target.shown} holds data ({len(filled)} tables with rows: "
                f"{', '.join(filled[:5])}{more}): pass --yes to replace it with the backup",
                2,
            )
        started = time.monotonic()
        restorer()
        tables, _, revision = _facts(target)
        seconds = time.monotonic() - started
        data = {"action": "restore", "database": target.shown, "dialect": target.dialect,
                "file": str(source), "format": FORMATS[kind], "bytes": source.stat().st_size,
                "replaced_data": bool(filled), "tables": len(tables),
                "schema_revision": revision, "seconds": round(seconds, 3)}  # fmt: skip
        over = "replacing its data" if filled else "an empty database"
        text = f"restored {source} into {target.shown} ({over}): {len(tables)} tables, "
        _report(data, text + f"schema revision {revision}, in {seconds:.2f} s", json_out)

    _failing(run)


def register(db_app: typer.Typer) -> None:
    """``didstore db backup`` and ``didstore db restore``."""
    db_app.command("backup")(backup)
    db_app.command("restore")(restore)
