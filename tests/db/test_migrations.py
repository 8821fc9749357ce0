"""The migrations build exactly the schema the code describes, and can be undone."""

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import select, text

from didstore.db.engine import make_engine
from didstore.db.migrate import MIGRATIONS, alembic_config, head_revision, is_current, upgrade
from didstore.db.tables import billing_schedule, metadata
from didstore.domain.ids import plivo_auth_id
from tests.conftest import drop_database, new_database_url

# Indexes that only exist on PostgreSQL (created by raw SQL in the migrations), and those whose
# columns differ on SQLite (no INCLUDE there: the included columns are key columns, 0008).
PG_ONLY = {"ix_numbers_e164_trgm"}
SQLITE_WIDER = {"ix_numbers_owner_e164", "ix_numbers_billing_e164"}
# SQLite's FTS5 trigram index of the inventory (0009) and its shadow tables: raw SQL only.
SQLITE_ONLY_TABLE_PREFIX = "numbers_fts"


def _differences(url: str) -> list[object]:
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()
    sqlite = url.startswith("sqlite")
    return [
        d
        for d in diff
        if not (d[0] == "remove_index" and d[1].name in PG_ONLY)
        and not (sqlite and d[0] in ("add_index", "remove_index") and d[1].name in SQLITE_WIDER)
        and not (
            sqlite and d[0] == "remove_table" and d[1].name.startswith(SQLITE_ONLY_TABLE_PREFIX)
        )
    ]


def test_one_linear_history() -> None:
    script = ScriptDirectory(str(MIGRATIONS))
    assert len(script.get_heads()) == 1
    # start-up reads the head from the files without Alembic: the same one
    assert head_revision() == script.get_current_head()


def test_a_current_database_is_recognised_and_a_new_one_is_not(tmp_path: Path) -> None:
    url = new_database_url(tmp_path, "current")
    engine = make_engine(url, pool_size=1)
    try:
        assert is_current(engine)
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0007_owned_list_counts'"))
        assert not is_current(engine)
    finally:
        engine.dispose()
        drop_database(url)


def test_migrated_schema_matches_the_tables(tmp_path: Path) -> None:
    url = new_database_url(tmp_path, "schema")
    try:
        assert _differences(url) == []
    finally:
        drop_database(url)


def test_downgrade_to_base_and_up_again(tmp_path: Path) -> None:
    url = new_database_url(tmp_path, "updown")
    engine = make_engine(url, pool_size=1)
    try:
        for target in ("base", "head"):
            with engine.begin() as conn:
                cfg = alembic_config(engine)
                cfg.attributes["connection"] = conn
                (command.downgrade if target == "base" else command.upgrade)(cfg, target)
        assert _differences(url) == []
    finally:
        engine.dispose()
        drop_database(url)


def test_0006_queues_every_dated_number(tmp_path: Path) -> None:
    """Upgrading a database with owned numbers puts each in the renewal queue at its own
    billing date (a missed one would never be renewed)."""
    url = new_database_url(tmp_path, "queue")
    engine = make_engine(url, pool_size=1)
    try:
        with engine.begin() as conn:  # the database comes migrated: step back before 0006
            cfg = alembic_config(engine)
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0005_partner")
        due = datetime(2026, 3, 31, 10, tzinfo=UTC)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO numbers (id, e164, country, setup_fee_minor, monthly_fee_minor,"
                    " currency, tags, state, owner_account_id, billing_account_id,"
                    " next_billing_date, created_at, updated_at) VALUES"
                    " ('n-owned', '+14155550100', 'US', 0, 100, 'USD', '[]', 'available',"
                    " NULL, NULL, :due, :due, :due),"
                    " ('n-stock', '+14155550101', 'US', 0, 100, 'USD', '[]', 'available',"
                    " NULL, NULL, NULL, :due, :due)"
                ),
                {"due": due.replace(tzinfo=None)},
            )
        upgrade(engine)
        with engine.connect() as conn:
            queued = conn.execute(select(billing_schedule)).all()
        assert [(q.number_id, q.due_at) for q in queued] == [("n-owned", due)]
    finally:
        engine.dispose()
        drop_database(url)


def test_0010_backfills_plivo_aliases_and_number_types(tmp_path: Path) -> None:
    """Accounts that existed before 0010 get the same alias new ones get; stocked numbers get
    their type from the numbering plan."""
    url = new_database_url(tmp_path, "plivo")
    engine = make_engine(url, pool_size=1)
    try:
        with engine.begin() as conn:
            cfg = alembic_config(engine)
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0008_number_counts")
        now = datetime(2026, 3, 31, 10)
        with engine.begin() as conn:
            for pk, auth_id, kind in ((1, "MA_OLD00001", "main"), (2, "SA_OLD00002", "sub")):
                conn.execute(
                    text(
                        "INSERT INTO accounts (id, auth_id, kind, name, currency, token_hash,"
                        " api_id, created_at, updated_at) VALUES (:id, :auth_id, :kind, 'x',"
                        " 'INR', :hash, 'api', :now, :now)"
                    ),
                    {"id": pk, "auth_id": auth_id, "kind": kind, "hash": f"h{pk}", "now": now},
                )
            for number_id, e164 in (("n1", "+18005550100"), ("n2", "+14155550100")):
                conn.execute(
                    text(
                        "INSERT INTO numbers (id, e164, country, setup_fee_minor,"
                        " monthly_fee_minor, currency, tags, state, created_at, updated_at)"
                        " VALUES (:id, :e164, 'US', 0, 100, 'USD', '[]', 'available', :now,"
                        " :now)"
                    ),
                    {"id": number_id, "e164": e164, "now": now},
                )
        upgrade(engine)
        with engine.connect() as conn:
            aliases: dict[str, str] = {
                r[0]: r[1]
                for r in conn.execute(text("SELECT auth_id, plivo_auth_id FROM accounts"))
            }
            types: dict[str, str] = {
                r[0]: r[1] for r in conn.execute(text("SELECT e164, number_type FROM numbers"))
            }
        assert aliases == {
            "MA_OLD00001": plivo_auth_id("MA_OLD00001", "main"),
            "SA_OLD00002": plivo_auth_id("SA_OLD00002", "sub"),
        }
        assert types == {"+18005550100": "tollfree", "+14155550100": "local"}
        assert _differences(url) == []
    finally:
        engine.dispose()
        drop_database(url)
