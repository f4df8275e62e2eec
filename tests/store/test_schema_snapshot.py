"""A new SQLite ledger is made from the snapshot of the migrations' schema (taxer.store.snapshot): the snapshot
is exactly what the migrations make, a ledger made from it is the same, and a stale or broken snapshot is never
used half-way."""

from __future__ import annotations

import sqlite3

import pytest

from taxer import api
from taxer.store import db, snapshot
from tests.conftest import SAMPLE


def _schema(path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return snapshot.statements(conn)


def _revision(path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    path = tmp_path_factory.mktemp("migrated") / "m.db"
    db.open_engine(str(path), snapshot=False).dispose()
    return path


def test_the_snapshot_is_what_the_migrations_make(migrated):
    # fails after a new migration until `python -m taxer.store.snapshot` writes the snapshot again
    assert snapshot.SNAPSHOT.read_text() == snapshot.text(db.head_revision(), _schema(migrated))


def test_a_new_ledger_from_the_snapshot_is_the_migrated_one_and_works(migrated, tmp_path, monkeypatch):
    import alembic.command

    monkeypatch.setattr(alembic.command, "upgrade", lambda *a, **k: pytest.fail("the migrations ran"))
    path = tmp_path / "new.db"
    engine = api.workspace(str(path))
    assert _schema(path) == _schema(migrated)
    assert _revision(path) == _revision(migrated) == db.head_revision()
    (result,) = api.import_csv(engine, [SAMPLE / "coinbase.csv"], "coinbase")
    assert result.inserted > 0 and not result.error
    engine.dispose()
    assert db.upgrade(db.open_engine(str(path), migrate=False)) is False  # at head: nothing to do


def test_a_snapshot_of_another_revision_is_not_used(tmp_path, monkeypatch, migrated):
    stale = tmp_path / "stale.sql"
    stale.write_text(snapshot.SNAPSHOT.read_text().replace(f"revision {db.head_revision()}\n", "revision 0001\n", 1))
    monkeypatch.setattr(snapshot, "SNAPSHOT", stale)
    assert snapshot.read(db.head_revision()) is None
    path = tmp_path / "new.db"
    db.open_engine(str(path)).dispose()  # made by the migrations instead
    assert _schema(path) == _schema(migrated) and _revision(path) == db.head_revision()


def test_a_snapshot_that_fails_half_way_leaves_nothing_and_the_migrations_run(tmp_path, monkeypatch, migrated):
    good = snapshot.read(db.head_revision())
    monkeypatch.setattr(snapshot, "read", lambda revision: [*good[:3], "CREATE TABLE broken (", *good[3:]])
    path = tmp_path / "new.db"
    engine = db.open_engine(str(path), migrate=False)
    with pytest.raises(sqlite3.OperationalError):
        snapshot.create(engine, db.head_revision())
    assert _schema(path) == []  # the three tables made before the error were rolled back with it
    assert db.upgrade(engine) is True  # the snapshot fails again; the migrations make the ledger
    assert _schema(path) == _schema(migrated) and _revision(path) == db.head_revision()


def test_a_database_that_holds_tables_is_left_to_the_migrations(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE mine (x)")
    engine = db.open_engine(str(path), migrate=False)
    assert snapshot.create(engine, db.head_revision()) is False
    assert _schema(path) == ["CREATE TABLE mine (x)"]
