"""User prices: the file, the lookup rules, and values they give the report; the ledger upgrades to hold them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from taxer import api
from taxer.cli import main
from taxer.errors import InputError
from taxer.pricing.book import PriceBook
from taxer.pricing.userfile import read_prices
from taxer.store import prices
from taxer.store.db import _alembic_config, current_revision, head_revision, open_engine
from taxer.store.prices import PriceRow

UTC = UTC


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_an_old_ledger_upgrades_in_place_and_keeps_its_data(db_url):
    old = create_engine(db_url)
    with old.begin() as conn:
        command.upgrade(_alembic_config(conn), "0001")  # a ledger made by the first release
    with old.begin() as conn:
        conn.execute(text("INSERT INTO accounts (name, kind, settings, created_at) VALUES "
                          "('kept', 'file', '{}', :t)"), {"t": at(2024, 1, 1) if old.dialect.name == "postgresql"
                                                         else "2024-01-01 00:00:00.000000"})
    old.dispose()
    engine = open_engine(db_url)
    assert current_revision(engine) == head_revision() == "0005"
    assert [a.name for a in api.accounts(engine)] == ["kept"]
    with engine.begin() as conn:
        prices.upsert(conn, [PriceRow("ETH", "USD", "1d", at(2024, 3, 1), Decimal("3400.5"), "user")], at(2025, 1, 1))
        assert prices.count(conn) == 1


def test_lookup_rules():
    book = PriceBook([
        PriceRow("ETH", "USD", "1d", at(2024, 3, 1), Decimal("3000"), "kraken"),
        PriceRow("ETH", "USD", "1h", at(2024, 3, 1, 14), Decimal("3100"), "kraken"),
        PriceRow("ETH", "USD", "1m", at(2024, 3, 1, 14, 5), Decimal("3105"), "kraken"),
        PriceRow("SOL", "USD", "1d", at(2024, 3, 1), Decimal("120"), "user"),
        PriceRow("SOL", "USD", "point", at(2024, 3, 1, 12), Decimal("125"), "user"),
        PriceRow("SOL", "USD", "1d", at(2024, 3, 1), Decimal("999"), "kraken"),
    ])
    assert book.price("ETH", "USD", at(2024, 3, 1, 14, 5, 30)) == Decimal("3105")   # the 1m candle
    assert book.price("ETH", "USD", at(2024, 3, 1, 14, 7)) == Decimal("3100")       # no 1m: the 1h candle
    assert book.price("ETH", "USD", at(2024, 3, 1, 9)) == Decimal("3000")           # only the day
    assert book.price("ETH", "USD", at(2024, 3, 2, 0, 0)) is None                   # next day: nothing
    assert book.price("SOL", "USD", at(2024, 3, 1, 11)) == Decimal("120")           # user day (point is later)
    assert book.price("SOL", "USD", at(2024, 3, 1, 13)) == Decimal("125")           # user point wins
    assert book.price("SOL", "USD", at(2024, 3, 2, 11, 59)) == Decimal("125")       # point reaches 24 h
    assert book.price("SOL", "USD", at(2024, 3, 2, 12, 1)) is None
    assert book.price("USD", "USD", at(2024, 3, 1)) == Decimal(1)
    assert book.used[("ETH", "USD", at(2024, 3, 1, 14, 5, 30))] == (Decimal("3105"), "ETH/USD 1m candle of "
                                                                    "2024-03-01T14:05:00+00:00 (close, kraken)")


def test_triangulation_and_inverse_pairs():
    from taxer.pricing.fetch import route

    book = PriceBook([
        PriceRow("PEPE", "USDT", "1h", at(2024, 3, 1, 14), Decimal("0.0000025"), "binance"),
        PriceRow("USDT", "USD", "1h", at(2024, 3, 1, 14), Decimal("0.9990"), "kraken"),
        PriceRow("EUR", "USD", "1h", at(2024, 3, 1, 14), Decimal("1.0800"), "kraken"),
        PriceRow("ETH", "USD", "1h", at(2024, 3, 1, 14), Decimal("3456"), "kraken"),
    ])
    moment = at(2024, 3, 1, 14, 30)
    assert book.price("PEPE", "USD", moment) == Decimal("0.0000025") * Decimal("0.9990")   # via USDT
    assert book.price("USD", "EUR", moment) == 1 / Decimal("1.0800")                       # inverse pair
    assert book.price("ETH", "EUR", moment) == Decimal("3456") * (1 / Decimal("1.0800"))   # via USD, inverted leg
    assert "(via USDT)" in book.lookup("PEPE", "USD", moment)[1]
    assert book.price("PEPE", "EUR", moment) is None  # two intermediates away: not guessed
    markets = {"PEPE/USDT": {}, "USDT/USD": {}, "EUR/USD": {}, "ETH/BTC": {}, "BTC/USD": {}}
    assert route(markets, "PEPE", "USD") == ["PEPE/USDT", "USDT/USD"]
    assert route(markets, "USD", "EUR") == ["EUR/USD"]
    assert route(markets, "ETH", "USD") == ["ETH/BTC", "BTC/USD"]
    assert route(markets, "DOGE", "USD") is None


@pytest.mark.parametrize("body, line, column, words", [
    ("timestamp,asset,quote\n", 1, None, "missing price"),
    ("timestamp,asset,quote,price\n2024-03-01,ETH,USD,abc\n", 2, "price", "not a number"),
    ("timestamp,asset,quote,price\n2024-03-01,ETH,USD,3000\n2024-13-01,ETH,USD,1\n", 3, "timestamp", "not a date"),
    ("timestamp,asset,quote,price\n2024-03-01 10:00:00,ETH,USD,1\n", 2, "timestamp", "no time zone"),
    ("timestamp,asset,quote,price\n2024-03-01,,USD,1\n", 2, "asset", "is empty"),
    ("timestamp,asset,quote,price\n2024-03-01,ETH,USD,-5\n", 2, "price", "negative"),
])
def test_bad_price_files_name_the_place(tmp_path, body, line, column, words):
    path = tmp_path / "prices.csv"
    path.write_text(body)
    with pytest.raises(InputError) as err:
        read_prices(path)
    assert (err.value.line, err.value.column) == (line, column) and words in str(err.value)
    assert str(path) in str(err.value)


TRADE = "2024-03-01 14:05:00 UTC,1,ETH,25,SOL,,,,,,,"   # ETH -> SOL with no fiat value stated


def test_an_imported_price_values_a_crypto_trade_and_clears_the_warning(tmp_path, write_koinly):
    db = str(tmp_path / "w.db")
    buy = "2024-01-10 10:00:00 UTC,2000,USD,1,ETH,,,,,,,"
    engine = api.workspace(db)
    api.import_csv_file(engine, write_koinly([buy, TRADE]), "a")
    runner = CliRunner()
    before = runner.invoke(main, ["--db", db, "report", "--year", "2024", "--out", str(tmp_path / "r1"),
                                  "--format", "csv"])
    summary = json.loads((tmp_path / "r1" / "summary.json").read_text())
    assert before.exit_code == 0 and summary["warnings"] == 1 and summary["proceeds"] == "0.00"

    prices_file = tmp_path / "my-prices.csv"
    prices_file.write_text("Timestamp,Asset,Quote,Price\n2024-03-01 14:00:00 UTC,SOL,USD,130.40\n")
    assert "1 prices" in runner.invoke(main, ["--db", db, "prices", "import", str(prices_file)]).output
    runner.invoke(main, ["--db", db, "report", "--year", "2024", "--out", str(tmp_path / "r2"), "--format", "csv"])
    summary = json.loads((tmp_path / "r2" / "summary.json").read_text())
    # 1 ETH disposed of for 25 SOL x 130.40 = 3260.00; basis 2000.00
    assert (summary["proceeds"], summary["cost_basis"], summary["total_gain"], summary["warnings"]) == \
        ("3260.00", "2000.00", "1260.00", 0)
    # a corrected price replaces the old one (user prices are upserted per bucket)
    prices_file.write_text("timestamp,asset,quote,price\n2024-03-01 14:00:00 UTC,SOL,USD,130\n")
    runner.invoke(main, ["--db", db, "prices", "import", str(prices_file)])
    runner.invoke(main, ["--db", db, "report", "--year", "2024", "--out", str(tmp_path / "r3"), "--format", "csv"])
    assert json.loads((tmp_path / "r3" / "summary.json").read_text())["proceeds"] == "3250.00"
    out = tmp_path / "export.csv"
    assert "1 prices written" in runner.invoke(main, ["--db", db, "prices", "export", "--out", str(out)]).output
    assert out.read_text().splitlines() == ["timestamp,asset,quote,price,resolution,source",
                                            "2024-03-01T14:00:00+00:00,SOL,USD,130,point,user"]


def test_a_bad_price_file_changes_nothing(tmp_path):
    db = str(tmp_path / "w.db")
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text("timestamp,asset,quote,price\n2024-03-01,ETH,USD,3000\n")
    bad.write_text("timestamp,asset,quote,price\n2024-03-02,ETH,USD,3100\n2024-03-03,ETH,USD,x\n")
    result = CliRunner().invoke(main, ["--db", db, "prices", "import", str(good), str(bad)])
    assert result.exit_code == 1 and "bad.csv, line 3, column 'price'" in result.output
    with api.workspace(db).connect() as conn:
        assert [r.price for r in prices.load(conn)] == [Decimal("3000")]  # the good file, none of the bad one
