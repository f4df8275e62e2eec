"""Issue 18 through a real `taxer report`: losses carried across years, the settings that feed them, options the
law does not allow, and the US 2025 safe-harbor election. Every figure is worked out by hand in the comments.

Ledgers are generic CSVs (amounts in the country's currency); a workspace is made per test.
"""

from __future__ import annotations

import csv
import json

from click.testing import CliRunner
from pypdf import PdfReader

from taxer import api
from taxer.cli import main

HEADER = ("Date,Sent Amount,Sent Currency,Received Amount,Received Currency,Fee Amount,Fee Currency,"
          "Net Worth Amount,Net Worth Currency,Label,Description,TxHash")


def buy(day: str, asset: str, amount: str, cost: str, currency: str) -> str:
    return f"{day} 10:00:00 UTC,{cost},{currency},{amount},{asset},,,,,,Buy,"


def sell(day: str, asset: str, amount: str, proceeds: str, currency: str) -> str:
    return f"{day} 10:00:00 UTC,{amount},{asset},{proceeds},{currency},,,,,,Sell,"


def workspace(tmp_path, accounts: dict[str, list[str]], settings: dict[str, str] | None = None) -> str:
    """A ledger database holding each account's rows (imported in the order given), with workspace settings."""
    db = str(tmp_path / "taxer.db")
    engine = api.workspace(db)
    for account, rows in accounts.items():
        path = tmp_path / f"{account}.csv"
        path.write_text("\n".join((HEADER, *rows)) + "\n")
        api.import_csv_file(engine, path, account)
    for key, value in (settings or {}).items():
        api.set_setting(engine, key, value)
    return db


def report(db: str, out, *args: str, ok: bool = True):
    result = CliRunner().invoke(main, ["--db", db, "report", "--out", str(out), *args])
    if ok:
        assert result.exit_code == 0, result.output
    return result


def summary(db: str, tmp_path, year: str, *args: str) -> dict:
    out = tmp_path / f"out-{year}-{'-'.join(args) or 'default'}"
    report(db, out, "--year", year, "--format", "csv", *args)
    return json.loads((out / "summary.json").read_text())


# --- United States: IRC 1211(b), 1212(b) -------------------------------------------------------------------

US_LOSS_YEAR = [
    buy("2023-02-01", "BTC", "1", "20000", "USD"),
    sell("2023-06-01", "BTC", "1", "10000", "USD"),   # short-term loss 10,000 (held four months)
    buy("2024-03-01", "ETH", "1", "1000", "USD"),
    sell("2024-04-01", "ETH", "1", "1000", "USD"),    # 2024: no gain, no loss
]


def test_us_2023_loss_is_limited_to_3000_and_7000_carries_into_2024(tmp_path):
    db = workspace(tmp_path, {"a": US_LOSS_YEAR})
    # 2023: Schedule D line 7 -10,000, line 16 -10,000; line 21 takes the 3,000 limit (IRC 1211(b)(1)). Carryover
    # Worksheet: line 8 = 10,000 - (3,000 + 0) = 7,000 short-term carried to 2024 (IRC 1212(b)(1)(A)).
    t2023 = summary(db, tmp_path, "2023")["country_totals"]
    assert (t2023["net_capital_gain"], t2023["capital_loss_deduction"], t2023["short_term_carryover_out"],
            t2023["long_term_carryover_out"], t2023["loss_carryover_in"]) == \
        ("-10000.00", "3000.00", "7000.00", "0.00", "0.00")
    # 2024 (its report computes 2023 from the ledger): line 6 enters the 7,000; line 7 = 0 - 7,000; deduction
    # 3,000 again; 4,000 carries to 2025. Of the 7,000 brought in, the 3,000 deduction used 3,000.
    t2024 = summary(db, tmp_path, "2024")["country_totals"]
    assert (t2024["short_term_carryover_in"], t2024["net_short_term_gain"], t2024["capital_loss_deduction"],
            t2024["short_term_carryover_out"]) == ("7000.00", "-7000.00", "3000.00", "4000.00")
    assert (t2024["loss_carryover_in"], t2024["loss_applied"], t2024["loss_carryover_out"]) == \
        ("7000.00", "3000.00", "4000.00")


def test_us_married_filing_separately_deducts_1500(tmp_path):
    # IRC 1211(b)(1): 1,500 for a married individual filing a separate return. 2023: 10,000 - 1,500 = 8,500
    # carried; 2024: line 7 = -8,500, deduction 1,500, 7,000 carried on. `married_separate` is the short name.
    db = workspace(tmp_path, {"a": US_LOSS_YEAR}, {"filing_status": "married_separate"})
    t2024 = summary(db, tmp_path, "2024")["country_totals"]
    assert (t2024["capital_loss_limit"], t2024["short_term_carryover_in"], t2024["capital_loss_deduction"],
            t2024["short_term_carryover_out"]) == ("1500.00", "8500.00", "1500.00", "7000.00")


def test_us_carryover_brought_in_from_before_the_ledger(tmp_path):
    # The ledger starts in 2024 with a short-term gain of 4,000; 5,000 of short-term loss is carried in from
    # 2023 (setting). Line 7 = 4,000 - 5,000 = -1,000: a deduction of 1,000, nothing left to carry; the gain and
    # the deduction used all 5,000 brought in.
    rows = [buy("2024-02-01", "BTC", "1", "10000", "USD"), sell("2024-05-01", "BTC", "1", "14000", "USD")]
    db = workspace(tmp_path, {"a": rows}, {"loss_carryover_short": "5000"})
    t = summary(db, tmp_path, "2024")["country_totals"]
    assert (t["short_term_carryover_in"], t["net_short_term_gain"], t["capital_loss_deduction"],
            t["loss_applied"], t["loss_carryover_out"]) == ("5000.00", "-1000.00", "1000.00", "5000.00", "0.00")


def test_us_long_term_loss_brought_in_keeps_its_character(tmp_path):
    # 2023 with 1,000 of long-term loss brought in: line 7 -10,000, line 15 -1,000, line 16 -11,000, deduction
    # 3,000. Worksheet: short 10,000 - (3,000 + 0) = 7,000; long line 9 1,000 - (line 10 0 + line 11
    # max(3,000 - 10,000, 0) = 0) = 1,000: the deduction comes from the short-term loss first.
    db = workspace(tmp_path, {"a": US_LOSS_YEAR}, {"loss_carryover_long": "1000"})
    t = summary(db, tmp_path, "2024")["country_totals"]
    assert (t["short_term_carryover_in"], t["long_term_carryover_in"]) == ("7000.00", "1000.00")


# --- United Kingdom: TCGA 1992 s2(2), s2A ------------------------------------------------------------------

def test_uk_losses_brought_forward_stop_at_the_annual_exempt_amount(tmp_path):
    rows = [
        buy("2023-05-01", "ETH", "10", "10000", "GBP"),
        sell("2023-09-01", "ETH", "10", "2000", "GBP"),   # 2023/24: pool cost 10,000, loss 8,000
        buy("2024-06-03", "BTC", "1", "10000", "GBP"),
        sell("2024-09-02", "BTC", "1", "15000", "GBP"),   # 2024/25: gain 5,000 (pool; no buy within 30 days)
    ]
    db = workspace(tmp_path, {"a": rows}, {"country": "uk"})
    # 2024/25: net gain 5,000, exempt amount 3,000 (s1K). Losses brought forward reduce the gain only to the
    # exempt amount: 2,000 used, 8,000 - 2,000 = 6,000 carried on; chargeable 0.
    t = summary(db, tmp_path, "2024")["country_totals"]
    assert (t["net_gain"], t["annual_exempt_amount"], t["loss_carryover_in"], t["loss_applied"],
            t["loss_carryover_out"], t["net_gain_after_losses_and_exempt_amount"]) == \
        ("5000.00", "3000.00", "8000.00", "2000.00", "6000.00", "0.00")


# --- Germany: EStG §23 Abs. 3 Sätze 7-8 ----------------------------------------------------------------------

def test_germany_private_sales_loss_carried_forward_in_a_report(tmp_path):
    rows = [
        buy("2023-01-10", "BTC", "1", "30000", "EUR"),
        sell("2023-06-10", "BTC", "1", "20000", "EUR"),   # 2023: held under a year, §23 loss 10,000
        buy("2024-01-10", "ETH", "1", "1000", "EUR"),
        sell("2024-03-10", "ETH", "1", "5000", "EUR"),    # 2024: §23 gain 4,000, over the 1,000 Freigrenze
    ]
    db = workspace(tmp_path, {"a": rows}, {"country": "de"})
    # 2024: the Freigrenze is tested on 4,000 before other years' losses (taxable); the 10,000 carried forward
    # (Verlustvortrag) takes 4,000, leaving 0 taxable and 6,000 to carry on. No 2022 to carry back to.
    t = summary(db, tmp_path, "2024")["country_totals"]
    assert (t["taxable_private_sales_gain"], t["loss_carryover_in"], t["loss_applied"], t["loss_carryover_out"],
            t["taxable_private_sales_gain_after_losses"]) == ("4000.00", "10000.00", "4000.00", "6000.00", "0.00")


# --- Australia: ITAA 1997 s102-5 ---------------------------------------------------------------------------

def test_australia_prior_net_capital_loss_applied_before_the_discount(tmp_path):
    rows = [
        buy("2023-08-01", "BTC", "1", "30000", "AUD"),
        buy("2023-08-01", "ETH", "10", "10000", "AUD"),
        sell("2023-10-02", "BTC", "1", "20000", "AUD"),   # 2023/24: capital loss 10,000
        sell("2024-09-02", "ETH", "10", "40000", "AUD"),  # 2024/25: gain 30,000, held over 12 months
    ]
    db = workspace(tmp_path, {"a": rows}, {"country": "au"})
    # 2024/25 s102-5(1): step 2 takes the 10,000 net capital loss from the discountable 30,000 -> 20,000; step 3
    # the 50 % discount -> 10,000 net capital gain (discounting first would give 15,000 - 10,000 = 5,000).
    t = summary(db, tmp_path, "2024")["country_totals"]
    assert (t["loss_carryover_in"], t["loss_applied"], t["discount_after_losses"],
            t["net_capital_gain_after_losses"], t["loss_carryover_out"]) == \
        ("10000.00", "10000.00", "10000.00", "10000.00", "0.00")


def test_australia_loss_brought_in_setting(tmp_path):
    # The ledger's first year 2024/25 with 4,000 of net capital loss brought in (setting), applied at step 2.
    rows = [buy("2024-07-10", "ETH", "10", "10000", "AUD"), sell("2024-09-02", "ETH", "10", "40000", "AUD")]
    db = workspace(tmp_path, {"a": rows}, {"country": "au", "loss_carryover": "4000"})
    t = summary(db, tmp_path, "2024")["country_totals"]
    # held under 12 months: no discount at all; 30,000 - 4,000 = 26,000
    assert (t["loss_applied"], t["net_capital_gain_after_losses"]) == ("4000.00", "26000.00")


# --- options the law does not allow ------------------------------------------------------------------------

def test_us_average_cost_is_refused_naming_the_rule(tmp_path):
    db = workspace(tmp_path, {"a": US_LOSS_YEAR})
    result = report(db, tmp_path / "out", "--year", "2024", "--method", "average", ok=False)
    assert result.exit_code != 0
    assert "Treas. Reg. 1.1012-1(e)" in result.output
    fetch = CliRunner().invoke(main, ["--db", db, "config", "set", "method", "average"])
    assert fetch.exit_code == 0, fetch.output
    refused = CliRunner().invoke(main, ["--db", db, "prices", "fetch", "--year", "2024"])
    assert refused.exit_code != 0 and "Treas. Reg. 1.1012-1(e)" in refused.output


def test_us_average_cost_with_allow_nonstandard_is_printed_on_every_page(tmp_path):
    db = workspace(tmp_path, {"a": US_LOSS_YEAR})
    out = tmp_path / "out"
    report(db, out, "--year", "2024", "--method", "average", "--allow-nonstandard")
    data = json.loads((out / "summary.json").read_text())
    assert data["method"] == "average"
    assert data["nonstandard"] == ["method average: average cost is allowed only for regulated investment company "
                                   "shares and dividend reinvestment plans (Treas. Reg. 1.1012-1(e)), not for "
                                   "digital assets"]
    pages = [page.extract_text() for page in PdfReader(out / "report.pdf").pages]
    assert pages and all("NONSTANDARD" in text for text in pages)
    text = "\n".join(pages)
    assert "Nonstandard options, insisted on" in text
    # the methodology page states the carryover (from 2023, the ledger's one earlier year) and the fee choice
    flat = " ".join(text.split())
    assert "Computed from the 1 earlier tax year the ledger holds (from 2023)" in flat
    assert "Short term carryover in: 7000.00" in flat
    assert "Treas. Reg. 1.1001-7(b)(2)" in flat


def test_allow_nonstandard_setting_and_prices_fetch_option(tmp_path):
    # Every event has a fiat leg: prices fetch needs no candle and asks no exchange.
    db = workspace(tmp_path, {"a": US_LOSS_YEAR}, {"method": "average"})
    fetched = CliRunner().invoke(main, ["--db", db, "prices", "fetch", "--year", "2024", "--allow-nonstandard"])
    assert fetched.exit_code == 0, fetched.output
    assert "0 values needed" in fetched.output
    api.set_setting(api.workspace(db), "allow_nonstandard", "yes")
    assert summary(db, tmp_path, "2024")["nonstandard"][0].startswith("method average")


# --- US 2025: the Rev. Proc. 2024-28 safe-harbor election -------------------------------------------------

def _ids(db: str) -> dict[tuple[str, str], int]:
    """Ledger id of each (account, date) acquisition."""
    return {(tx.account, tx.timestamp.date().isoformat()): tx.id for tx in api.transactions(api.workspace(db))}


SWAPPED = [
    # account a bought 1 BTC at 10,000, account b 1 BTC at 20,000; a sells 1 BTC in 2025 for 30,000
    ("a", [buy("2024-01-10", "BTC", "1", "10000", "USD"), sell("2025-03-03", "BTC", "1", "30000", "USD")]),
    ("b", [buy("2024-02-12", "BTC", "1", "20000", "USD")]),
]


def test_without_an_election_each_lot_stays_where_its_history_holds_it(tmp_path):
    db = workspace(tmp_path, dict(SWAPPED))
    out = tmp_path / "out"
    report(db, out, "--year", "2025")
    # a's own lot (basis 10,000, acquired 2024-01-10, sold after its anniversary): long-term gain 20,000
    data = json.loads((out / "summary.json").read_text())
    assert (data["long_term_gain"], data["short_term_gain"]) == ("20000.00", "0.00")
    assert "allocation_2025" not in data
    text = "\n".join(page.extract_text() for page in PdfReader(out / "report.pdf").pages)
    assert "None elected: each lot stays in the account whose history holds it" in text
    with open(out / "allocation_2025.csv", newline="") as handle:
        rows = [tuple(r.values()) for r in csv.DictReader(handle)]
    ids = _ids(db)
    assert rows == [("a", "BTC", "1", "2024-01-10", "10000", str(ids[("a", "2024-01-10")]), ""),
                    ("b", "BTC", "1", "2024-02-12", "20000", str(ids[("b", "2024-02-12")]), "")]


def test_a_specific_units_election_is_stored_applied_and_written(tmp_path):
    db = workspace(tmp_path, dict(SWAPPED))
    ids = _ids(db)
    lot_a, lot_b = ids[("a", "2024-01-10")], ids[("b", "2024-02-12")]
    # The election swaps the lots: a holds b's 20,000 lot, b holds a's 10,000 lot (Rev. Proc. 2024-28 s5.02),
    # recorded on 31 December 2024, before the first 2025 sale (s5.02(4)): no warning.
    election = {"units": [{"account": "a", "asset": "BTC", "acquisition_tx_id": lot_b, "amount": "1"},
                          {"account": "b", "asset": "BTC", "acquisition_tx_id": lot_a, "amount": "1"}],
                "recorded_on": "2024-12-31"}
    set_it = CliRunner().invoke(main, ["--db", db, "config", "set", "allocation_2025", json.dumps(election)])
    assert set_it.exit_code == 0, set_it.output
    out = tmp_path / "out"
    report(db, out, "--year", "2025")
    data = json.loads((out / "summary.json").read_text())
    # a's sale takes the elected lot: 30,000 - 20,000 = 10,000, long-term (acquired 2024-02-12, sold 2025-03-03)
    assert (data["long_term_gain"], data["cost_basis"], data["warnings"]) == ("10000.00", "20000.00", 0)
    assert data["allocation_2025"] == ("Rev. Proc. 2024-28 safe harbor: specific allocation of 2 lot portions to "
                                       "accounts, recorded 2024-12-31")
    with open(out / "allocation_2025.csv", newline="") as handle:
        rows = [tuple(r.values()) for r in csv.DictReader(handle)]
    assert rows == [("a", "BTC", "1", "2024-02-12", "20000", str(lot_b), ""),
                    ("b", "BTC", "1", "2024-01-10", "10000", str(lot_a), "")]
    text = "\n".join(page.extract_text() for page in PdfReader(out / "report.pdf").pages)
    assert "specific allocation of 2 lot portions" in text


def test_a_late_election_is_applied_with_a_warning_and_its_action(tmp_path):
    db = workspace(tmp_path, dict(SWAPPED))
    election = {"rule": "highest_cost_first", "account_order": ["a"], "recorded_on": "2025-06-01"}
    api.set_setting(api.workspace(db), "allocation_2025", json.dumps(election))
    out = tmp_path / "out"
    report(db, out, "--year", "2025", "--format", "csv")
    # highest cost first fills a (in the order given) with the 20,000 lot: the same 10,000 gain as above
    data = json.loads((out / "summary.json").read_text())
    assert data["long_term_gain"] == "10000.00"
    with open(out / "warnings.csv", newline="") as handle:
        [warning] = list(csv.DictReader(handle))
    assert warning["code"] == "safe_harbor_late" and "recorded_on" in warning["action"]


def test_a_malformed_election_is_refused(tmp_path):
    db = workspace(tmp_path, dict(SWAPPED))
    result = CliRunner().invoke(main, ["--db", db, "config", "set", "allocation_2025", '{"rule": "newest"}'])
    assert result.exit_code != 0 and "oldest_first" in result.output
    no_amount = json.dumps({"units": [{"account": "a", "asset": "BTC", "acquisition_tx_id": 1}]})
    result = CliRunner().invoke(main, ["--db", db, "config", "set", "allocation_2025", no_amount])
    assert result.exit_code != 0 and "amount" in result.output
    both = json.dumps({"rule": "oldest_first", "units": [{"account": "a", "asset": "BTC", "acquisition_tx_id": 1,
                                                          "amount": "1"}]})
    result = CliRunner().invoke(main, ["--db", db, "config", "set", "allocation_2025", both])
    assert result.exit_code != 0 and "not both" in result.output


# --- Canada: ITA s111(1)(b) --------------------------------------------------------------------------------

def test_canada_net_capital_loss_carried_forward_in_a_report(tmp_path):
    rows = [
        buy("2023-02-01", "BTC", "1", "20000", "CAD"),
        sell("2023-06-01", "BTC", "1", "10000", "CAD"),   # 2023: capital loss 10,000, allowable half 5,000
        buy("2024-03-01", "ETH", "1", "1000", "CAD"),
        sell("2024-04-01", "ETH", "1", "5000", "CAD"),    # 2024: gain 4,000, taxable half 2,000
    ]
    db = workspace(tmp_path, {"a": rows}, {"country": "ca"})
    # Line 25300 deducts the 5,000 net capital loss only up to the 2,000 taxable capital gain; 3,000 carries on.
    # No BTC was bought within 30 days of the loss, so it is not superficial (s54).
    t = summary(db, tmp_path, "2024")["country_totals"]
    assert (t["taxable_capital_gain"], t["loss_carryover_in"], t["loss_applied"],
            t["taxable_capital_gain_after_losses"], t["loss_carryover_out"]) == \
        ("2000.00", "5000.00", "2000.00", "0.00", "3000.00")


def test_a_carryover_setting_of_another_country_is_refused(tmp_path):
    # A US workspace reads loss_carryover_short / _long; a lone `loss_carryover` would be ignored silently.
    db = workspace(tmp_path, {"a": US_LOSS_YEAR}, {"loss_carryover": "5000"})
    result = report(db, tmp_path / "out", "--year", "2024", "--format", "csv", ok=False)
    assert result.exit_code != 0 and "loss_carryover_short" in result.output
