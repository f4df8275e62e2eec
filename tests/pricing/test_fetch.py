"""`taxer prices fetch` against the replica's candles: values equal candle closes, few requests, offline after."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from click.testing import CliRunner

from taxer import api
from taxer.cli import main
from taxer.pricing.fetch import plan_pages
from taxer_replica import Replica, generate_history

UTC = UTC
HOUR, MINUTE = 3_600_000, 60_000


def test_plan_pages_covers_every_moment_with_the_fewest_pages():
    moments = [0, 10 * MINUTE, 999 * MINUTE, 1000 * MINUTE, 5000 * MINUTE, 5001 * MINUTE]
    assert plan_pages(moments, MINUTE, 1000) == [0, 1000 * MINUTE, 5000 * MINUTE]
    assert plan_pages([], MINUTE, 1000) == []


@pytest.fixture(scope="module")
def market():
    history = generate_history(seed=5, trades=200, start="2024-01-01", end="2024-12-31", assets=("ETH", "SOL"),
                               quote="USD", deposits=1, withdrawals=0, rewards=0)
    with Replica("binance", history) as rep:
        yield history, rep


def _close(history, symbol: str, timeframe: str, at: datetime) -> Decimal:
    ms = int(at.timestamp() * 1000)
    (candle,) = history.ohlcv(symbol, timeframe, since=ms - ms % 60_000, until=ms - ms % 60_000, limit=1)
    return Decimal(str(candle.close))


def test_fetched_candles_value_crypto_trades_and_rewards(tmp_path, write_koinly, market):
    history, rep = market
    db = str(tmp_path / "w.db")
    rows = ["2024-02-01 10:00:00 UTC,3000,USD,1.5,ETH,,,,,,,",        # buy ETH with USD (valued by its fiat leg)
            "2024-03-05 14:07:30 UTC,1,ETH,20,SOL,,,,,,,",            # ETH -> SOL: needs a price
            "2024-04-10 08:00:00 UTC,,,0.75,SOL,,,,,staking,,"]       # reward: needs a price
    api.import_csv_file(api.workspace(db), write_koinly(rows), "wallet")
    runner = CliRunner()
    fetched = runner.invoke(main, ["--db", db, "prices", "fetch", "--year", "2024", "--exchange", "binance",
                                   "--api-url", rep.url])
    assert fetched.exit_code == 0, fetched.output
    # the trade's SOL, the reward's SOL, and the year-end values of the ETH and SOL still held: one 1m page each
    assert "4 values needed" in fetched.output and "in 4 requests" in fetched.output
    requests_after_fetch = len(rep.requests)

    report = runner.invoke(main, ["--db", db, "report", "--year", "2024", "--out", str(tmp_path / "r"),
                                  "--format", "csv"])
    assert report.exit_code == 0
    assert len(rep.requests) == requests_after_fetch  # the report ran offline from the cache
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    sol_at_trade = _close(history, "SOL/USD", "1m", datetime(2024, 3, 5, 14, 7, tzinfo=UTC))
    sol_at_reward = _close(history, "SOL/USD", "1m", datetime(2024, 4, 10, 8, 0, tzinfo=UTC))
    cents = Decimal("0.01")
    assert summary["warnings"] == 0
    assert Decimal(summary["proceeds"]) == (20 * sol_at_trade).quantize(cents)
    assert Decimal(summary["income"]) == (Decimal("0.75") * sol_at_reward).quantize(cents)
    used = (tmp_path / "r" / "prices.csv").read_text().splitlines()
    assert used[0] == "timestamp,asset,quote,price,found" and len(used) == 5  # 2 events + 2 year-end values
    assert used[1].startswith("2024-03-05T14:07:30+00:00,SOL,USD,") and "1m candle of 2024-03-05T14:07:00" in used[1]
    # nothing is missing any more: a second fetch asks the exchange nothing
    again = runner.invoke(main, ["--db", db, "prices", "fetch", "--year", "2024", "--exchange", "binance",
                                 "--api-url", rep.url])
    assert "0 values needed" in again.output and len(rep.requests) == requests_after_fetch


def test_an_asset_without_a_market_stays_a_warning(tmp_path, write_koinly, market):
    _history, rep = market
    db = str(tmp_path / "w.db")
    api.import_csv_file(api.workspace(db), write_koinly(["2024-03-05 14:07:30 UTC,,,5,DOGE,,,,,airdrop,,"]), "w")
    result = CliRunner().invoke(main, ["--db", db, "prices", "fetch", "--year", "2024", "--exchange", "binance",
                                       "--api-url", rep.url])
    # the airdrop's value and the year-end value of the DOGE still held
    assert result.exit_code == 0 and "no DOGE/USD prices on binance for 2 moments" in result.output
    CliRunner().invoke(main, ["--db", db, "report", "--year", "2024", "--out", str(tmp_path / "r"),
                              "--format", "csv"])
    assert json.loads((tmp_path / "r" / "summary.json").read_text())["warnings"] == 1  # holdings stay unvalued


def test_year_end_holdings_get_market_value_and_unrealized_gain(tmp_path, write_koinly, market):
    history, rep = market
    db = str(tmp_path / "w.db")
    api.import_csv_file(api.workspace(db), write_koinly(["2024-02-01 10:00:00 UTC,3000,USD,1.5,ETH,,,,,,,"]), "w")
    runner = CliRunner()
    fetched = runner.invoke(main, ["--db", db, "prices", "fetch", "--year", "2024", "--exchange", "binance",
                                   "--api-url", rep.url])
    assert "1 values needed" in fetched.output
    runner.invoke(main, ["--db", db, "report", "--year", "2024", "--out", str(tmp_path / "r"), "--format", "csv"])
    (lot,) = [line.split(",") for line in (tmp_path / "r" / "holdings.csv").read_text().splitlines()[1:]]
    # the replica's history ends 2024-12-31: its last 1m candle holds the year's last moment
    close = _close(history, "ETH/USD", "1m", datetime(2024, 12, 31, 23, 59, tzinfo=UTC))
    value = (Decimal("1.5") * close).quantize(Decimal("0.01"))
    assert lot[0] == "ETH" and (lot[3], lot[7], lot[8]) == ("3000.00", str(value), str(value - Decimal("3000.00")))
