"""The tables the queries use and the migrations that build the ledger describe one schema."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from taxer.store import db
from taxer.store.tables import METADATA


def test_migrations_build_exactly_the_tables(db_url):
    engine = db.open_engine(db_url, snapshot=False)  # the migrations themselves (test_schema_snapshot: the copy)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, METADATA)
    assert diff == [], f"the tables and the migrations differ; write a migration: {diff}"


def test_the_head_revision_read_from_the_files_is_alembics():
    assert db.head_revision() == ScriptDirectory(str(db.MIGRATIONS)).get_current_head()
