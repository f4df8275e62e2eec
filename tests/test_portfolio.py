"""`taxer portfolio`: values from the price cache to the cent, totals and shares that add up, missing prices shown
as missing, the sell-now figures equal to a report over the ledger plus those sales, the JSON shape, the page.

The ledger (amounts in the country's currency C), used throughout:
  account ex:     2023-03-01 buy 1 BTC for 20,000;  2024-02-10 buy 0.5 BTC for 21,000;
                  2024-03-01 buy 10 ETH for 30,000;  2024-05-01 sell 0.2 BTC for 13,000;
                  2024-05-10 staking 0.5 ETH worth 1,500
  account wallet: 2024-01-15 buy 100 SOL for 10,000; 2024-01-20 buy 1,000 DOGE for 100
The moment: 2024-06-15 12:00 UTC. Cached prices (user point prices of 06:00 that day): BTC 60,123.457,
ETH 3,456.789, SOL 150.333; none for DOGE.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from click.testing import CliRunner

from taxer import api
from taxer.cli import main
from taxer.countries import country
from taxer.portfolio import Inputs, apportion, build, end_of_day
from taxer.portfolio.show import portfolio_json
from taxer.reports.portfolio_html import portfolio_page
from tests.engine.helpers import buy, deposit, income, sell, withdrawal

HEADER = ("Date,Sent Amount,Sent Currency,Received Amount,Received Currency,Fee Amount,Fee Currency,"
          "Net Worth Amount,Net Worth Currency,Label,Description,TxHash")
AT = datetime(2024, 6, 15, 12, tzinfo=UTC)
PRICES = {"BTC": Decimal("60123.457"), "ETH": Decimal("3456.789"), "SOL": Decimal("150.333")}
D = Decimal


def cached(asset, quote, at, account=None):
    """The price book stand-in: the cached prices above, whatever the quote and moment."""
    return PRICES.get(asset)


def ex_rows(c: str) -> list[str]:
    return [f"2023-03-01 10:00:00 UTC,20000,{c},1,BTC,,,,,,Buy,",
            f"2024-02-10 10:00:00 UTC,21000,{c},0.5,BTC,,,,,,Buy,",
            f"2024-03-01 10:00:00 UTC,30000,{c},10,ETH,,,,,,Buy,",
            f"2024-05-01 10:00:00 UTC,0.2,BTC,13000,{c},,,,,,Sell,",
            f"2024-05-10 10:00:00 UTC,,,0.5,ETH,,,1500,{c},staking,Staking,"]


def wallet_rows(c: str) -> list[str]:
    return [f"2024-01-15 10:00:00 UTC,10000,{c},100,SOL,,,,,,Buy,",
            f"2024-01-20 10:00:00 UTC,100,{c},1000,DOGE,,,,,,Buy,"]


def workspace(tmp_path, currency: str):
    engine = api.workspace(f"sqlite:///{tmp_path / 'ledger.db'}")
    for account, rows in (("ex", ex_rows(currency)), ("wallet", wallet_rows(currency))):
        path = tmp_path / f"{account}.csv"
        path.write_text("\n".join((HEADER, *rows)) + "\n", encoding="utf-8")
        api.import_csv(engine, [path], account)
    prices = tmp_path / "prices.csv"
    prices.write_text("timestamp,asset,quote,price\n" + "".join(
        f"2024-06-15T06:00:00+00:00,{asset},{currency},{price}\n" for asset, price in PRICES.items()))
    api.import_prices(engine, [prices])
    return engine


def ledger(currency: str = "USD"):
    txs = [buy("2023-03-01 10:00", "BTC", "1", "20000", account="ex"),
           buy("2024-02-10 10:00", "BTC", "0.5", "21000", account="ex"),
           buy("2024-03-01 10:00", "ETH", "10", "30000", account="ex"),
           sell("2024-05-01 10:00", "BTC", "0.2", "13000", account="ex"),
           income("2024-05-10 10:00", "ETH", "0.5", "1500", account="ex"),
           buy("2024-01-15 10:00", "SOL", "100", "10000", account="wallet"),
           buy("2024-01-20 10:00", "DOGE", "1000", "100", account="wallet")]
    return [replace(tx, id=i + 1) for i, tx in enumerate(txs)]


def us_portfolio():
    us = country("us")
    return build(Inputs(ledger(), us.settings(), us, cached), AT)


# --- values, totals, shares ----------------------------------------------------------------------------------

def test_values_are_quantity_times_cached_price_to_the_cent():
    p = us_portfolio()
    a = {h.asset: h for h in p.assets}
    # BTC: 1 + 0.5 - 0.2 = 1.3 held; 1.3 x 60,123.457 = 78,160.4941 -> 78,160.49. Basis 0.8 x 20,000 + 21,000.
    assert (a["BTC"].quantity, a["BTC"].value, a["BTC"].cost_basis) == (D("1.3"), D("78160.49"), D("37000.00"))
    # ETH: 10.5 x 3,456.789 = 36,296.2845 -> 36,296.28; basis 30,000 + 1,500 (the staking income).
    assert (a["ETH"].quantity, a["ETH"].value, a["ETH"].cost_basis) == (D("10.5"), D("36296.28"), D("31500.00"))
    # SOL: 100 x 150.333 = 15,033.30.
    assert (a["SOL"].value, a["SOL"].unrealized_gain) == (D("15033.30"), D("5033.30"))
    for h in p.assets:
        if h.price is not None:
            assert h.value == (h.quantity * h.price).quantize(D("0.01"))


def test_totals_and_shares_add_up():
    p = us_portfolio()
    # 78,160.49 + 36,296.28 + 15,033.30 = 129,490.07; basis 37,000 + 31,500 + 10,000 + 100 (DOGE) = 78,600.
    assert (p.total_value, p.total_cost_basis) == (D("129490.07"), D("78600.00"))
    # Unrealized over the priced: 41,160.49 + 4,796.28 + 5,033.30 = 50,990.07 = 129,490.07 - (78,600 - 100).
    assert p.unrealized_gain == D("50990.07") == p.total_value - p.priced_cost_basis
    # BTC lots: 0.8 x 60,123.457 = 48,098.7656 and 0.5 x = 30,061.7285; floors 48,098.76 + 30,061.72 leave one
    # cent, which goes to the larger remainder (.0085): 30,061.73. Long: 48,098.76 - 16,000 = 32,098.76; short:
    # 9,061.73 (BTC) + 4,567.89 + 228.39 (ETH) + 5,033.30 (SOL) = 18,891.31.
    assert (p.long_term_gain, p.short_term_gain) == (D("32098.76"), D("18891.31"))
    assert p.short_term_gain + p.long_term_gain == p.unrealized_gain
    priced = [h for h in p.assets if h.value is not None]
    assert sum(h.value for h in priced) == p.total_value
    assert sum(h.share for h in priced) == pytest.approx(1)
    accounts = {a.account: a for a in p.accounts}
    # ex = BTC + ETH: 78,160.49 + 36,296.28 = 114,456.77; wallet = SOL only priced (DOGE missing).
    assert (accounts["ex"].value, accounts["wallet"].value) == (D("114456.77"), D("15033.30"))
    assert sum(a.value for a in p.accounts) == p.total_value
    assert sum(a.cost_basis for a in p.accounts) == p.total_cost_basis
    assert sum(a.share for a in p.accounts) == pytest.approx(1)
    for h in p.assets:  # the lots add up to their asset
        lots = [x for x in p.lots if x.asset == h.asset]
        assert sum(x.cost_basis for x in lots) == h.cost_basis
        if h.value is not None:
            assert sum(x.value for x in lots) == h.value


def test_apportion_keeps_the_total():
    # 1/3 each of 1.00: floors 0.33 x 3 = 0.99, the cent left goes to the first of the equal remainders.
    third = D(1) / 3
    assert apportion(D("1.00"), [third, third, third]) == [D("0.34"), D("0.33"), D("0.33")]
    assert apportion(D("0.00"), []) == []


def test_a_missing_price_is_shown_as_missing_never_zero():
    p = us_portfolio()
    doge = next(h for h in p.assets if h.asset == "DOGE")
    assert (doge.price, doge.value, doge.unrealized_gain, doge.share) == (None, None, None, None)
    assert p.missing_prices == ("DOGE",) and not p.complete
    assert next(a for a in p.accounts if a.account == "wallet").missing_prices == ("DOGE",)
    data = portfolio_json(p)
    row = next(a for a in data["assets"] if a["asset"] == "DOGE")
    assert (row["value"], row["unrealized_gain"], row["share"], row["price_missing"]) == (None, None, None, True)
    assert "DOGE" in data["sell_now"]["not_sold"]
    assert ">DOGE<" in portfolio_page(p).decode() and "missing" in portfolio_page(p).decode()


def test_short_term_lots_say_when_they_turn_long_term():
    p = us_portfolio()
    turning = {(x.asset, x.acquired): x.long_from for x in p.lots if x.term == "short"}
    # US: long-term when sold after the anniversary: acquired 2024-02-10 -> long from 2025-02-11.
    assert turning[("BTC", date(2024, 2, 10))] == date(2025, 2, 11)
    assert turning[("ETH", date(2024, 5, 10))] == date(2025, 5, 11)
    assert [x.term for x in p.lots if x.asset == "BTC"] == ["long", "short"]
    uk = country("uk")
    pooled = build(Inputs(ledger("GBP"), uk.settings(), uk, cached), AT)
    assert not pooled.holding_period and {x.term for x in pooled.lots} == {""}
    assert pooled.short_term_gain is None


def test_a_bare_date_means_the_end_of_that_local_day():
    de = country("de").settings()
    assert end_of_day(date(2024, 12, 31), de).isoformat() == "2024-12-31T22:59:59.999999+00:00"


def test_us_sell_now_figures():
    s = us_portfolio().sell_now
    # Printed lines (each rounded): BTC 0.8 long 48,098.77 - 16,000 = 32,098.77; BTC 0.5 short 30,061.73 - 21,000;
    # ETH 34,567.89 - 30,000 and 1,728.39 - 1,500; SOL 15,033.30 - 10,000.
    assert (s.proceeds, s.cost_basis) == (D("129490.08"), D("78500.00"))
    assert (s.short_term_gain, s.long_term_gain, s.total_gain) == (D("18891.31"), D("32098.77"), D("50990.08"))
    assert s.excluded == ("DOGE",)
    # The year's summary adds the earlier sale of 2024-05-01 (0.2 BTC: 13,000 - 4,000 = 9,000 long-term).
    assert s.summary_with["total_gain"] == "59990.08" and s.summary_before["total_gain"] == "9000.00"


# --- the sell-now figures are a report's -----------------------------------------------------------------------

@pytest.mark.parametrize("code", ["us", "de", "au", "uk", "ca"])
def test_sell_now_equals_a_report_on_the_ledger_plus_those_sales(tmp_path, code):
    rules = country(code)
    engine = workspace(tmp_path, rules.currency)
    found, _ = api.portfolio(engine, at=AT, country=code)
    s = found.sell_now
    assert s.sales and s.excluded == ("DOGE",)
    assert {tx.account for tx in s.sales} == {"ex", "wallet"}  # sold where the coins are, even in a pool
    # Record the very sales as ledger rows, then run the year's report on the ledger.
    for account in {tx.account for tx in s.sales}:
        rows = [f"{tx.timestamp:%Y-%m-%d %H:%M:%S} UTC,{tx.sent.amount:f},{tx.sent.asset},{tx.received.amount:f},"
                f"{tx.received.asset},,,,,,Sell now," for tx in s.sales if tx.account == account]
        path = tmp_path / f"sales-{account}.csv"
        path.write_text("\n".join((HEADER, *rows)) + "\n", encoding="utf-8")
        assert api.import_csv(engine, [path], account)[0].error is None
    year = rules.year_of(AT, rules.timezone(None))
    package = api.report(engine, year=year, out=tmp_path / "out", country=code, formats=("csv",))
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    # The year's totals agree; the holdings do not take part (the report's are at the year's end, after the sales;
    # under UK matching the sell-now result still lists the sold lots as held).
    assert {k: v for k, v in summary.items() if k != "holdings"} == \
        {k: v for k, v in s.summary_with.items() if k != "holdings"}
    assert package.summary["total_gain"] == s.summary_with["total_gain"]
    # The sales' own figures are the year's less what was realized before the moment.
    before = s.summary_before
    for field in ("proceeds", "cost_basis", "total_gain"):
        assert D(summary[field]) - D(before[field]) == getattr(s, field), field


# --- command line and JSON ---------------------------------------------------------------------------------------

def test_cli_json_shape(tmp_path):
    workspace(tmp_path, "USD")
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "ledger.db"), "portfolio", "--at",
                                       "2024-06-15T12:00:00Z", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    for key in ("at", "currency", "total_value", "total_cost_basis", "unrealized_gain", "assets", "accounts"):
        assert key in data
    assert data["at"] == "2024-06-15T12:00:00+00:00" and data["currency"] == "USD"
    assert (data["total_value"], data["total_cost_basis"], data["unrealized_gain"]) == (
        "129490.07", "78600.00", "50990.07")
    money = re.compile(r"^-?\d+\.\d\d$")
    for row in data["assets"]:
        assert set(row) >= {"asset", "quantity", "cost_basis", "value", "unrealized_gain", "share"}
        assert money.match(row["cost_basis"]) and isinstance(row["quantity"], str)
        assert row["value"] is None or money.match(row["value"])
        assert row["share"] is None or 0 <= row["share"] <= 1
    assert sum(r["share"] for r in data["assets"] if r["share"] is not None) == pytest.approx(1)
    assert {a["account"] for a in data["accounts"]} == {"ex", "wallet"}
    hifo = CliRunner().invoke(main, ["--db", str(tmp_path / "ledger.db"), "portfolio", "--at", "2024-06-15T12:00:00Z",
                                     "--json", "--method", "hifo"])
    # HIFO sold 0.2 of the 2024-02-10 lot (42,000 a coin) on 2024-05-01: 0.3 of it left, basis 12,600; the
    # 2023-03-01 coin whole (20,000); BTC basis 32,600 instead of FIFO's 37,000.
    assert next(a for a in json.loads(hifo.output)["assets"] if a["asset"] == "BTC")["cost_basis"] == "32600.00"
    assert sum(D(a["value"]) for a in data["accounts"]) == D(data["total_value"])


def test_cli_table_and_page(tmp_path):
    workspace(tmp_path, "USD")
    page = tmp_path / "page.html"
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "ledger.db"), "portfolio", "--at", "2024-06-15",
                                       "--html", str(page)])
    assert result.exit_code == 0, result.output
    assert "TOTAL" in result.output and "DOGE" in result.output and "missing" in result.output
    assert "Selling everything priced now" in result.output
    html = page.read_text(encoding="utf-8")
    # Self-contained: nothing that would load from elsewhere.
    assert not re.search(r"(src|href)\s*=|url\(|@import|https?://", html)
    for section in ("networth", "by-asset", "by-account", "gains", "income", "lots", "sell"):
        assert f'id="{section}"' in html
    assert html.count("<svg") >= 5


def test_cli_rejects_a_bad_moment(tmp_path):
    workspace(tmp_path, "USD")
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "ledger.db"), "portfolio", "--at", "June"])
    assert result.exit_code == 1 and "is not a date" in result.output


def test_the_report_package_hook(tmp_path):
    from taxer.portfolio.load import for_tax_year, year_page
    from taxer.year import load as load_year

    engine = workspace(tmp_path, "USD")
    found, inputs = for_tax_year(load_year(engine, 2024, background_fingerprint=False))
    assert found.at == datetime(2024, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    assert portfolio_page(found).startswith(b"<!DOCTYPE html>")
    page = year_page(load_year(engine, 2024, background_fingerprint=False)).decode()
    assert "Portfolio at the end of tax year 2024" in page and 'id="networth"' in page
    # `--format csv,html`: the page in the package, listed in its manifest with its SHA-256.
    package = api.report(engine, year=2024, out=tmp_path / "pkg", formats=("csv", "html"))
    manifest = json.loads((package.folder / "manifest.json").read_text())
    written = (package.folder / "portfolio.html").read_bytes()
    assert "portfolio.html" in manifest["files"] and b"Portfolio at the end of tax year 2024" in written
    assert manifest["files"]["portfolio.html"]["sha256"] == hashlib.sha256(written).hexdigest()


# --- the page in a real browser, offline -------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)")
def test_page_renders_in_headless_chromium_offline(tmp_path):
    engine = workspace(tmp_path, "USD")
    found, history = api.portfolio(engine, at=AT, history=True)
    page = api.write_portfolio_page(tmp_path / "page.html", found, history)
    # Every request goes to a proxy where nothing listens: the page must not need one.
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--proxy-server=127.0.0.1:9",
             "--disable-background-networking", f"--user-data-dir={tmp_path / 'profile'}"]
    shot = tmp_path / "page.png"
    subprocess.run([*flags, f"--screenshot={shot}", "--window-size=1200,1600", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    dom = subprocess.run([*flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120,
                         check=True).stdout
    assert 'data-ready="1"' in dom  # the inline script ran (not blocked by the page's own policy)
    assert "Net worth over time" in dom
    # Sorting: click the "value" heading of the holdings table: ascending, the missing DOGE first, then SOL
    # (15,033.30), ETH, BTC; a second click: descending.
    probe = tmp_path / "probe.html"
    order = "Array.from(document.querySelectorAll('#holdings tbody tr')).map(function(r){return r.cells[0]." \
            "textContent}).join(' ')"
    probe.write_text(page.read_text().replace("</body>", (
        "<script>var th=document.querySelector('#holdings thead th:nth-child(5)');"
        f"th.click();document.body.setAttribute('data-up',{order});"
        f"th.click();document.body.setAttribute('data-down',{order});</script></body>")))
    dom = subprocess.run([*flags, "--dump-dom", probe.as_uri()], capture_output=True, text=True, timeout=120,
                         check=True).stdout
    assert 'data-up="DOGE SOL ETH BTC"' in dom and 'data-down="BTC ETH SOL DOGE"' in dom


@pytest.mark.parametrize("code,when,located", [("us", "2024-06-15", False), ("us", "2025-06-15", True),
                                               ("de", "2024-06-15", True), ("uk", "2024-06-15", False)])
def test_accounts_show_where_the_coins_are(code, when, located):
    # 1 BTC bought in account a for 40,000, 0.4 moved to b (a matched transfer). In one universal pool (US before
    # 2025) or the UK's pooling the lot stays "bought in a"; the accounts still show where coins are. Germany pools
    # per wallet (BMF 10.05.2022 Rz. 61, taxer.countries.de), so there the lots themselves move.
    rules = country(code)
    txs = [replace(buy("2024-01-01 10:00", "BTC", "1", "40000", account="a", currency=rules.currency), id=1),
           replace(withdrawal("2024-02-01 10:00", "BTC", "0.4", account="a", tx_hash="h"), id=2),
           replace(deposit("2024-02-01 11:00", "BTC", "0.4", account="b", tx_hash="h"), id=3)]
    moment = datetime.fromisoformat(when).replace(hour=12, tzinfo=UTC)
    p = build(Inputs(txs, rules.settings(), rules, lambda asset, quote, at, account=None: D("50000.01")), moment)
    cells = {h.account: h for a in p.accounts for h in a.holdings}
    assert (cells["a"].quantity, cells["b"].quantity) == (D("0.6"), D("0.4"))
    # Basis 40,000 shared 0.6 : 0.4; value 1 x 50,000.01 shared 30,000.006 : 20,000.004 -> 30,000.01 : 20,000.00.
    assert (cells["a"].cost_basis, cells["b"].cost_basis) == (D("24000.00"), D("16000.00"))
    assert (cells["a"].value, cells["b"].value) == (D("30000.01"), D("20000.00"))
    assert sum(a.value for a in p.accounts) == p.total_value == D("50000.01")
    assert p.lots_located is located
