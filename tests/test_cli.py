"""The CLI through click's CliRunner, checking outcomes through the library."""

import json

import pytest
from click.testing import CliRunner

from taxer import api
from taxer.cli import main

BUY = "2024-03-01 14:05:00 UTC,1000,USD,0.015,BTC,1.5,USD,,,,buy,"
STAKE = "2024-06-01 00:00:00 UTC,,,0.5,SOL,,,70,USD,staking,,"


@pytest.fixture
def runner():
    return CliRunner()


def test_import_then_ledger_json_and_accounts(runner, tmp_path, write_koinly):
    db = str(tmp_path / "w.db")
    path = write_koinly([BUY, STAKE])
    result = runner.invoke(main, ["--db", db, "import", "csv", str(path), "--account", "cb"])
    assert result.exit_code == 0, result.output
    assert "2 rows, 2 new, 0 already in the ledger" in result.output
    assert [t.kind.value for t in api.transactions(api.workspace(db))] == ["trade", "income"]

    out = runner.invoke(main, ["--db", db, "ledger", "--json"])
    rows = json.loads(out.output)
    assert rows[0]["received_amount"] == "0.015" and rows[0]["timestamp"] == "2024-03-01T14:05:00+00:00"
    assert rows[1]["fair_value"] == "70" and rows[1]["label"] == "staking"

    only_sol = json.loads(runner.invoke(main, ["--db", db, "ledger", "--json", "--asset", "sol"]).output)
    assert [r["received_asset"] for r in only_sol] == ["SOL"]
    in_march = json.loads(runner.invoke(main, ["--db", db, "ledger", "--json", "--since", "2024-03-01",
                                               "--until", "2024-03-01"]).output)
    assert [r["kind"] for r in in_march] == ["trade"]  # --until is inclusive of the whole day

    accts = json.loads(runner.invoke(main, ["--db", db, "accounts", "--json"]).output)
    assert [(a["name"], a["transactions"]) for a in accts] == [("cb", 2)]
    text = runner.invoke(main, ["--db", db, "ledger", "--account", "cb"]).output
    assert "2 transactions" in text and "0.015 BTC" in text


def test_taxer_db_environment_variable(runner, tmp_path, write_koinly):
    db = tmp_path / "env.db"
    result = runner.invoke(main, ["import", "csv", str(write_koinly([BUY])), "-a", "x"], env={"TAXER_DB": str(db)})
    assert result.exit_code == 0 and db.exists()


def test_default_database_is_taxer_db_in_current_folder(runner, tmp_path, write_koinly, monkeypatch):
    monkeypatch.delenv("TAXER_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(main, ["import", "csv", str(write_koinly([BUY])), "-a", "x"]).exit_code == 0
    assert (tmp_path / "taxer.db").exists()


def test_bad_file_exits_non_zero_with_one_paragraph_and_keeps_good_files(runner, tmp_path, write_koinly):
    db = str(tmp_path / "w.db")
    good = write_koinly([BUY], name="good.csv")
    bad = write_koinly([STAKE, "2024-03-01 14:05:00 UTC,,,1,SOL,,,,,bribe,,"], name="bad.csv")
    result = runner.invoke(main, ["--db", db, "import", "csv", str(good), str(bad), "--account", "cb"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    assert "bad.csv, line 3, column 'Label': unknown label 'bribe'" in result.output
    assert [a.transactions for a in api.accounts(api.workspace(db))] == [1]


def test_user_errors_never_show_a_traceback(runner, tmp_path):
    db = str(tmp_path / "w.db")
    cases = [
        (["--db", db, "import", "csv", str(tmp_path / "nope.csv"), "-a", "x"], "file not found"),
        (["--db", db, "ledger", "--account", "ghost"], "no account 'ghost'"),
        (["--db", str(tmp_path / "no" / "such" / "dir.db"), "accounts"], "does not exist"),
        (["--db", "postgresql+psycopg://nobody@127.0.0.1:1/x", "accounts"], "cannot open the ledger"),
        (["--db", db, "ledger", "--since", "yesterday"], "is not a date"),
    ]
    for args, words in cases:
        result = runner.invoke(main, args)
        assert result.exit_code != 0, args
        assert words in result.output, (args, result.output)
        assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), args


def test_db_upgrade_command(runner, tmp_path):
    db = str(tmp_path / "w.db")
    first = runner.invoke(main, ["--db", db, "db", "upgrade"])
    assert first.exit_code == 0 and "upgraded to revision" in first.output
    assert "already at revision" in runner.invoke(main, ["--db", db, "db", "upgrade"]).output


def test_every_command_has_help():
    """A command without help text is a defect users hit first."""
    def walk(cmd, path):
        yield path, cmd
        for name, sub in getattr(cmd, "commands", {}).items():
            yield from walk(sub, path + [name])
    for path, cmd in walk(main, []):
        assert (cmd.help or "").strip(), f"taxer {' '.join(path)} has no help"
        result = CliRunner().invoke(main, [*path, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output
