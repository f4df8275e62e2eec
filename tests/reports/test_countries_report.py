"""`taxer report --country XX` on one small ledger: summary.json fields and label, the PDF names the law.

Ledger (amounts in the country's currency): 2023-05-01 buy 10 ETH for 10,000; 2024-05-01 10:00 UTC sell 4 for
6,000 and 15:00 buy 1 for 1,200; 2024-05-20 buy 1 for 1,300; 2024-08-01 staking 0.5 ETH worth 800; 2024-11-15 sell
2 for 5,000. Each country's figures are worked out by hand in its test.
"""

from __future__ import annotations

import csv
import json
import re

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from taxer import api
from taxer.cli import main

HEADER = ("Date,Sent Amount,Sent Currency,Received Amount,Received Currency,Fee Amount,Fee Currency,"
          "Net Worth Amount,Net Worth Currency,Label,Description,TxHash")


def ledger(currency: str) -> str:
    rows = [
        f"2023-05-01 10:00:00 UTC,10000,{currency},10,ETH,,,,,,Buy,",
        f"2024-05-01 10:00:00 UTC,4,ETH,6000,{currency},,,,,,Sell,",
        f"2024-05-01 15:00:00 UTC,1200,{currency},1,ETH,,,,,,Buy,",
        f"2024-05-20 10:00:00 UTC,1300,{currency},1,ETH,,,,,,Buy,",
        f"2024-08-01 10:00:00 UTC,,,0.5,ETH,,,800,{currency},staking,Staking,",
        f"2024-11-15 10:00:00 UTC,2,ETH,5000,{currency},,,,,,Sell,",
    ]
    return "\n".join((HEADER, *rows)) + "\n"


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """One workspace per currency, and a report (CSV and PDF) per country."""
    base = tmp_path_factory.mktemp("countries")
    out = {}
    for code, currency in (("us", "USD"), ("uk", "GBP"), ("ca", "CAD"), ("de", "EUR"), ("au", "AUD")):
        path = base / f"{code}.csv"
        path.write_text(ledger(currency))
        db = str(base / f"{code}.db")
        api.import_csv_file(api.workspace(db), path, "exchange")
        year = "2024/25" if code == "uk" else "2024"  # the UK's own label is accepted too
        result = CliRunner().invoke(main, ["--db", db, "report", "--year", year, "--country", code,
                                           "--out", str(base / code)])
        assert result.exit_code == 0, result.output
        folder = base / code
        text = "\n".join(page.extract_text() for page in PdfReader(folder / "report.pdf").pages)
        out[code] = (json.loads((folder / "summary.json").read_text()), text, folder)
    return out


COMMON = {"year", "method", "currency", "proceeds", "cost_basis", "short_term_gain", "long_term_gain", "total_gain",
          "income", "disposals", "warnings"}


def test_uk(reports):
    # 1 May: 4 sold for 6,000 (1,500 each): same day 1 (cost 1,200), 30 days 1 (20 May, 1,300), pool 2 (2,000).
    # Pool then 8 ETH 8,000, + staking 0.5 at 800 = 8.5 ETH 8,800. 15 Nov: 2 from the pool: 8,800 x 2 / 8.5 =
    # 2,070.59. Gains per disposal: 1,500 and 2,929.41.
    summary, text, folder = reports["uk"]
    assert COMMON <= set(summary)
    assert (summary["year"], summary["currency"], summary["method"]) == ("2024/25", "GBP", "pooling")
    assert (summary["proceeds"], summary["cost_basis"], summary["total_gain"], summary["income"]) == \
        ("11000.00", "6570.59", "4429.41", "800.00")
    assert summary["country_totals"] == {
        "disposals": 2, "disposal_proceeds": "11000.00", "allowable_costs": "6570.59", "gains": "4429.41",
        "losses": "0.00", "net_gain": "4429.41", "annual_exempt_amount": "3000.00",
        "net_gain_after_exempt_amount": "1429.41", "pieces_same_day": 1, "pieces_thirty_day": 1,
        "pieces_pool": 2, "net_gain_before_30_october_2024": "1500.00", "net_gain_from_30_october_2024": "2929.41",
        # 2023/24 (the buy only) left no loss to bring forward (TCGA 1992 s2(2))
        "loss_carryover_in": "0.00", "loss_applied": "0.00", "loss_carryover_out": "0.00",
        "net_gain_after_losses_and_exempt_amount": "1429.41"}
    with open(folder / "hmrc_disposals.csv", newline="") as handle:
        pieces = [(r["date_disposed"], r["rule"], r["date_acquired"], r["proceeds"], r["allowable_costs"])
                  for r in csv.DictReader(handle)]
    assert pieces == [("2024-05-01", "same day", "2024-05-01", "1500.00", "1200.00"),
                      ("2024-05-01", "30 days", "2024-05-20", "1500.00", "1300.00"),
                      ("2024-05-01", "Section 104 pool", "VARIOUS", "3000.00", "2000.00"),
                      ("2024-11-15", "Section 104 pool", "VARIOUS", "5000.00", "2070.59")]
    for words in ("CRYPTO22200", "TCGA 1992 s104", "same day", "30 days", "S104 pool", "Tax year 2024/25"):
        assert words in text, words


def test_ca(reports):
    # ACB 10 ETH 10,000. 1 May: 4 at 1,000 = 4,000, gain 2,000. Then 6 + 1 + 1 + 0.5 ETH: 6,000 + 1,200 + 1,300
    # + 800 = 9,300 for 8.5. 15 Nov: 2 x 9,300 / 8.5 = 2,188.24, gain 2,811.76. Net 4,811.76, taxable half.
    summary, text, _ = reports["ca"]
    assert COMMON <= set(summary)
    assert (summary["year"], summary["currency"], summary["total_gain"]) == (2024, "CAD", "4811.76")
    totals = summary["country_totals"]
    assert (totals["adjusted_cost_base"], totals["net_capital_gain"], totals["inclusion_rate"],
            totals["taxable_capital_gain"], totals["superficial_losses_denied"]) == \
        ("6188.24", "4811.76", "1/2", "2405.88", "0.00")
    for words in ("Superficial loss (ITA s.54", "2/3", "Taxable capital gain"):
        assert words in text, words


def test_de(reports):
    # FIFO from the 2023-05-01 lot. 1 May 2024 is its anniversary: not more than one year, taxable (gain
    # 2,000). 15 Nov: held over a year, tax-free (gain 3,000). 2,000 is over the 1,000 limit; 800 of income
    # is over 256.
    summary, text, _ = reports["de"]
    assert (summary["year"], summary["currency"], summary["short_term_gain"], summary["long_term_gain"]) == \
        (2024, "EUR", "2000.00", "3000.00")
    assert summary["country_totals"] == {
        "gain_held_up_to_one_year": "2000.00", "gain_held_over_one_year_tax_free": "3000.00",
        "freigrenze": "1000.00", "freigrenze_applied": False, "taxable_private_sales_gain": "2000.00",
        "private_sales_loss": "0.00", "income_22_nr_3": "800.00", "income_limit": "256.00",
        "income_limit_applied": False, "taxable_income_22_nr_3": "800.00",
        # 2023 (the buy only) had no §23 loss to carry forward or back
        "loss_carryover_in": "0.00", "loss_applied": "0.00", "loss_carried_back": "0.00",
        "loss_carried_back_in": "0.00", "loss_carryover_out": "0.00",
        "taxable_private_sales_gain_after_losses": "2000.00"}
    for words in ("EStG §23", "§22 Nr. 3", "Freigrenze"):
        assert words in text, words


def test_au(reports):
    # 2024/25 starts 1 July 2024: only the 15 Nov sale, FIFO from the 2023 lot: cost 2,000, gain 3,000, held
    # over 12 months: discount 1,500, net capital gain 1,500. Staking (1 Aug) is in the year.
    summary, text, _ = reports["au"]
    assert (summary["year"], summary["currency"], summary["disposals"], summary["income"]) == \
        ("2024/25", "AUD", 1, "800.00")
    totals = summary["country_totals"]
    assert (totals["gross_capital_gains"], totals["discount"], totals["net_capital_gain"]) == \
        ("3000.00", "1500.00", "1500.00")
    for words in ("ITAA 1997", "Division 115", "Tax year 2024/25"):
        assert words in text, words


def test_us(reports):
    summary, text, folder = reports["us"]
    assert (summary["year"], summary["currency"], summary["short_term_gain"], summary["long_term_gain"]) == \
        (2024, "USD", "2000.00", "3000.00")
    # the US return's own lines are Schedule D's; country_totals holds the loss carryover (nothing to carry here)
    totals = summary["country_totals"]
    assert (totals["net_capital_gain"], totals["capital_loss_deduction"], totals["loss_carryover_in"],
            totals["loss_carryover_out"]) == ("5000.00", "0.00", "0.00", "0.00")
    assert not (folder / "hmrc_disposals.csv").exists()
    assert "Rev. Proc. 2024-28" in text


def test_warnings_are_the_same_in_every_country(reports):
    assert {code: summary["warnings"] for code, (summary, _, _) in reports.items()} == \
        {"us": 0, "uk": 0, "ca": 0, "de": 0, "au": 0}


def test_uk_report_matches_a_buy_in_the_next_tax_year(tmp_path):
    # 2023/24 ends on 5 April 2024. Sold 1 ETH on 1 April 2024 for 1,500; bought 1 back on 20 April 2024 (next tax
    # year, day 19) for 1,300: the 30-day rule matches them, so the 2023/24 gain is 1,500 - 1,300 = 200, not the
    # pool's 1,500 - 1,000 = 500. The report must read the ledger past the year's end to see that buy.
    path = tmp_path / "uk.csv"
    path.write_text("\n".join((HEADER, "2023-05-01 10:00:00 UTC,2000,GBP,2,ETH,,,,,,Buy,",
                               "2024-04-01 10:00:00 UTC,1,ETH,1500,GBP,,,,,,Sell,",
                               "2024-04-20 10:00:00 UTC,1300,GBP,1,ETH,,,,,,Buy,")) + "\n")
    engine = api.workspace(str(tmp_path / "uk.db"))
    api.import_csv_file(engine, path, "exchange")
    summary = api.report(engine, year="2023/24", country="uk", out=tmp_path / "r", formats=("csv",)).summary
    assert (summary["year"], summary["proceeds"], summary["cost_basis"], summary["total_gain"]) == \
        ("2023/24", "1500.00", "1300.00", "200.00")
    assert summary["country_totals"]["pieces_thirty_day"] == 1


def test_terminal_summary_speaks_the_countrys_terms(reports):
    from taxer.views import render_summary

    uk = render_summary(reports["uk"][0])
    assert "Tax year 2024/25 (UK, POOLING, GBP)" in uk and "Form 8949" not in uk and "short-term" not in uk
    assert re.search(r"annual exempt amount\s+3000\.00 GBP", uk) and re.search(r"pieces pool\s+2\n", uk)
    us = render_summary(reports["us"][0])
    assert "disposals on Form 8949" in us and "short-term gain" in us and "country" not in us.lower().split("\n")[1]


def test_each_country_files_its_own_forms(reports):
    # Form 8949 and Schedule D are US forms: only the US package has them; the UK's has HMRC's disposal list.
    for code, (_summary, text, folder) in reports.items():
        names = {p.name for p in folder.iterdir()}
        us_forms = {"form8949.csv", "schedule_d.csv"}
        if code == "us":
            assert us_forms <= names and "Schedule D" in text
        else:
            assert not us_forms & names, (code, sorted(names))
            assert "Schedule D" not in text, code
    assert "hmrc_disposals.csv" in {p.name for p in reports["uk"][2].iterdir()}
