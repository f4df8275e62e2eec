"""`taxer import 1099da` then `taxer report`: reconciliation_1099da.csv, the Form 8949 boxes, codes and adjustments,
and the year's totals, on a small hand-computed ledger (tests/reports/data_1099da)."""

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from taxer import api
from taxer.cli import main

DATA = Path(__file__).with_name("data_1099da")


def _cli(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def _rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def ledger(tmp_path):
    db = tmp_path / "taxer.db"
    _cli("--db", db, "import", "csv", DATA / "coinbase.csv", "--account", "coinbase")
    _cli("--db", db, "import", "csv", DATA / "wallet.csv", "--account", "wallet")
    return db


def test_report_reconciles_and_the_total_gain_stays(ledger, tmp_path):
    _cli("--db", ledger, "report", "--year", "2025", "--out", tmp_path / "before", "--format", "csv")
    assert not (tmp_path / "before" / "reconciliation_1099da.csv").exists()
    assert {r["box"] for r in _rows(tmp_path / "before" / "form8949.csv")} == {"I", "L"}
    out = _cli("--db", ledger, "import", "1099da", DATA / "coinbase_1099da.csv", "--account", "coinbase").output
    assert "4 rows, 4 new" in out
    _cli("--db", ledger, "report", "--year", "2025", "--out", tmp_path / "after", "--format", "csv")
    before = json.loads((tmp_path / "before" / "summary.json").read_text())
    after = json.loads((tmp_path / "after" / "summary.json").read_text())
    # The broker's errors change no gain: only the ADA row the ledger lacks adds 250 proceeds and 0 gain.
    for key in ("short_term_gain", "long_term_gain", "total_gain", "cost_basis"):
        assert after[key] == before[key], key
    assert Decimal(after["proceeds"]) - Decimal(before["proceeds"]) == Decimal("260.00")  # ADA 250 + ETH fee 10
    assert after["total_gain"] == "15740.00" and after["warnings"] == before["warnings"] + 4
    assert after["form1099da"] == {"matched": 1, "proceeds_differ": 1, "basis_differ": 1, "only_on_1099da": 1,
                                   "only_in_ledger": 1} and "form1099da" not in before

    recon = {r["asset"]: r for r in _rows(tmp_path / "after" / "reconciliation_1099da.csv")}
    assert {a: r["status"] for a, r in recon.items()} == {
        "BTC": "matched", "ETH": "proceeds_differ", "SOL": "basis_differ", "DOGE": "only_in_ledger",
        "ADA": "only_on_1099da"}
    assert (recon["ETH"]["proceeds_1099da"], recon["ETH"]["proceeds_ledger"], recon["ETH"]["proceeds_difference"],
            recon["ETH"]["adjustment_code"]) == ("3500.00", "3490.00", "10.00", "E")
    assert (recon["SOL"]["basis_1099da"], recon["SOL"]["basis_ledger"], recon["SOL"]["basis_difference"],
            recon["SOL"]["box"], recon["SOL"]["adjustment_code"]) == ("0.00", "200.00", "-200.00", "J", "BT")
    assert "transfer in from wallet" in recon["SOL"]["cause"]
    assert recon["ADA"]["origin"] == "coinbase_1099da.csv:5" and recon["BTC"]["origin"] == "coinbase_1099da.csv:2"

    lines = {(r["asset"], r["date_acquired"]): r for r in _rows(tmp_path / "after" / "form8949.csv")}
    got = {k: (r["box"], r["proceeds"], r["cost_basis"], r["adjustment_code"], r["adjustment_amount"],
               r["gain_loss"]) for k, r in lines.items()}
    assert got == {
        ("BTC", "2025-01-10"): ("G", "10000.00", "4000.00", "", "0.00", "6000.00"),
        ("BTC", "2025-01-20"): ("G", "10000.00", "5000.00", "", "0.00", "5000.00"),
        ("BTC", "2025-02-01"): ("G", "10000.00", "6000.00", "", "0.00", "4000.00"),
        ("ETH", "2025-02-01"): ("G", "3500.00", "3000.00", "E", "-10.00", "490.00"),
        ("SOL", "2024-03-01"): ("J", "400.00", "0.00", "BT", "-200.00", "200.00"),
        ("DOGE", "2025-03-01"): ("I", "150.00", "100.00", "", "0.00", "50.00"),
        ("ADA", "2025-04-01"): ("G", "250.00", "200.00", "O", "-50.00", "0.00"),
    }
    schedule = {r["box"]: r for r in _rows(tmp_path / "after" / "schedule_d.csv") if r["box"]}
    assert (schedule["G"]["line"], schedule["G"]["proceeds"], schedule["G"]["adjustment"],
            schedule["G"]["gain_loss"]) == ("1b", "33750.00", "-60.00", "15490.00")
    assert schedule["J"]["line"] == "8b" and schedule["I"]["line"] == "3"
    warnings = {r["code"] for r in _rows(tmp_path / "after" / "warnings.csv")}
    assert {"form1099da_proceeds_differ", "form1099da_basis_differ", "form1099da_only_on_1099da",
            "form1099da_only_in_ledger"} <= warnings


def test_review_lists_every_mismatch_with_what_to_do(ledger):
    _cli("--db", ledger, "import", "1099da", DATA / "coinbase_1099da.csv", "--account", "coinbase")
    text = _cli("--db", ledger, "review", "--year", "2025").output
    for code in ("form1099da_proceeds_differ", "form1099da_basis_differ", "form1099da_only_on_1099da",
                 "form1099da_only_in_ledger"):
        assert f"[{code}]" in text
    assert "coinbase_1099da.csv:5" in text and "taxer import csv" in text


def test_import_is_idempotent_and_a_bad_file_imports_nothing(db_url, tmp_path):
    engine = api.workspace(db_url)
    (first,) = api.import_1099da(engine, [DATA / "coinbase_1099da.csv"], "coinbase")
    (again,) = api.import_1099da(engine, [DATA / "coinbase_1099da.csv"], "coinbase")
    assert (first.rows, first.inserted, again.inserted, again.duplicates) == (4, 4, 0, 4)
    bad = tmp_path / "bad.csv"
    bad.write_text((DATA / "coinbase_1099da.csv").read_text() + "BTC,Bitcoin,x,,2025-06-01,1,1,short,yes,net\n")
    (failed,) = api.import_1099da(engine, [bad], "coinbase")
    assert failed.error and "line 6" in failed.error and "'Units'" in failed.error
    from taxer.store import form1099da as stored

    with engine.connect() as conn:
        rows = stored.load(conn, 2025)
    assert len(rows) == 4 and rows[0].origin == "coinbase_1099da.csv:2" and rows[0].asset == "BTC"
    assert rows[1].payload and json.loads(rows[1].payload)["Asset"] in {"BTC", "ETH", "SOL"}
    assert {r.asset: r.proceeds for r in rows}["ETH"] == Decimal("3500.00")


def test_pdf_has_the_reconciliation_after_the_summary(ledger, tmp_path):
    from pypdf import PdfReader

    _cli("--db", ledger, "import", "1099da", DATA / "coinbase_1099da.csv", "--account", "coinbase")
    _cli("--db", ledger, "report", "--year", "2025", "--out", tmp_path / "r", "--format", "pdf")
    pages = [p.extract_text() for p in PdfReader(tmp_path / "r" / "report.pdf").pages]
    contents = {line.rsplit(" ", 1)[0]: line.rsplit(" ", 1)[1] for line in pages[0].splitlines()
                if line.startswith(("Summary and", "Warnings", "Form 1099-DA", "Methodology"))}
    at = int(contents["Form 1099-DA reconciliation"])
    assert int(contents["Summary and Schedule D totals"]) <= at < int(contents["Methodology: rules and options used"])
    page = pages[at - 1]
    assert page.lstrip().splitlines()[1].startswith("Form 1099-DA reconciliation") or \
        "Form 1099-DA reconciliation" in page
    for text in ("Rows that do not match (4)", "Proceeds differ", "Only on the 1099-DA", "coinbase_1099da.csv:5",
                 "transfer in from wallet"):
        assert text in " ".join(page.split()), text


def test_a_bad_file_is_a_one_paragraph_error(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("Asset,Units,Date Acquired,Date Sold,Proceeds,Cost Basis,Term,Basis Reported\n"
                   "BTC,1,,2025-13-01,1,1,short,yes\n")
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "t.db"), "import", "1099da", str(bad), "-a", "cb"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "line 2, column 'Date Sold'" in result.output and "Nothing from this file was imported" in result.output


def test_a_corrected_form_replaces_the_years_rows(tmp_path):
    engine = api.workspace(str(tmp_path / "t.db"))
    api.import_1099da(engine, [DATA / "coinbase_1099da.csv"], "coinbase")
    corrected = tmp_path / "corrected.csv"
    lines = (DATA / "coinbase_1099da.csv").read_text().splitlines()
    corrected.write_text("\n".join([lines[0], lines[1], lines[2].replace("3500.00", "3490.00")]) + "\n")
    (done,) = api.import_1099da(engine, [corrected], "coinbase", replace=True)
    assert (done.rows, done.inserted) == (2, 2)  # the year's four rows dropped, the corrected form's two stored
    from taxer.store import form1099da as stored

    with engine.connect() as conn:
        rows = stored.load(conn, 2025)
    assert [(r.asset, r.proceeds) for r in rows] == [("BTC", Decimal("30000.00")), ("ETH", Decimal("3490.00"))]
