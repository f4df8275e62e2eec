"""bitget's classic v2 API through the real ccxt client over HTTP."""

from __future__ import annotations

from decimal import Decimal

import ccxt
import pytest

from taxer_replica import Permissions
from tests.replica.conftest import make_replica
from tests.replica.helpers import (
    DAY,
    bitget_deposits,
    bitget_ledger,
    bitget_trades,
    bitget_withdrawals,
    client,
)


def D(x) -> Decimal:
    return Decimal(str(x))


def test_load_markets_calls_only_the_spot_endpoints(bitget_replica):
    ex = client(bitget_replica)
    before = len(bitget_replica.requests)
    ex.load_markets()
    paths = [p for _, p, _ in bitget_replica.requests[before:]]
    assert sorted(paths) == ["/api/v2/margin/currencies", "/api/v2/spot/public/coins", "/api/v2/spot/public/symbols"]
    assert {"BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT", "ETH/BTC"} <= set(ex.markets)
    assert ex.markets["BTC/USDT"]["spot"] and ex.markets["BTC/USDT"]["id"] == "BTCUSDT"
    assert {"USDT", "BTC", "ETH"} <= set(ex.currencies)


def test_without_the_uta_option_ccxt_probes_settings_and_stays_classic(bitget_replica):
    ex = client(bitget_replica, options={"fetchMarkets": {"types": ["spot"]}})
    before = len(bitget_replica.requests)
    ex.load_markets()
    paths = [p for _, p, _ in bitget_replica.requests[before:]]
    assert paths.index("/api/v3/account/settings") < paths.index("/api/v2/spot/public/symbols")
    assert ex.options["uta"] is False


def test_every_trade_arrives_once_with_exact_numbers(bitget, bitget_replica, history):
    before = len(bitget_replica.requests)
    for m in history.markets:
        got = bitget_trades(bitget, m.symbol, history.start, history.end)
        truth = history.trades_of(m.symbol)
        assert sorted(t["id"] for t in got) == [t.id for t in truth]
        by_id = {t["id"]: t for t in got}
        for t in truth:
            g = by_id[t.id]
            assert (g["symbol"], g["side"], g["order"], g["timestamp"]) == (t.symbol, t.side, t.order_id, t.timestamp)
            assert (D(g["price"]), D(g["amount"]), D(g["cost"])) == (t.price, t.amount, t.cost)
            assert (D(g["fee"]["cost"]), g["fee"]["currency"]) == (t.fee, t.fee_currency)
            assert (Decimal(g["info"]["size"]), Decimal(g["info"]["amount"])) == (t.amount, t.cost)
    fills = [q for _, p, q in bitget_replica.requests[before:] if p == "/api/v2/spot/trade/fills"]
    assert any("idLessThan" in q for q in fills), "the history must make the client page inside a window"
    assert all(int(q["endTime"]) - int(q["startTime"]) <= 90 * DAY for q in fills)


def test_fills_come_newest_first_and_limit_is_capped_at_100(bitget_replica, history):
    ex = client(bitget_replica)
    ex.load_markets()
    start = history.start + 100 * DAY
    raw = ex.private_spot_get_v2_spot_trade_fills(
        {"symbol": "BTCUSDT", "startTime": start, "endTime": start + 90 * DAY, "limit": 500})
    ids = [int(r["tradeId"]) for r in raw["data"]]
    assert len(ids) == 100 and ids == sorted(ids, reverse=True)


def test_a_window_over_90_days_gets_the_real_error(bitget, history):
    with pytest.raises(ccxt.PermissionDenied, match="43111"):   # bitget's code; ccxt maps it to PermissionDenied
        bitget.fetch_my_trades("BTC/USDT", history.start, 100, {"until": history.start + 91 * DAY})
    with pytest.raises(ccxt.BadRequest, match="40019"):
        bitget.private_spot_get_v2_spot_trade_fills({"startTime": history.start})


def test_deposits_and_withdrawals_arrive_once_with_exact_amounts(bitget, history):
    deposits = bitget_deposits(bitget, history.start, history.end)
    assert sorted(d["id"] for d in deposits) == [d.id for d in history.deposits]
    truth = {d.id: d for d in history.deposits}
    for d in deposits:
        t = truth[d["id"]]
        assert (d["currency"], D(d["amount"]), d["txid"], d["timestamp"], d["status"], d["type"]) == (
            t.currency, t.amount, t.txid, t.timestamp, "ok", "deposit")
    withdrawals = bitget_withdrawals(bitget, history.start, history.end)
    assert sorted(w["id"] for w in withdrawals) == [w.id for w in history.withdrawals]
    truth = {w.id: w for w in history.withdrawals}
    for w in withdrawals:
        t = truth[w["id"]]
        assert (w["currency"], D(w["amount"]), D(w["fee"]["cost"]), w["address"], w["timestamp"]) == (
            t.currency, t.amount, t.fee, t.address, t.timestamp)


def test_deposit_records_require_both_window_ends(bitget, history):
    with pytest.raises(ccxt.BadRequest, match="40019"):
        bitget.private_spot_get_v2_spot_wallet_deposit_records({"startTime": history.start})


def test_bills_hold_every_balance_change_and_the_rewards(bitget, history):
    entries = bitget_ledger(bitget, history.start, history.end)
    ledger = history.ledger()
    assert sorted(int(e["id"]) for e in entries) == [int(e.id) for e in ledger]
    truth = {e.id: e for e in ledger}
    for e in entries:
        t = truth[e["id"]]
        assert (e["currency"], Decimal(e["info"]["size"]), Decimal(e["info"]["balance"])) == (
            t.currency, t.change, t.balance)
    rewards = [e for e in entries if e["info"]["businessType"] in ("savings_interest", "airdrop rewards")]
    got = sorted((Decimal(e["info"]["size"]), e["currency"], e["timestamp"]) for e in rewards)
    assert got == sorted((r.amount, r.currency, r.timestamp) for r in history.rewards)


def test_bills_filter_by_group(bitget, history):
    start = history.start + 200 * DAY
    raw = bitget.private_spot_get_v2_spot_account_bills(
        {"groupType": "financial", "startTime": start, "endTime": start + 90 * DAY, "limit": 500})["data"]
    truth = [r for r in history.rewards if r.label == "staking" and start <= r.timestamp <= start + 90 * DAY]
    assert len(raw) == len(truth) > 0
    assert all(r["businessType"] == "savings_interest" for r in raw)


def test_balance_is_the_history_final_balance(bitget, history):
    total = bitget.fetch_balance()["total"]
    assert {k: D(v) for k, v in total.items() if v} == dict(history.balances)


def test_ohlcv_from_the_candle_endpoints(bitget, history):
    since = history.start + 10 * DAY
    bars = bitget.fetch_ohlcv("ETH/USDT", "1h", since, 50)
    truth = history.ohlcv("ETH/USDT", "1h", since=since, limit=50)
    assert [b[0] for b in bars] == [c.timestamp for c in truth]
    assert [D(b[4]) for b in bars] == [c.close for c in truth]
    days = bitget.fetch_ohlcv("BTC/USDT", "1d", history.start, 100)
    assert days[0][0] == history.start and len(days) == 100


@pytest.mark.parametrize("permissions, expected", [
    (Permissions.READ_ONLY, {"stor", "coor"}),
    (Permissions.TRADE, {"stow", "coow"}),
    (Permissions.WITHDRAW, {"wwow", "stow"}),
])
def test_account_info_reports_the_key_permissions(history, permissions, expected):
    with make_replica("bitget", history, permissions=permissions) as rep:
        info = client(rep).private_spot_get_v2_spot_account_info()["data"]
    assert expected <= set(info["authorities"])
    writes = {a for a in info["authorities"] if a.endswith("w")}
    assert bool(writes) == (permissions is not Permissions.READ_ONLY)
    assert ("wwow" in writes) == (permissions is Permissions.WITHDRAW)


@pytest.mark.parametrize("override", [{"secret": "wrong"}, {"apiKey": "wrong"}, {"password": "wrong"}])
def test_wrong_credentials_raise_authentication_error(bitget_replica, override):
    ex = client(bitget_replica, **override)
    ex.load_markets()    # public
    with pytest.raises(ccxt.AuthenticationError):
        ex.fetch_balance()
