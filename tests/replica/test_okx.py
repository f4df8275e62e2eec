"""okx's v5 API through the real ccxt client over HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from decimal import Decimal

import ccxt
import pytest
import requests

from taxer_replica import Permissions
from taxer_replica.okx import RETENTION
from tests.replica.conftest import make_replica
from tests.replica.helpers import CREDENTIALS, DAY, client


def D(x) -> Decimal:
    return Decimal(str(x))


def by_bill_id(fetch) -> list[dict]:
    """okx fills/bills paging: newest first, `after` = the smallest bill id of the last page."""
    out, after = [], None
    while True:
        page = fetch({"after": after} if after else {})
        out += page
        if len(page) < 100:
            return out
        after = min(int((r.get("info") or r)["billId"]) for r in page)  # unified trades, or raw bills


def by_time(fetch) -> list[dict]:
    """okx deposit/withdrawal paging: newest first, `until` (sent as `after`) just above the oldest time seen."""
    out, until = {}, None
    while True:
        page = fetch(until)
        out.update((r["id"], r) for r in page)
        if len(page) < 100:
            return list(out.values())
        until = min(r["timestamp"] for r in page) + 1


def test_load_markets_calls_currencies_and_spot_instruments(okx_replica):
    ex = client(okx_replica)
    before = len(okx_replica.requests)
    ex.load_markets()
    calls = [(p, q) for _, p, q in okx_replica.requests[before:]]
    assert sorted(calls) == [("/api/v5/asset/currencies", {}), ("/api/v5/public/instruments", {"instType": "SPOT"})]
    assert {"BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT", "ETH/BTC"} <= set(ex.markets)
    assert ex.markets["ETH/BTC"]["id"] == "ETH-BTC" and ex.markets["ETH/BTC"]["spot"]


def test_every_fill_arrives_once_with_exact_numbers(okx, okx_replica, history):
    before = len(okx_replica.requests)
    got = by_bill_id(lambda p: okx.fetch_my_trades(None, history.start, None, {"until": history.end, **p}))
    assert sorted(t["id"] for t in got) == sorted(t.id for t in history.trades)
    by_id = {t["id"]: t for t in got}
    for t in history.trades:
        g = by_id[t.id]
        assert (g["symbol"], g["side"], g["order"], g["timestamp"]) == (t.symbol, t.side, t.order_id, t.timestamp)
        assert (Decimal(g["info"]["fillPx"]), Decimal(g["info"]["fillSz"])) == (t.price, t.amount)
        assert (Decimal(g["info"]["fee"]), g["fee"]["currency"]) == (-t.fee, t.fee_currency)
    fills = [q for _, p, q in okx_replica.requests[before:] if p == "/api/v5/trade/fills-history"]
    assert len(fills) == len(history.trades) // 100 + 1 and all(q["instType"] == "SPOT" for q in fills)
    assert "after" not in fills[0] and all("after" in q for q in fills[1:])


def test_fills_come_newest_first_limit_capped_at_100_and_need_inst_type(okx, history):
    rows = okx.private_get_trade_fills_history({"instType": "SPOT", "limit": 500})["data"]
    bills = [int(r["billId"]) for r in rows]
    assert len(rows) == 100 and bills == sorted(bills, reverse=True)
    assert rows[0]["tradeId"] == max(history.trades, key=lambda t: t.timestamp).id
    older = okx.private_get_trade_fills_history({"instType": "SPOT", "after": bills[-1], "limit": 3})["data"]
    assert [int(r["billId"]) for r in older] == [b for b in sorted({int(r["billId"]) for r in older})[::-1]]
    assert all(int(r["billId"]) < bills[-1] for r in older) and len(older) == 3
    with pytest.raises(ccxt.ExchangeError, match="50014"):
        okx.private_get_trade_fills_history({})


def test_deposits_and_withdrawals_page_by_time(okx, okx_replica, history):
    deposits = by_time(lambda until: okx.fetch_deposits(None, history.start, 100,
                                                         {"until": until} if until else {}))
    assert sorted(d["id"] for d in deposits) == sorted(d.id for d in history.deposits)
    truth = {d.id: d for d in history.deposits}
    for d in deposits:
        t = truth[d["id"]]
        assert (d["currency"], D(d["amount"]), d["txid"], d["timestamp"], d["status"], d["type"]) == (
            t.currency, t.amount, t.txid, t.timestamp, "ok", "deposit")
    withdrawals = by_time(lambda until: okx.fetch_withdrawals(None, history.start, 100,
                                                               {"until": until} if until else {}))
    truth = {w.id: w for w in history.withdrawals}
    assert sorted(w["id"] for w in withdrawals) == sorted(truth)
    for w in withdrawals:
        t = truth[w["id"]]
        assert (w["currency"], Decimal(w["info"]["amt"]), Decimal(w["info"]["fee"]), w["address"]) == (
            t.currency, t.amount, t.fee, t.address)
    query = okx_replica.requests[-1][2]
    assert set(query) >= {"before", "limit"} and int(query["before"]) == history.start - 1


def test_trading_bills_hold_trades_and_transfers_and_funding_bills_the_rewards(okx, history):
    rows = by_bill_id(lambda p: okx.private_get_account_bills_archive({"limit": 100, **p})["data"])
    ledger = [e for e in history.ledger() if e.kind != "reward"]
    assert sorted(int(r["billId"]) for r in rows) == [int(e.id) for e in ledger]
    truth = {e.id: e for e in ledger}
    for r in rows:
        t = truth[r["billId"]]
        assert (r["ccy"], Decimal(r["balChg"]), Decimal(r["bal"])) == (t.currency, t.change, t.balance)
    # tests/real/api/okx/asset-bills--staking-yield.json: yield is a funding bill, type 83 (airdrops: 77)
    funding = okx.private_get_asset_bills({"limit": 100, "type": "83"})["data"]
    assert funding and set(funding[0]) == {"billId", "ccy", "balChg", "bal", "type", "ts"}
    assert all(r["type"] == "83" for r in funding)


def test_balance_is_the_history_final_balance(okx, history):
    total = okx.fetch_balance()["total"]
    assert {k: D(v) for k, v in total.items() if v} == dict(history.balances)


def test_ohlcv_from_the_candle_endpoints(okx, okx_replica, history):
    since = history.start + 10 * DAY
    bars = okx.fetch_ohlcv("ETH/USDT", "1h", since, 50)
    truth = history.ohlcv("ETH/USDT", "1h", since=since, limit=50)
    assert [b[0] for b in bars] == [c.timestamp for c in truth]
    assert [D(b[4]) for b in bars] == [c.close for c in truth]
    assert okx_replica.requests[-1][1] == "/api/v5/market/history-candles"
    days = okx.fetch_ohlcv("BTC/USDT", "1d", history.start, 100)
    assert days[0][0] == history.start and len(days) == 100
    assert okx_replica.requests[-1][2]["bar"] == "1Dutc"


@pytest.mark.parametrize("permissions, perm", [
    (Permissions.READ_ONLY, "read_only"),
    (Permissions.TRADE, "read_only,trade"),
    (Permissions.WITHDRAW, "read_only,withdraw,trade"),
])
def test_account_config_reports_the_key_permissions(history, permissions, perm):
    with make_replica("okx", history, permissions=permissions) as rep:
        config = client(rep).private_get_account_config()["data"][0]
    assert config["perm"] == perm


@pytest.mark.parametrize("override, code", [({"secret": "wrong"}, "50113"), ({"apiKey": "wrong"}, "50111"),
                                            ({"password": "wrong"}, "50105")])
def test_wrong_credentials_raise_authentication_error(okx_replica, override, code):
    ex = client(okx_replica, **override)
    with pytest.raises(ccxt.AuthenticationError, match=code):
        ex.private_get_account_config()


def _signed_get(url: str, path: str, ts: str, secret: str = CREDENTIALS["secret"]) -> requests.Response:
    sign = base64.b64encode(hmac.new(secret.encode(), f"{ts}GET{path}".encode(), hashlib.sha256).digest()).decode()
    return requests.get(url + path, headers={"OK-ACCESS-KEY": CREDENTIALS["apiKey"], "OK-ACCESS-SIGN": sign,
                                             "OK-ACCESS-TIMESTAMP": ts,
                                             "OK-ACCESS-PASSPHRASE": CREDENTIALS["password"]}, timeout=5)


def test_signature_covers_timestamp_path_and_query(okx_replica):
    now = datetime.now(UTC)
    ts = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
    ok = _signed_get(okx_replica.url, "/api/v5/account/config", ts)
    assert ok.status_code == 200 and ok.json()["code"] == "0"
    # the same signature for another query, or signed with another secret: okx's 401 and 50113
    sign = ok.request.headers["OK-ACCESS-SIGN"]
    tampered = requests.get(okx_replica.url + "/api/v5/account/balance?ccy=BTC",
                            headers={**ok.request.headers, "OK-ACCESS-SIGN": sign}, timeout=5)
    assert (tampered.status_code, tampered.json()["code"], tampered.json()["msg"]) == (401, "50113", "Invalid Sign")
    wrong = _signed_get(okx_replica.url, "/api/v5/account/config", ts, secret="other")
    assert (wrong.status_code, wrong.json()["code"]) == (401, "50113")
    stale = _signed_get(okx_replica.url, "/api/v5/account/config", "2020-12-08T09:08:57.715Z")
    assert (stale.status_code, stale.json()["code"]) == (401, "50102")
    bad = _signed_get(okx_replica.url, "/api/v5/account/config", "1607418537715")
    assert bad.json()["code"] == "50112"


def test_retention_serves_only_what_the_real_api_keeps(history):
    with make_replica("okx", history) as rep:
        rep.api.retention, rep.api.clock = RETENTION, lambda: history.end
        ex = client(rep)
        ex.load_markets()
        recent = by_bill_id(lambda p: ex.fetch_my_trades(None, history.start, None, {"until": history.end, **p}))
        three_days = ex.private_get_trade_fills({"limit": 100})["data"]
        week = by_bill_id(lambda p: ex.private_get_account_bills({"limit": 100, **p})["data"])
    assert sorted(t["id"] for t in recent) == sorted(t.id for t in history.trades
                                                     if t.timestamp >= history.end - 90 * DAY)
    assert {r["tradeId"] for r in three_days} == {t.id for t in history.trades if t.timestamp >= history.end - 3 * DAY}
    assert {r["billId"] for r in week} == {e.id for e in history.ledger()
                                          if e.timestamp >= history.end - 7 * DAY and e.kind != "reward"}
    assert 0 < len(three_days) < 100 and 100 < len(week) < len(history.ledger())
