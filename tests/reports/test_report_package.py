"""`taxer report` on the bundled sample: golden files, hand-checked figures, exact totals, identical re-runs."""

import csv
import hashlib
import json
import os
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from taxer import api
from taxer.cli import main
from taxer.demo import SAMPLE_ACCOUNTS
from tests.conftest import SAMPLE

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
UPDATE = os.environ.get("TAXER_UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    db = str(tmp_path_factory.mktemp("sample") / "taxer.db")
    engine = api.workspace(db)
    for name, account in SAMPLE_ACCOUNTS.items():
        api.import_csv_file(engine, SAMPLE / name, account)
    return db


def _run(db, out, *extra):
    result = CliRunner().invoke(main, ["--db", db, "report", "--out", str(out), "--format", "csv", *extra])
    assert result.exit_code == 0, result.output
    return result


def _rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("year, method", [(2023, "fifo"), (2024, "fifo"), (2024, "hifo"), (2025, "fifo")])
def test_golden_reports_on_sample(sample_db, tmp_path, year, method):
    _run(sample_db, tmp_path, "--year", str(year), "--method", method)
    folder = GOLDEN / f"us_{year}_{method}"
    for name in ("summary.json", "form8949.csv", "schedule_d.csv", "income.csv", "holdings.csv",
                 "other_disposals.csv", "audit.csv", "warnings.csv"):
        produced = (tmp_path / name).read_bytes()
        if UPDATE:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(produced)
        assert produced == (folder / name).read_bytes(), f"{folder.name}/{name} differs from the golden file"


def test_2024_btc_lines_match_the_hand_computation(sample_db, tmp_path):
    """Figures from sample_data/README.md's worked example, computed by hand."""
    _run(sample_db, tmp_path, "--year", "2024")
    btc = [r for r in _rows(tmp_path / "form8949.csv") if r["asset"] == "BTC"]
    by_sale = {}
    for r in btc:
        acc = by_sale.setdefault(r["date_sold"], [Decimal(0), Decimal(0), set()])
        acc[0] += Decimal(r["proceeds"])
        acc[1] += Decimal(r["cost_basis"])
        acc[2].add(r["term"])
    assert by_sale == {
        "2024-03-06": [Decimal("9989.70"), Decimal("6337.80"), {"long"}],
        "2024-04-08": [Decimal("3528.70"), Decimal("2112.39"), {"long"}],
        "2024-12-05": [Decimal("9790.90"), Decimal("3922.65"), {"long"}],
    }
    assert {r["box"] for r in btc} == {"F"}  # before 2025, long-term without a 1099-B


def test_totals_are_sums_of_the_printed_lines(sample_db, tmp_path):
    _run(sample_db, tmp_path, "--year", "2024")
    rows = _rows(tmp_path / "form8949.csv")
    summary = json.loads((tmp_path / "summary.json").read_text())
    for r in rows:
        assert Decimal(r["proceeds"]) - Decimal(r["cost_basis"]) + Decimal(r["adjustment_amount"]) \
            == Decimal(r["gain_loss"])
    total = lambda col, part=None: sum(Decimal(r[col]) for r in rows if part in (None, r["part"]))  # noqa: E731
    assert Decimal(summary["proceeds"]) == total("proceeds")
    assert Decimal(summary["cost_basis"]) == total("cost_basis")
    assert Decimal(summary["short_term_gain"]) == total("gain_loss", "I")
    assert Decimal(summary["long_term_gain"]) == total("gain_loss", "II")
    assert Decimal(summary["total_gain"]) == total("gain_loss")
    assert summary["disposals"] == len(rows)
    assert summary["income"] == "1095.82"  # sample_data/README.md: income of 2024
    assert summary["warnings"] == len(_rows(tmp_path / "warnings.csv"))
    assert set(summary) >= {"year", "method", "currency", "proceeds", "cost_basis", "short_term_gain",
                            "long_term_gain", "total_gain", "income", "disposals", "warnings"}


def test_rerun_is_byte_identical_and_manifest_hashes_the_files(sample_db, tmp_path):
    _run(sample_db, tmp_path / "a", "--year", "2024")
    _run(sample_db, tmp_path / "b", "--year", "2024")
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == ["audit.csv", "corrections.csv", "form8949.csv", "holdings.csv", "income.csv", "manifest.json",
                     "other_disposals.csv", "prices.csv", "schedule_d.csv", "summary.json", "summary.txt",
                     "warnings.csv"]
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    for name, entry in manifest["files"].items():
        assert hashlib.sha256((tmp_path / "a" / name).read_bytes()).hexdigest() == entry["sha256"]
    assert manifest["ledger"]["transactions"] == 35  # sample rows dated before 2025-01-01
    assert manifest["parameters"]["method"] == "fifo" and manifest["taxer_version"]


def test_2025_uses_digital_asset_boxes(sample_db, tmp_path):
    _run(sample_db, tmp_path, "--year", "2025")
    assert {r["box"] for r in _rows(tmp_path / "form8949.csv")} <= {"I", "L"}


@pytest.mark.parametrize("args, words", [
    (["--year", "2031"], "no transactions in tax year 2031"),
    (["--year", "twenty"], "is not a year"),
    (["--year", "2024", "--method", "magic"], "unknown accounting method 'magic'"),
    (["--year", "2024", "--country", "xx"], "country 'xx' is not supported"),
    (["--year", "2024", "--timezone", "Mars/Olympus"], "Mars/Olympus"),
    (["--year", "2024", "--currency", "BTC"], "not a fiat currency"),
    (["--year", "2024", "--format", "docx"], "unknown report format docx"),
])
def test_bad_parameters_get_a_clear_error(sample_db, tmp_path, args, words):
    result = CliRunner().invoke(main, ["--db", sample_db, "report", "--out", str(tmp_path / "r"), "--format", "csv",
                                       *args])
    assert result.exit_code != 0 and words in result.output, result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


def test_unwritable_output_folder(sample_db, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = CliRunner().invoke(main, ["--db", sample_db, "report", "--year", "2024", "--out", str(blocker / "r"),
                                       "--format", "csv"])
    assert result.exit_code != 0 and "cannot write the report" in result.output


def test_report_is_the_same_on_sqlite_and_postgresql(db_url, tmp_path):
    """The golden 2024 package comes out byte for byte from either database backend."""
    engine = api.workspace(db_url)
    for name, account in SAMPLE_ACCOUNTS.items():
        api.import_csv_file(engine, SAMPLE / name, account)
    package = api.report(engine, year=2024, out=tmp_path / "r", formats=("csv",))
    for name in ("summary.json", "form8949.csv", "schedule_d.csv", "income.csv", "holdings.csv", "audit.csv"):
        assert (tmp_path / "r" / name).read_bytes() == (GOLDEN / "us_2024_fifo" / name).read_bytes(), name
    assert package.summary["total_gain"] == "11195.46"
