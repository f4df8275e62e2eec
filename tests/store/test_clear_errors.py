"""Clear errors instead of tracebacks (issue #21 item 7): a file that is not a ledger, no ledger for read-only
commands, a busy SQLite ledger, dates no time zone can place, NUL bytes, two first imports creating one account."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine

from taxer import api
from taxer.cli import main
from taxer.importers import rows
from taxer.store import db as store_db
from taxer.store import ledger

ROOT = Path(__file__).resolve().parents[2]


def _invoke(*args, code=0, env=None):
    result = CliRunner().invoke(main, list(args), env=env)
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


def test_a_file_that_is_not_a_database(tmp_path):
    path = tmp_path / "notadb.db"
    path.write_text("hello\n")
    for command in (["accounts"], ["import", "csv", str(path), "--account", "a"], ["db", "upgrade"]):
        result = _invoke("--db", str(path), *command, code=1)
        assert "not a taxer ledger" in result.output and str(path) in result.output
        assert len(result.output.strip().splitlines()) == 1
    assert path.read_text() == "hello\n"


@pytest.mark.parametrize("command", [["accounts"], ["ledger"], ["review"], ["corrections"], ["config"],
                                     ["report", "--year", "2024", "--out", "OUT"],
                                     ["prices", "export", "--out", "OUT.csv"]])
def test_read_only_commands_create_no_ledger(tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    command = [c.replace("OUT", str(tmp_path / "out")) for c in command]
    result = _invoke(*command, code=1, env={"TAXER_DB": None})
    assert "there is no ledger at" in result.output and "the default (taxer.db" in result.output
    assert str(tmp_path / "taxer.db") in result.output
    result = _invoke("--db", str(tmp_path / "x.db"), *command, code=1)
    assert "because of --db" in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_empty_postgresql_database_is_no_ledger(pg_server_url):
    from tests.conftest import _fresh_pg_database

    db_url = _fresh_pg_database(pg_server_url)  # the SQLite case is the test above
    result = _invoke("--db", db_url, "accounts", code=1)
    assert "there is no ledger at" in result.output
    assert store_db.current_revision(create_engine(db_url)) is None  # nothing was created


def test_report_for_year_9999_is_a_clear_error(tmp_path, write_koinly):
    db = str(tmp_path / "t.db")
    _invoke("--db", db, "import", "csv", str(write_koinly(["2024-01-02 00:00:00 UTC,100,USD,1,BTC,,,100,USD,,,"])),
            "--account", "a")
    result = _invoke("--db", db, "report", "--year", "9999", "--out", str(tmp_path / "r"), code=1)
    assert "9999" in result.output and not (tmp_path / "r").exists()


def test_dates_no_zone_can_place_are_refused_at_import(tmp_path, write_koinly):
    db = str(tmp_path / "t.db")
    path = write_koinly(["2024-01-02 00:00:00 UTC,100,USD,1,BTC,,,100,USD,,,",
                         "0001-01-01 00:00:00 UTC,,,1,BTC,,,,,,,"])
    result = _invoke("--db", db, "import", "csv", str(path), "--account", "a", code=1)
    # The importer refuses it first, naming line and column (the store would refuse it too, with file:line).
    assert "koinly.csv, line 3, column 'Date'" in result.output and "0001-01-01" in result.output
    assert json.loads(_invoke("--db", db, "ledger", "--json").output) == []


def test_a_ledger_holding_year_1_still_reports_in_zones_behind_utc(tmp_path, write_koinly, monkeypatch):
    db = str(tmp_path / "t.db")
    monkeypatch.setattr(ledger, "FIRST_TIME", "0000")  # a ledger from before taxer refused such dates
    monkeypatch.setattr(rows, "FIRST_YEAR", 1)
    path = write_koinly(["0001-01-01 00:00:00 UTC,,,1,BTC,,,,,,,",
                         "2024-01-02 00:00:00 UTC,100,USD,1,BTC,,,100,USD,,,",
                         "2024-05-02 00:00:00 UTC,0.5,BTC,80,USD,,,80,USD,,,"])
    _invoke("--db", db, "import", "csv", str(path), "--account", "a")
    for zone in ("America/New_York", "UTC"):
        out = tmp_path / zone.replace("/", "_")
        _invoke("--db", db, "report", "--year", "2024", "--out", str(out), "--format", "csv", "--timezone", zone)
        warnings = (out / "warnings.csv").read_text()
        assert ("misdated" in warnings) == (zone != "UTC")
        assert json.loads((out / "summary.json").read_text())["disposals"] >= 1


def test_a_busy_ledger_is_waited_for_then_a_clear_error(tmp_path, write_koinly, monkeypatch):
    db = tmp_path / "t.db"
    path = write_koinly(["2024-01-02 00:00:00 UTC,100,USD,1,BTC,,,100,USD,,,"])
    api.workspace(str(db))
    monkeypatch.setattr(store_db, "BUSY_TIMEOUT", 0.2)
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the ledger
    try:
        result = _invoke("--db", str(db), "import", "csv", str(path), "--account", "a", code=1)
        assert "stayed busy" in result.output and "nothing of" in result.output
    finally:
        holder.execute("ROLLBACK")
    monkeypatch.setattr(store_db, "BUSY_TIMEOUT", 10.0)
    holder.execute("BEGIN IMMEDIATE")
    threading.Timer(1.0, lambda: holder.execute("ROLLBACK")).start()
    started = time.monotonic()
    _invoke("--db", str(db), "import", "csv", str(path), "--account", "a")  # waits for the other writer
    assert time.monotonic() - started >= 0.9
    assert len(json.loads(_invoke("--db", str(db), "ledger", "--json").output)) == 1


def test_two_imports_at_once_on_one_sqlite_ledger(tmp_path, write_koinly):
    db = str(tmp_path / "t.db")
    files = [write_koinly([f"2024-01-{d:02d} 0{i}:00:00 UTC,100,USD,1,BTC,,,100,USD,,,{n}-{i}-{d}"
                           for d in range(1, 29) for i in range(8)], name=f"k{n}.csv") for n in range(2)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-m", "taxer.cli", "--db", db, "import", "csv", str(f), "--account",
                               "a"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for f in files]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert len(json.loads(_invoke("--db", db, "ledger", "--json").output)) == 2 * 28 * 8
    assert [a["name"] for a in json.loads(_invoke("--db", db, "accounts", "--json").output)] == ["a"]


def test_a_nul_byte_in_a_description_is_shown_not_fatal(db_url, write_koinly):
    path = write_koinly(["2024-01-02 00:00:00 UTC,100,USD,1,BTC,,,100,USD,,bought\x00here,"])
    _invoke("--db", db_url, "import", "csv", str(path), "--account", "a")
    (tx,) = json.loads(_invoke("--db", db_url, "ledger", "--json").output)
    assert tx["description"] == "bought\ufffdhere"


def test_two_first_imports_create_one_account(db_url):
    """The second import's insert waits for (PostgreSQL) or follows (SQLite) the first, then finds its account."""
    engine = api.workspace(db_url)
    first = engine.connect()
    tx = first.begin()
    ledger.ensure_account(first, "shared")
    found = {}

    def second():
        with engine.begin() as conn:
            found["account"] = ledger.ensure_account(conn, "shared")

    if engine.dialect.name == "sqlite":
        tx.commit()  # SQLite lets one writer in at a time: the second comes after
        second()
    else:
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive()  # waiting on the first one's uncommitted account
        tx.commit()
        thread.join(timeout=30)
    first.close()
    assert found["account"].name == "shared"
    assert [a.name for a in api.accounts(engine)] == ["shared"]


def test_an_unforeseen_database_error_is_one_paragraph(tmp_path, monkeypatch):
    from sqlalchemy.exc import OperationalError

    db = str(tmp_path / "t.db")
    api.workspace(db)

    def broken(engine):
        raise OperationalError("SELECT 1", {}, Exception("disk I/O error"))

    monkeypatch.setattr(api, "accounts", broken)
    result = _invoke("--db", db, "accounts", code=1)
    assert "disk I/O error" in result.output and db in result.output
