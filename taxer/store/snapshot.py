"""A new SQLite ledger made at once from a snapshot of the schema the migrations build, as Rails loads schema.rb.

Running the migrations on a new ledger imports Alembic and SQLModel and replays every revision: ~0.6 s of the
first command on a new workspace (`taxer demo`, the first import), ~50 ms in a warm process. The snapshot is the
CREATE statements SQLite holds after the migrations (sqlite_master, in creation order), with the revision they
reach; a new, empty SQLite ledger executes them in one transaction. Alembic stays the authority: a snapshot of
another revision is not used, PostgreSQL ledgers and existing ones migrate as before, and
tests/store/test_schema_snapshot.py fails when the snapshot differs from what the migrations make.

    python -m taxer.store.snapshot      # write it again after adding a migration
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import Engine

SNAPSHOT = Path(__file__).with_name("schema_sqlite.sql")
HEADER = "-- taxer ledger schema on SQLite at revision "
END = "\n;\n"


def statements(conn: sqlite3.Connection) -> list[str]:
    """The schema's CREATE statements as SQLite keeps them, in the order they were made."""
    rows = conn.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' "
                        "ESCAPE '\\' ORDER BY rowid")
    return [sql for (sql,) in rows]


def text(revision: str, creates: list[str]) -> str:
    return (f"{HEADER}{revision}\n-- written by `python -m taxer.store.snapshot` from the migrations; "
            "do not edit\n" + "".join(sql + END for sql in creates))


def read(revision: str) -> list[str] | None:
    """The snapshot's statements if it is of `revision`, else None (the migrations run instead)."""
    try:
        data = SNAPSHOT.read_text()
    except OSError:
        return None
    first, _, rest = data.partition("\n")
    if first != HEADER + revision:
        return None
    body = rest.partition("\n")[2]
    return [sql for sql in body.split(END) if sql.strip()]


def create(engine: Engine, revision: str) -> bool:
    """Make the schema of `revision` in an empty SQLite ledger; False where that does not apply (not SQLite,
    no snapshot of that revision, or the database already holds tables: then the migrations decide)."""
    if engine.dialect.name != "sqlite":
        return False
    creates = read(revision)
    if creates is None:
        return False
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        previous = driver.isolation_level
        driver.isolation_level = None  # explicit transaction: the DDL below commits all at once or not at all
        try:
            driver.execute("BEGIN IMMEDIATE")  # a second first command waits here, then finds the tables
            try:
                if driver.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                    driver.execute("ROLLBACK")
                    return False
                for sql in creates:
                    driver.execute(sql)
                driver.execute("INSERT INTO alembic_version (version_num) VALUES (?)", (revision,))
                driver.execute("COMMIT")
            except BaseException:
                if driver.in_transaction:
                    driver.execute("ROLLBACK")
                raise
        finally:
            driver.isolation_level = previous
    finally:
        raw.close()
    return True


def main() -> None:
    import tempfile

    from taxer.store.db import head_revision, open_engine

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "migrated.db"
        engine = open_engine(str(path), snapshot=False)
        engine.dispose()
        with sqlite3.connect(path) as conn:
            SNAPSHOT.write_text(text(head_revision(), statements(conn)))
    print(f"wrote {SNAPSHOT}")


if __name__ == "__main__":
    main()
