"""The ground truth itself: deterministic, never spending what it does not hold, prices inside candles."""

from __future__ import annotations

import time
from collections import Counter
from decimal import Decimal

from taxer_replica import generate_history


def test_same_seed_same_history_and_another_seed_differs():
    a = generate_history(seed=3, trades=300, start="2022-01-01", end="2022-12-31")
    b = generate_history(seed=3, trades=300, start="2022-01-01", end="2022-12-31")
    c = generate_history(seed=4, trades=300, start="2022-01-01", end="2022-12-31")
    assert a == b
    assert a.trades != c.trades


def test_counts_markets_and_spread(history):
    assert len(history.trades) == 6000
    assert len({t.id for t in history.trades}) == 6000
    by_market = Counter(t.symbol for t in history.trades)
    assert {"BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT", "ETH/BTC"} <= set(by_market)
    years = Counter(time.gmtime(t.timestamp / 1000).tm_year for t in history.trades)
    assert set(years) == {2023, 2024}
    assert all(history.start <= t.timestamp < history.end for t in history.trades)
    assert history.deposits[0].currency == "USDT" and history.deposits[0].timestamp == history.start
    assert history.withdrawals and history.rewards
    assert {r.label for r in history.rewards} == {"staking", "airdrop"}
    # timestamps and ids grow together inside each series: the exchanges' cursors rely on it
    for series in (history.trades, history.deposits, history.withdrawals, history.rewards):
        assert [int(r.id) for r in series] == sorted(int(r.id) for r in series)
        assert [r.timestamp for r in series] == sorted(r.timestamp for r in series)


def test_amounts_are_exact_and_consistent(history):
    for t in history.trades:
        assert t.amount > 0 and t.price > 0 and t.fee >= 0
        assert abs(t.cost - t.price * t.amount) <= Decimal("0.000000005")
        base, quote = t.symbol.split("/")
        assert t.fee_currency == (base if t.side == "buy" else quote)
    assert all(w.timestamp % 1000 == 0 for w in history.withdrawals)


def test_never_holds_less_than_zero_and_ledger_matches_balances(history):
    ledger = history.ledger()
    assert min(e.balance for e in ledger) >= 0
    final = {}
    for e in ledger:
        final[e.currency] = e.balance
    assert {k: v for k, v in final.items() if v} == dict(history.balances)
    assert len(ledger) == 2 * len(history.trades) + len(history.deposits) + len(history.withdrawals) + len(
        history.rewards)


def test_trade_prices_lie_inside_their_candles(history):
    for t in history.trades[::25]:
        for tf, ms in (("1m", 60_000), ("1h", 3_600_000), ("1d", 86_400_000)):
            (bar,) = history.ohlcv(t.symbol, tf, since=t.timestamp - t.timestamp % ms, limit=1)
            assert bar.low <= t.price <= bar.high, (t, tf, bar)


def test_daily_and_hourly_candles_cover_the_range(history):
    days = history.candles["BTC/USDT", "1d"]
    assert len(days) == 731
    assert days[0].timestamp == history.start and days[-1].timestamp == history.end - 86_400_000
    hours = history.candles["ETH/BTC", "1h"]
    assert len(hours) == 731 * 24
    assert all(b.low <= b.open <= b.high and b.low <= b.close <= b.high for b in hours[:500])
    assert ("SOL/USDT", "1d") in history.candles and len(history.candles) == 2 * len(history.markets)


def test_twenty_thousand_trades_generate():
    # how fast: bench/bench_sync.py generates the histories it syncs (speed belongs in bench/, not in tests)
    h = generate_history(seed=1, trades=20_000)
    assert len(h.trades) == 20_000
