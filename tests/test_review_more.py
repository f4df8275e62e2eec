"""Review and corrections that stay right (issue 18, item 7): tax years cut by the country, no false
"correction not applied" in earlier years, grouped warnings with filters, corrections shown by ledger id."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from taxer import api
from taxer.cli import main

HEADER = ("Date,Sent Amount,Sent Currency,Received Amount,Received Currency,Fee Amount,Fee Currency,"
          "Net Worth Amount,Net Worth Currency,Label,Description,TxHash")


@pytest.fixture
def ws(tmp_path):
    db = str(tmp_path / "w.db")

    def run(*args, ok=True):
        result = CliRunner().invoke(main, ["--db", db, *args])
        if ok:
            assert result.exit_code == 0, result.output
        return result.output

    def write(name, rows):
        path = tmp_path / name
        path.write_text("\n".join([HEADER, *rows]) + "\n")
        return str(path)
    run.db, run.write = db, write
    return run


def test_a_uk_review_cuts_the_uk_tax_year(ws):
    # A deposit of unknown origin on 1 March 2025 falls in UK tax year 2024/25 (6 April 2024 - 5 April 2025), not
    # in calendar 2025: `review --year 2024` of a UK workspace must list it, `--year 2025` must not.
    ws("import", "csv", ws.write("w.csv", ["2025-03-01 10:00:00 UTC,,,1,ETH,,,,,,gift from nobody,",
                                            "2025-05-01 10:00:00 UTC,,,2,ETH,,,,,,later,"]), "-a", "w")
    ws("config", "set", "country", "uk")
    out_2024 = ws("review", "--year", "2024")
    assert "Review of 2024/25: 1 open warning" in out_2024 and "2025-03-01" in out_2024
    out_2025 = ws("review", "--year", "2025")  # a year's report carries the open warnings of the years before too
    assert "Review of 2025/26: 2 open warnings" in out_2025 and "2025-05-01" in out_2025
    assert "Review of 2024/25-2025/26: 2 open warnings" in ws("review")


def test_a_correction_of_a_later_year_is_no_warning_in_earlier_reports(ws, tmp_path):
    ws("import", "csv", ws.write("w.csv", ["2023-06-01 10:00:00 UTC,1000,USD,1,ETH,,,,,,buy,",
                                            "2024-06-01 10:00:00 UTC,0.5,ETH,900,USD,,,,,,sell,",
                                            "2025-03-01 10:00:00 UTC,,,1,ETH,,,,,,later deposit,"]), "-a", "w")
    later = next(t.id for t in api.transactions(api.workspace(ws.db)) if t.description == "later deposit")
    ws("correct", "basis", str(later), "1500", "--acquired", "2024-12-01", "--note", "bought elsewhere")
    for year in ("2023", "2024"):
        ws("report", "--year", year, "--out", str(tmp_path / year), "--format", "csv")
        summary = json.loads((tmp_path / year / "summary.json").read_text())
        assert summary["warnings"] == 0, (year, (tmp_path / year / "warnings.csv").read_text())
    ws("report", "--year", "2025", "--out", str(tmp_path / "2025"), "--format", "csv")
    assert "applied" in (tmp_path / "2025" / "corrections.csv").read_text()


def test_many_warnings_come_grouped_with_one_fix_and_filters(ws):
    # Six USDT deposits (income with no value) and two ETH ones: the USDT group gets the one price file that
    # resolves it (USDT is pegged to USD); --asset and --code filter; --each lists every one.
    rows = [f"2024-01-0{d} 10:00:00 UTC,,,10,USDT,,,,,reward,r{d}," for d in range(1, 7)]
    rows += ["2024-02-01 10:00:00 UTC,,,1,ETH,,,,,,e1,", "2024-02-02 10:00:00 UTC,,,1,ETH,,,,,,e2,"]
    ws("import", "csv", ws.write("w.csv", rows), "-a", "bot")
    out = ws("review", "--year", "2024")
    assert "Review of 2024: 8 open warnings in 2 groups" in out
    assert "== Group 1: 6 missing_value warnings, USDT in bot" in out
    assert "one price file resolves all 6: USDT is pegged to USD, so a row per day `YYYY-MM-DD,USDT,USD,1`" in out
    assert "$ taxer prices fetch --year 2024" in out
    assert out.count("[missing_value]") == 3  # the group shows its first three
    assert out.count("[unknown_origin]") == 2  # a small group: each warning as it is
    only = ws("review", "--year", "2024", "--asset", "eth")
    assert "2 open warnings" in only and "USDT" not in only
    every = ws("review", "--year", "2024", "--code", "missing_value", "--each")
    assert every.count("[missing_value]") == 6 and "Group" not in every


def test_corrections_are_shown_by_ledger_id_date_and_amounts(ws):
    ws("import", "csv", ws.write("w.csv", ["2024-03-01 10:00:00 UTC,0.5,BTC,,,,,,,,sent,"]), "-a", "w")
    tx = next(iter(api.transactions(api.workspace(ws.db))))
    made = ws("correct", "relabel", str(tx.id), "gift", "--note", "for my sister")
    assert f"relabel as gift on #{tx.id} 2024-03-01 withdrawal sent 0.5 BTC (w)" in made
    assert f"on #{tx.id} 2024-03-01 withdrawal sent 0.5 BTC (w)" in ws("corrections")
    listed = json.loads(ws("corrections", "--json"))
    assert listed[0]["transaction_id"] == tx.id and listed[0]["other_id"] is None
