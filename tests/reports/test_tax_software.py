"""Tax-software exports (form8949.txf, turbotax.csv, taxact.csv) parsed back and summed to Schedule D per box;
summary.txt and the PDF print money as accountants read it; the TIN masked in every file; each country's forms.

The small ledger (USD): 2023-01-10 buy 1 BTC for 10,000 and 2024-02-01 buy 2 ETH for 8,000; 2024-03-01 sell
0.4 BTC for 1,000 (long, loss 3,000), 2024-06-01 sell 1 ETH for 899.92 (short, loss 3,100.08) and 2024-09-01
sell 0.1 BTC for 8,899.92 (long, gain 7,899.92); a 2024-12-31 price of BTC 95,000 and ETH 3,500 values what is
left: 0.5 BTC (basis 5,000, worth 47,500) and 1 ETH (basis 4,000, worth 3,500).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from taxer import api
from taxer.cli import main
from taxer.countries import us_software, us_txf
from taxer.reports.form8949 import Form8949Line

HEADER = ("Date,Sent Amount,Sent Currency,Received Amount,Received Currency,Fee Amount,Fee Currency,"
          "Net Worth Amount,Net Worth Currency,Label,Description,TxHash")
ROWS = ("2023-01-10 10:00:00 UTC,10000,{c},1,BTC,,,,,,Buy,",
        "2024-02-01 10:00:00 UTC,8000,{c},2,ETH,,,,,,Buy,",
        "2024-03-01 10:00:00 UTC,0.4,BTC,1000,{c},,,,,,Sell,",
        "2024-06-01 10:00:00 UTC,1,ETH,899.92,{c},,,,,,Sell,",
        "2024-09-01 10:00:00 UTC,0.1,BTC,8899.92,{c},,,,,,Sell,")
TIN = "123-45-6789"
EXPORTS = "csv,pdf,txf,turbotax,taxact"


def workspace(tmp, currency="USD", *, name=True):
    (tmp / "ledger.csv").write_text("\n".join((HEADER, *(r.format(c=currency) for r in ROWS))) + "\n")
    (tmp / "prices.csv").write_text(f"timestamp,asset,quote,price\n2024-12-31T12:00:00Z,BTC,{currency},95000\n"
                                    f"2024-12-31T12:00:00Z,ETH,{currency},3500\n")
    db = str(tmp / "taxer.db")
    engine = api.workspace(db)
    api.import_csv_file(engine, tmp / "ledger.csv", "exchange")
    api.import_prices(engine, [tmp / "prices.csv"])
    if name:
        api.set_setting(engine, "taxpayer", "Jane Q. Public")
        api.set_setting(engine, "taxpayer_tin", TIN)
        api.set_setting(engine, "preparer", "Acme CPA LLP")
    return db


def run(db, out, *args):
    result = CliRunner().invoke(main, ["--db", db, "report", "--year", "2024", "--out", str(out), *args])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def us(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("us")
    db = workspace(tmp)
    result = run(db, tmp / "out", "--format", EXPORTS, "--zip")
    return tmp / "out", result


def _csv(path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


def schedule_d(out) -> dict[str, dict[str, Decimal]]:
    return {r["box"]: {k: Decimal(r[k]) for k in ("proceeds", "cost_basis", "adjustment", "gain_loss")}
            for r in _csv(out / "schedule_d.csv") if r["box"]}


def _sum(rows, box_of, **columns) -> dict[str, dict[str, Decimal]]:
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for r in rows:
        for name, column in columns.items():
            sums[box_of(r)][name] += Decimal(r[column] or "0")
    return {box: dict(v) for box, v in sums.items()}


def test_txf_records_add_up_to_schedule_d_per_box(us):
    out, _ = us
    data = (out / "form8949.txf").read_bytes()
    assert data.startswith(b"V042\r\nAtaxer ") and b"\r\nD12/31/2024\r\n^\r\n" in data
    records = us_txf.parse(data)
    assert len(records) == len(_csv(out / "form8949.csv")) == 3
    assert {r["refnumber"] for r in records} == {"712", "714"}  # 2024: boxes C and F, no Form 1099-B
    sums = _sum(records, lambda r: r["box"], proceeds="proceeds", cost_basis="cost_basis", adjustment="adjustment")
    for box, want in schedule_d(out).items():
        got = sums[box]
        assert (got["proceeds"], got["cost_basis"], got["adjustment"]) == \
            (want["proceeds"], want["cost_basis"], want["adjustment"])
        assert got["proceeds"] - got["cost_basis"] + got["adjustment"] == want["gain_loss"]
    first = records[0]
    assert (first["acquired"], first["sold"]) == ("02/01/2024", "06/01/2024") and first["description"] == "1 ETH"


def test_txf_digital_asset_boxes_and_adjustments():
    """G-L lines take their A-F counterpart's refnumber and name their box; format 5 carries the adjustment."""
    line = Form8949Line("I", "G", "0.5 BTC", "2025-01-02", "2025-03-04", Decimal("100.00"), Decimal("150.00"), "B",
                        Decimal("20.00"), Decimal("-30.00"), "short", "cb", "BTC", Decimal("0.5"), 1, 2, "fifo", "")
    long = Form8949Line("II", "L", "1 ETH", "2023-01-02", "2025-03-04", Decimal("5.00"), Decimal("1.00"), "",
                        Decimal("0.00"), Decimal("4.00"), "long", "cb", "ETH", Decimal("1"), 3, 4, "fifo", "")
    data = us_txf.txf_bytes([line, long], date(2025, 12, 31))
    records = us_txf.parse(data)
    assert [(r["refnumber"], r["box"], r["adjustment"]) for r in records] == [("321", "G", "20.00"), ("714", "L", "")]
    assert "adjustment code B" in records[0]["detail"]
    assert data.count(b"\r\n^\r\n") == 3 and data.decode("ascii")  # header and two records, plain ASCII


def test_turbotax_rows_add_up_to_schedule_d_per_box_and_split_past_the_limit(us):
    out, _ = us
    rows = _csv(out / "turbotax.csv")
    assert tuple(rows[0]) == us_software.TURBOTAX_HEADER
    boxes = [r["box"] for r in _csv(out / "form8949.csv")]  # the same lines, in Form 8949 order
    assert len(rows) == len(boxes)
    sums = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for r, box in zip(rows, boxes, strict=True):
        sums[box][0] += Decimal(r["Proceeds"])
        sums[box][1] += Decimal(r["Cost Basis"])
        assert Decimal(r["Proceeds"]) >= 0 and Decimal(r["Cost Basis"]) >= 0  # negatives fail the upload
    for box, want in schedule_d(out).items():
        assert sums[box] == [want["proceeds"], want["cost_basis"]]
    assert rows[0]["Purchase Date"] == "02/01/2024" and rows[0]["Date Sold"] == "06/01/2024"

    class View:  # the exporter reads only the Form 8949 lines
        form8949 = tuple(Form8949Line("I", "C", f"{n} BTC", "2024-01-01", "2024-02-01", Decimal(n), Decimal(1), "",
                                      Decimal(0), Decimal(n - 1), "short", "a", "BTC", Decimal(n), n, n, "fifo", "")
                         for n in range(1, 8))
    files = us_software.turbotax(View, limit=3)
    assert list(files) == ["turbotax.csv", "turbotax_2.csv", "turbotax_3.csv"]
    parts = [list(csv.DictReader(io.StringIO(data.decode()))) for data in files.values()]
    assert [len(p) for p in parts] == [3, 3, 1]
    assert sum(Decimal(r["Proceeds"]) for p in parts for r in p) == sum(range(1, 8))


def test_taxact_rows_add_up_to_schedule_d_per_box(us):
    out, _ = us
    rows = _csv(out / "taxact.csv")
    assert tuple(rows[0]) == us_software.TAXACT_HEADER
    sums = _sum(rows, lambda r: r["Reporting Category"], proceeds="Sales Proceeds",
                cost_basis="Cost or Other Basis", adjustment="Adjustment Amount")
    want = schedule_d(out)
    assert set(sums) == set(want) == {"C", "F"}
    for box in want:
        assert sums[box] == {k: want[box][k] for k in ("proceeds", "cost_basis", "adjustment")}


def test_money_reads_as_an_accountant_reads_it_in_the_pdf_and_summary_txt(us):
    out, _ = us
    pages = [p.extract_text() for p in PdfReader(out / "report.pdf").pages]
    summary_page = pages[1]
    text = (out / "summary.txt").read_text()
    for shown in ("$10,799.84",     # proceeds 1,000 + 899.92 + 8,899.92 (Schedule D line 16)
                  "$(3,100.08)",    # the short-term loss, box C and line 7
                  "$4,899.92",      # long-term, box F: -3,000 + 7,899.92
                  "$1,799.84"):     # line 16
        assert shown in summary_page and shown in text, shown
    sched = (out / "schedule_d.csv").read_text()
    assert "-3100.08" in sched and "(3,100.08)" not in sched and "$" not in sched  # CSVs keep plain decimals
    # holdings with market value and unrealized gain per asset and overall
    summary = json.loads((out / "summary.json").read_text())
    held = {a["asset"]: a for a in summary["holdings"]["assets"]}
    assert held["BTC"]["market_value"] == "47500.00" and held["BTC"]["unrealized_gain"] == "42500.00"
    assert held["ETH"]["market_value"] == "3500.00" and held["ETH"]["unrealized_gain"] == "-500.00"
    assert summary["holdings"]["market_value"] == "51000.00" and summary["holdings"]["unrealized_gain"] == "42000.00"
    for shown in ("$51,000.00", "$42,000.00", "$(500.00)", "$47,500.00"):
        assert shown in text and shown in summary_page, shown


def test_the_tin_is_masked_in_every_file(us):
    out, _ = us
    found = {p.name: p.read_bytes() for p in out.iterdir()}
    with zipfile.ZipFile(out / "package.zip") as archive:
        found.update({f"zip:{n}": archive.read(n) for n in archive.namelist()})
    pdf = PdfReader(out / "report.pdf")
    found["report.pdf text"] = "\n".join(p.extract_text() for p in pdf.pages).encode()
    found["report.pdf metadata"] = json.dumps({k: str(v) for k, v in (pdf.metadata or {}).items()}).encode()
    for name, data in found.items():
        assert TIN.encode() not in data and b"123456789" not in data, name
    assert "***-**-6789" in found["report.pdf text"].decode()
    assert "***-**-6789" in (out / "summary.txt").read_text()
    assert "Jane Q. Public" in PdfReader(out / "report.pdf").pages[3].extract_text()  # every page's header


def test_config_shows_the_tin_masked(tmp_path):
    db = str(tmp_path / "t.db")
    result = CliRunner().invoke(main, ["--db", db, "config", "set", "taxpayer_tin", "987-65-4321"])
    assert result.exit_code == 0 and "***-**-4321" in result.output and "987-65" not in result.output
    shown = CliRunner().invoke(main, ["--db", db, "config"]).output
    assert "***-**-4321" in shown and "987" not in shown
    bad = CliRunner().invoke(main, ["--db", db, "config", "set", "taxpayer_tin", "x"])
    assert bad.exit_code != 0 and "taxpayer identification number" in bad.output


def test_no_taxpayer_name_warns_once_and_plurals_are_right(tmp_path):
    db = workspace(tmp_path, name=False)
    result = run(db, tmp_path / "out", "--format", "csv")
    assert result.stderr.count("no taxpayer name is set") == 1
    assert "taxer config set taxpayer NAME" in result.stderr
    text = (tmp_path / "out" / "summary.txt").read_text()
    assert "Taxpayer" in text and "(not set" in text
    assert "3 pieces" in text and "WARNINGS: none" in text
    assert "1 warnings" not in text and "1 events" not in text


def test_a_non_us_country_refuses_us_exports_and_writes_its_own_forms(tmp_path):
    db = workspace(tmp_path, "GBP")
    refused = CliRunner().invoke(main, ["--db", db, "report", "--year", "2024", "--country", "uk", "--out",
                                        str(tmp_path / "no"), "--format", "csv,txf"])
    assert refused.exit_code != 0 and "United Kingdom has no such tax-software file" in refused.output
    assert not (tmp_path / "no").exists()
    out = tmp_path / "uk"
    run(db, out, "--country", "uk")
    names = {p.name for p in out.iterdir()}
    assert {"hmrc_disposals.csv", "sa108.csv", "summary.txt", "report.pdf"} <= names
    assert not names & {"form8949.csv", "schedule_d.csv", "form8949.txf", "turbotax.csv", "taxact.csv"}
    totals = json.loads((out / "summary.json").read_text())["country_totals"]
    boxes = {r["box"]: r["value"] for r in _csv(out / "sa108.csv")}
    assert boxes == {"SA108 box 13.1": str(totals["disposals"]), "SA108 box 13.2": totals["disposal_proceeds"],
                     "SA108 box 13.3": totals["allowable_costs"], "SA108 box 13.4": totals["gains"],
                     "SA108 box 13.5": totals["losses"]}
    text = (out / "summary.txt").read_text()
    assert "SA108 box 13.2: Disposal proceeds" in text and "£" in text and "SCHEDULE D" not in text
    pdf = "\n".join(p.extract_text() for p in PdfReader(out / "report.pdf").pages)
    assert "SA108 box 13.4" in pdf and "£" in pdf and "Form 8949 box" not in pdf


@pytest.mark.parametrize("code, currency, name, refs", [
    ("ca", "CAD", "schedule3.csv", ("Schedule 3 line 15199", "Schedule 3 line 15300", "T1 line 12700")),
    ("de", "EUR", "anlage_so.csv", ("Anlage SO Zeile 44", "Anlage SO Zeile 45", "Anlage SO Zeile 47")),
    ("au", "AUD", "cgt_schedule.csv", ("Item 18 label H", "Item 18 label A", "Item 18 label V")),
])
def test_each_country_files_its_own_lines(tmp_path, code, currency, name, refs):
    db = workspace(tmp_path, currency)
    out = tmp_path / code
    run(db, out, "--country", code, "--format", "csv")
    rows = {r[next(iter(r))]: r["value"] for r in _csv(out / name)}
    assert set(refs) <= set(rows)
    assert not {p.name for p in out.iterdir()} & {"form8949.csv", "schedule_d.csv"}
    text = (out / "summary.txt").read_text()
    assert all(ref in text for ref in refs)
