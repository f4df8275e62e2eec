"""`taxer review` and `taxer config` through the CLI, checked through the library and the report files."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from taxer import api
from taxer.cli import main
from tests.conftest import SAMPLE
from tests.test_corrections import CB, WALLET, ids


@pytest.fixture
def run(tmp_path):
    db = str(tmp_path / "w.db")

    def invoke(*args, ok=True):
        result = CliRunner().invoke(main, ["--db", db, *args])
        if ok:
            assert result.exit_code == 0, result.output
        return result
    invoke.db = db
    return invoke


def test_review_on_the_sample_shows_its_two_gaps_and_resolving_them_empties_it(run, tmp_path):
    run("import", "csv", str(SAMPLE / "coinbase.csv"), "--account", "coinbase")
    run("import", "csv", str(SAMPLE / "ledger_wallet.csv"), "--account", "ledger")
    engine = api.workspace(run.db)
    by = {(t.account, t.timestamp.strftime("%Y-%m-%d %H:%M")): t.id for t in api.transactions(engine)}
    deposit, withdrawal = by[("ledger", "2022-09-12 19:30")], by[("coinbase", "2025-06-18 13:44")]

    out = run("review").output
    assert "2 open warnings" in out
    assert f"[unknown_origin] transaction {deposit} " in out
    assert f"[unmatched_withdrawal] transaction {withdrawal} " in out
    assert f'$ taxer correct basis {deposit} COST --acquired YYYY-MM-DD --note "WHY"' in out
    assert f'$ taxer correct relabel {withdrawal} transfer --note "WHY"' in out
    # Own wallet: no figure changes; the ledger's 0.05 ETH is never sold on Form 8949 (universal pools use older
    # coinbase ETH first), so a basis at its value on arrival changes no total either: both resolve their warning.
    assert "if sent to your own wallet outside taxer: no change in the totals; resolves this warning" in out
    assert "acquired on arrival: no change in the totals; resolves this warning" in out
    assert "1 open warning\n" in run("review", "--year", "2024").output + "\n"  # 2025's withdrawal comes later

    run("correct", "basis", str(deposit), "80", "--acquired", "2021-11-02", "--note", "bought on MetaMask",
        "--by", "alice")
    run("correct", "relabel", str(withdrawal), "transfer", "--note", "to my Trezor", "--by", "alice")
    assert run("review").output.strip() == "Review of 2022-2025: no open warnings."
    run("report", "--year", "2025", "--out", str(tmp_path / "r"), "--format", "csv")
    assert json.loads((tmp_path / "r" / "summary.json").read_text())["warnings"] == 0
    listed = run("corrections").output
    assert "cost basis 80 USD, acquired 2021-11-02" in listed and "why: to my Trezor" in listed


def test_review_states_computed_effects_as_the_hand_calculation(run, write_koinly):
    # tests/test_corrections.py's ledger: as a spend the 0.4 ETH withdrawal adds proceeds 1000, basis 800 (A at
    # 2000/ETH), gain 200; the deposit at its value on arrival (750, basis 2500/ETH): the last sale's 0.2 ETH of it
    # get basis 500, so the gain falls by 500.
    run("import", "csv", str(write_koinly(CB, "cb.csv")), "-a", "cb")
    run("import", "csv", str(write_koinly(WALLET, "wallet.csv")), "-a", "wallet")
    out = run("review", "--year", "2024").output
    # Money in its currency, counts as what they count: the spend adds one Form 8949 line.
    assert ("if a payment: a disposal at fair value: 2024: proceeds +1000.00 USD, cost basis +800.00 USD, short-term "
            "gain +200.00 USD, total gain +200.00 USD, +1 Form 8949 line; resolves this warning") in out
    assert ("a cost of 750 USD (its value on arrival) acquired on arrival: 2024: cost basis +500.00 USD, short-term "
            "gain -500.00 USD, total gain -500.00 USD; resolves this warning") in out
    i = ids(api.workspace(run.db))
    command = re.search(rf"\$ (taxer correct relabel {i['send']} spend) --note", out).group(1)
    run(*command.split()[1:], "--note", "paid the builder")
    assert "1 open warning" in run("review", "--year", "2024").output


def test_batch_import_through_the_cli_reports_file_line_and_column(run, write_koinly, tmp_path):
    run("import", "csv", str(write_koinly(CB, "cb.csv")), "-a", "cb")
    path = tmp_path / "fixes.csv"
    path.write_text("kind,transaction,value,note\nrelabel,2,gift,present\nrelabel,2,gift,\n")
    result = run("correct", "import", str(path), ok=False)
    assert result.exit_code == 1
    assert f"{path}, line 3, column 'note': every correction needs a note" in result.output
    assert "Nothing from this file was recorded" in result.output and "Traceback" not in result.output
    assert api.corrections(api.workspace(run.db)) == []


def test_config_show_set_unset_and_validation(run, write_koinly):
    run("import", "csv", str(write_koinly(CB, "cb.csv")), "-a", "cb")
    shown = run("config").output
    assert re.search(r"method\s+the country's \(US: fifo\)\s+\(default\)", shown) and "account.cb.form1099da" in shown
    assert run("config", "set", "method", "HIFO").output.strip() == "method = hifo"
    run("config", "set", "taxpayer", "Jane  Doe")
    run("config", "set", "transfer_window", "48h")
    run("config", "set", "account.cb.form1099da", "G")
    shown = run("config").output
    assert re.search(r"method\s+hifo\n", shown) and re.search(r"transfer_window\s+48\n", shown)
    assert re.search(r"account\.cb\.form1099da\s+basis_reported\n", shown)
    bad = run("config", "set", "method", "fofi", ok=False)
    assert bad.exit_code == 1 and "setting 'method': 'fofi' is not allowed; use one of fifo, lifo, hifo, average" \
        in bad.output
    assert "setting 'timezone': 'Mars/Base' is not a time zone" in run("config", "set", "timezone", "Mars/Base",
                                                                        ok=False).output
    assert "there is no account 'nope'" in run("config", "set", "account.nope.form1099da", "none", ok=False).output
    assert "unknown setting 'colour'" in run("config", "set", "colour", "red", ok=False).output
    run("config", "unset", "method")
    assert re.search(r"method\s+the country's \(US: fifo\)\s+\(default\)", run("config").output)


def test_report_takes_workspace_settings_as_defaults_and_options_win(run, write_koinly, tmp_path):
    # 2025: buy 1 ETH for 2000, sell 0.5 for 1500 (short-term). A withdrawal at 10:00 and a deposit into another
    # account 30 hours later: a transfer within a 48-hour window, two warnings with the default 24 hours.
    cb = write_koinly(["2025-01-10 10:00:00 UTC,2000,USD,1,ETH,,,,,,buy,",
                       "2025-02-01 10:00:00 UTC,0.2,ETH,,,,,500,USD,,send,",
                       "2025-03-01 10:00:00 UTC,0.5,ETH,1500,USD,,,,,,sell,"], "cb.csv")
    run("import", "csv", str(cb), "-a", "cb")
    run("import", "csv", str(write_koinly(["2025-02-02 16:00:00 UTC,,,0.2,ETH,,,500,USD,,receive,"], "w.csv")),
        "-a", "wallet")

    def report(*extra, name):
        run("report", "--year", "2025", "--out", str(tmp_path / name), *extra)
        folder = tmp_path / name
        return json.loads((folder / "summary.json").read_text()), (folder / "form8949.csv").read_text()

    summary, form = report("--format", "csv", name="plain")
    assert (summary["method"], summary["warnings"]) == ("fifo", 2) and ",I,0.5 ETH," in form
    run("config", "set", "method", "lifo")
    run("config", "set", "transfer_window", "48")
    run("config", "set", "taxpayer", "Jane Doe")
    run("config", "set", "account.cb.form1099da", "basis_reported")
    summary, form = report("--format", "csv", name="configured")
    assert (summary["method"], summary["warnings"]) == ("lifo", 0) and ",G,0.5 ETH," in form
    summary, _ = report("--format", "csv", "--method", "hifo", name="option")
    assert summary["method"] == "hifo"
    report("--format", "csv,pdf", name="pdf")
    from pypdf import PdfReader

    pdf = " ".join(p.extract_text() for p in PdfReader(tmp_path / "pdf" / "report.pdf").pages)
    assert "Prepared for Jane Doe" in pdf
    assert "taxpayer = Jane Doe; method = lifo; transfer_window = 48; account.cb.form1099da = basis_reported" in pdf
