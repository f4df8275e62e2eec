"""binance's spot API (api/v3, sapi/v1) through the real ccxt client over HTTP."""

from __future__ import annotations

from decimal import Decimal

import ccxt
import pytest

from taxer_replica import Permissions
from tests.replica.conftest import make_replica
from tests.replica.helpers import DAY, binance_dividends, binance_trades, binance_transfers, client


def D(x) -> Decimal:
    return Decimal(str(x))


def test_load_markets_calls_only_currencies_and_spot_markets(binance_replica):
    ex = client(binance_replica)
    before = len(binance_replica.requests)
    ex.load_markets()
    paths = [p for _, p, _ in binance_replica.requests[before:]]
    assert sorted(paths) == ["/api/v3/exchangeInfo", "/sapi/v1/capital/config/getall"]
    assert {"BTC/USDT", "ETH/USDT", "ETH/BTC"} <= set(ex.markets)
    assert ex.markets["ETH/BTC"]["precision"]["amount"] == 1e-05


def test_default_options_still_load(binance_replica):
    ex = client(binance_replica, options={})
    before = len(binance_replica.requests)
    ex.load_markets()
    paths = {p for _, p, _ in binance_replica.requests[before:]}
    assert {"/sapi/v1/margin/allPairs", "/fapi/v1/exchangeInfo", "/dapi/v1/exchangeInfo"} <= paths
    assert ex.markets["BTC/USDT"]["margin"] is True


@pytest.mark.parametrize("page_size", [1000, 150])
def test_every_trade_arrives_once_by_from_id(binance, binance_replica, history, page_size):
    before = len(binance_replica.requests)
    for m in history.markets:
        got = binance_trades(binance, m.symbol, page_size=page_size)
        truth = history.trades_of(m.symbol)
        assert [t["id"] for t in got] == [t.id for t in truth]
        for g, t in zip(got, truth, strict=True):
            assert (g["symbol"], g["side"], g["order"], g["timestamp"]) == (t.symbol, t.side, t.order_id, t.timestamp)
            assert (D(g["price"]), D(g["amount"]), D(g["cost"])) == (t.price, t.amount, t.cost)
            assert (D(g["fee"]["cost"]), g["fee"]["currency"]) == (t.fee, t.fee_currency)
            assert g["info"]["qty"] == f"{t.amount:f}" and g["info"]["commission"] == f"{t.fee:f}"
    calls = [q for _, p, q in binance_replica.requests[before:] if p == "/api/v3/myTrades"]
    assert len(calls) >= len(history.markets) + (page_size == 150) * 20


def test_my_trades_rules(binance, history):
    start = history.trades_of("BTC/USDT")[10].timestamp
    with pytest.raises(ccxt.BadRequest, match="-1127"):
        binance.fetch_my_trades("BTC/USDT", start, 100, {"until": start + 25 * 3_600_000})
    with pytest.raises(ccxt.BadRequest, match="-1128"):
        binance.fetch_my_trades("BTC/USDT", start, 100, {"fromId": 1})
    with pytest.raises(ccxt.ArgumentsRequired):
        binance.fetch_my_trades()
    day = binance.fetch_my_trades("BTC/USDT", start, 1000, {"until": start + DAY})
    assert [t["id"] for t in day] == [t.id for t in history.trades_of("BTC/USDT")
                                      if start <= t.timestamp <= start + DAY]
    latest = binance.fetch_my_trades("BTC/USDT", None, 5)
    assert [t["id"] for t in latest] == [t.id for t in history.trades_of("BTC/USDT")[-5:]]


def test_deposits_and_withdrawals_in_90_day_windows(binance, history):
    deposits = binance_transfers(binance, "deposit", history.start, history.end)
    assert sorted(d["id"] for d in deposits) == [d.id for d in history.deposits]
    truth = {d.id: d for d in history.deposits}
    for d in deposits:
        t = truth[d["id"]]
        assert (d["currency"], D(d["amount"]), d["txid"], d["timestamp"], d["status"]) == (
            t.currency, t.amount, t.txid, t.timestamp, "ok")
    withdrawals = binance_transfers(binance, "withdrawal", history.start, history.end)
    assert sorted(w["id"] for w in withdrawals) == [w.id for w in history.withdrawals]
    truth = {w.id: w for w in history.withdrawals}
    for w in withdrawals:
        t = truth[w["id"]]
        assert (w["currency"], D(w["amount"]), D(w["fee"]["cost"]), w["timestamp"], w["status"]) == (
            t.currency, t.amount, t.fee, t.timestamp, "ok")


def test_a_window_over_90_days_gets_1127(binance, history):
    with pytest.raises(ccxt.BadRequest, match="-1127"):
        binance.sapi_get_capital_deposit_hisrec({"startTime": history.start, "endTime": history.start + 91 * DAY})
    with pytest.raises(ccxt.BadRequest, match="-1127"):    # startTime alone, long ago: endTime defaults to now
        binance.sapi_get_capital_withdraw_history({"startTime": history.start})


def test_dividends_are_the_rewards(binance, history):
    rows = binance_dividends(binance, history.start, history.end)
    got = sorted((str(r["id"]), r["asset"], Decimal(r["amount"]), int(r["divTime"])) for r in rows)
    assert got == sorted((r.id, r.currency, r.amount, r.timestamp) for r in history.rewards)
    with pytest.raises(ccxt.BadRequest, match="-1127"):
        binance.sapi_get_asset_assetdividend({"startTime": history.start, "endTime": history.start + 181 * DAY})


def test_balance_and_klines(binance, history):
    total = binance.fetch_balance()["total"]
    assert {k: D(v) for k, v in total.items() if v} == dict(history.balances)
    bars = binance.fetch_ohlcv("SOL/USDT", "1d", history.start, 1000)
    assert len(bars) == 731 and bars[0][0] == history.start
    assert [D(b[2]) for b in bars[:5]] == [c.high for c in history.candles["SOL/USDT", "1d"][:5]]


@pytest.mark.parametrize("permissions", list(Permissions))
def test_api_restrictions_report_the_key_permissions(history, permissions):
    with make_replica("binance", history, permissions=permissions) as rep:
        r = client(rep).sapi_get_account_apirestrictions()
    assert r["enableReading"] is True
    assert r["enableSpotAndMarginTrading"] is (permissions is not Permissions.READ_ONLY)
    assert r["enableWithdrawals"] is (permissions is Permissions.WITHDRAW)
    assert r["enableFutures"] is False and r["enableMargin"] is False


@pytest.mark.parametrize("override, code", [({"secret": "wrong"}, "-1022"), ({"apiKey": "wrong"}, "-2015")])
def test_wrong_credentials_raise_authentication_error(binance_replica, override, code):
    ex = client(binance_replica, **override)
    with pytest.raises(ccxt.AuthenticationError, match=code):
        ex.load_markets()      # its first call, capital/config/getall, is signed
