"""Amounts of any length printed exactly, and names that a spreadsheet would run as formulas (issue #21 items 5-6):
refused where they enter, and neutralized in every CSV of a package that holds them anyway."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal, InvalidOperation

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from taxer.cli import main
from taxer.files import csv_bytes
from taxer.model.identity import amount_text
from taxer.model.names import NameProblem, check_account, check_asset
from taxer.money import money, quantity

BUY = "1234567890123456789012.345678901234567891"    # 40 significant digits
SELL = "1234567890123456789012.345678901234567890"
REWARD = "9876543210987654321098.765432109876543210"
SHIB = "1234567890123.123456789012345678"             # the 31-digit example


def _invoke(*args, code=0):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def _csvs(folder):
    return {p.name: list(csv.reader(io.StringIO(p.read_text()))) for p in sorted(folder.glob("*.csv"))}


def test_exact_text_of_long_amounts():
    assert quantity(Decimal(SHIB)) == SHIB and amount_text(Decimal(SHIB)) == SHIB
    assert quantity(Decimal("1E+40")) == "1" + "0" * 40
    assert quantity(Decimal(f"{SELL}000")) == SELL.rstrip("0")
    assert money(Decimal(BUY)) == "1234567890123456789012.35"
    assert money(Decimal("1" * 40)) == "1" * 40 + ".00"  # quantize in the default context would fail here


@pytest.mark.parametrize("value", ["0", "-0.00", "1E+2", "1.50", "0E-10", "123456789012345678901234567.8",
                                   "-0.000000000000000000000000001", "7.000000000000000000000000000"])
def test_amount_text_is_unchanged_for_short_amounts(value):
    """It feeds content hashes and fingerprints: amounts of up to 28 digits keep their old text."""
    d = Decimal(value)
    assert amount_text(d) == format(d.normalize(), "f")


def test_40_digit_amounts_from_import_to_report(db_url, tmp_path, write_koinly):
    db = db_url
    path = write_koinly([
        f"2024-01-02 00:00:00 UTC,100,USD,{BUY},SHIB,,,100,USD,,buy,",
        f"2024-03-02 00:00:00 UTC,,,{REWARD},SHIB,,,10,USD,staking,reward,",
        f"2024-06-02 00:00:00 UTC,{SELL},SHIB,150,USD,,,150,USD,,sell,",
    ])
    _invoke("--db", db, "import", "csv", str(path), "--account", "main")
    ledger = json.loads(_invoke("--db", db, "ledger", "--json").output)
    assert [(t["received_amount"], t["sent_amount"]) for t in ledger] == [(BUY, "100"), (REWARD, None), ("150", SELL)]
    _invoke("--db", db, "report", "--year", "2024", "--out", str(tmp_path / "r"), "--format", "csv")
    tables = _csvs(tmp_path / "r")
    form = tables["form8949.csv"]
    amount = form[0].index("amount")
    assert [r[amount] for r in form[1:]] == [SELL.rstrip("0")]
    assert form[1][form[0].index("description")] == f"{SELL.rstrip('0')} SHIB"
    income = tables["income.csv"]
    assert income[1][income[0].index("amount")] == REWARD.rstrip("0")
    holdings = tables["holdings.csv"]
    held = {r[holdings[0].index("amount")] for r in holdings[1:]}
    assert held == {"0.000000000000000001", REWARD.rstrip("0")}
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["proceeds"] == "150.00" and summary["income"] == "10.00"


@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://x\",\"y\")", "@SUM(A1:A2)", "-2+3", "+1", "\tBTC", "a\rb", ""])
def test_formula_names_are_refused(name):
    with pytest.raises(NameProblem):
        check_asset(name)
    with pytest.raises(NameProblem):
        check_account(name)


@pytest.mark.parametrize("asset", ["BTC", "1INCH", "ETH2.S", "USDC.e", "BNB-BEP20", "WETH_ARB"])
def test_real_asset_codes_pass(asset):
    assert check_asset(asset) == asset


def test_a_formula_asset_is_refused_at_import_with_file_line_and_column(tmp_path, write_koinly):
    db = str(tmp_path / "t.db")
    path = write_koinly(["2024-01-02 00:00:00 UTC,100,USD,1,BTC,,,100,USD,,,",
                         "2024-01-03 00:00:00 UTC,100,USD,1,=HYPERLINK(1),,,100,USD,,,"])
    result = _invoke("--db", db, "import", "csv", str(path), "--account", "main", code=1)
    assert "koinly.csv, line 3, column 'Received Currency'" in result.output
    assert "is not an asset code" in result.output
    assert "Traceback" not in result.output
    assert json.loads(_invoke("--db", db, "ledger", "--json").output) == []


def test_a_formula_account_name_is_refused(tmp_path, write_koinly):
    db = str(tmp_path / "t.db")
    path = write_koinly(["2024-01-02 00:00:00 UTC,100,USD,1,BTC,,,100,USD,,,"])
    result = _invoke("--db", db, "import", "csv", str(path), "--account", "=cmd|' /C calc'!A0", code=1)
    assert "is not an account name" in result.output
    result = _invoke("--db", db, "account", "add", "@SUM(1)", "--exchange", "kraken", code=1)
    assert "is not an account name" in result.output


def test_a_price_file_with_a_formula_asset_is_refused(tmp_path):
    db = str(tmp_path / "t.db")
    path = tmp_path / "p.csv"
    path.write_text("timestamp,asset,quote,price\n2024-01-01,-2+3,USD,5\n")
    result = _invoke("--db", db, "prices", "import", str(path), code=1)
    assert "line 2" in result.output and "'asset'" in result.output


def test_csv_cells_are_neutralized_by_type():
    data = csv_bytes(("a", "b", "c"), [("=1+1", money(Decimal("-12.5")), -3), ("@x", "-2+3", quantity(Decimal("-1")))])
    assert list(csv.reader(io.StringIO(data.decode()))) == [["a", "b", "c"], ["'=1+1", "-12.50", "-3"],
                                                             ["'@x", "'-2+3", "-1"]]


def test_every_csv_of_a_package_with_formula_names_is_neutralized(tmp_path, write_koinly):
    """Names that got into a ledger before they were checked: every text cell of every CSV is made safe, money
    (such as a loss of -50.00) is left as it is."""
    db = str(tmp_path / "t.db")
    path = write_koinly([
        "2024-01-02 00:00:00 UTC,100,USD,10,EVIL,,,100,USD,,bought,",
        "2024-02-02 00:00:00 UTC,,,1,EVIL,,,5,USD,staking,reward,",
        "2024-03-02 00:00:00 UTC,5,EVIL,40,USD,,,40,USD,,sold,",
        "2024-04-02 00:00:00 UTC,1,EVIL,,,,,,,,sent away,",
    ])
    _invoke("--db", db, "import", "csv", str(path), "--account", "evil")
    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE accounts SET name = '=HYPERLINK(\"http://x\",\"y\")'"))
        for column in ("sent_asset", "received_asset"):
            conn.execute(text(f"UPDATE transactions SET {column} = '@SUM(A1)' WHERE {column} = 'EVIL'"))
        conn.execute(text("UPDATE transactions SET description = '-2+3'"))
    _invoke("--db", db, "report", "--year", "2024", "--out", str(tmp_path / "r"), "--format", "csv")
    tables = _csvs(tmp_path / "r")
    assert {"form8949.csv", "income.csv", "holdings.csv", "audit.csv", "warnings.csv"} <= set(tables)
    seen = set()
    for name, rows in tables.items():
        for row in rows[1:]:
            for value in row:
                if value.startswith(("=", "+", "-", "@", "\t", "\r")):
                    try:
                        Decimal(value)  # a number: money or a quantity, left as it is
                    except InvalidOperation:
                        pytest.fail(f"{name}: formula cell {value!r}")
                    seen.add("number")
                if value.startswith("'"):
                    seen.add(value[:5])
    assert {"'=HYP", "'@SUM", "number"} <= seen, seen
    form = tables["form8949.csv"]
    assert form[1][form[0].index("gain_loss")] == "-10.00"
