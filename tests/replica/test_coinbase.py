"""Coinbase (Advanced Trade + v2) through the real ccxt client over HTTP: JWT checks, cursors, permissions."""

from __future__ import annotations

import time
from dataclasses import replace
from decimal import Decimal

import ccxt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from taxer_replica import Permissions, Replica, Trade
from taxer_replica.coinbase import account_id, quote_fee
from tests.replica.helpers import point_at

KEY_NAME = "organizations/5a1f0c2e/apiKeys/91d7e3b4"


def _pem() -> str:
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption()).decode()


PEM = _pem()


def D(x) -> Decimal:
    return Decimal(str(x))


def _client(rep, **overrides) -> ccxt.coinbase:
    ex = ccxt.coinbase({"apiKey": KEY_NAME, "secret": PEM, "enableRateLimit": False, "timeout": 10_000, **overrides})
    point_at(ex, rep.url)
    return ex


@pytest.fixture(scope="module")
def replica(history):
    with Replica("coinbase", history, api_key=KEY_NAME, secret=PEM) as rep:
        yield rep


@pytest.fixture
def coinbase(replica):
    ex = _client(replica)
    ex.load_markets()
    return ex


def test_load_markets_reads_currencies_and_spot_products(replica, history):
    ex = _client(replica)
    before = len(replica.requests)
    ex.load_markets()
    paths = sorted(p for _, p, _ in replica.requests[before:])
    assert paths == ["/api/v3/brokerage/market/products", "/api/v3/brokerage/market/products",
                     "/api/v3/brokerage/transaction_summary", "/v2/currencies", "/v2/currencies/crypto",
                     "/v2/exchange-rates"]
    assert {"BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT", "ETH/BTC", "SOL/BTC", "BNB/BTC"} == set(ex.markets)
    assert ex.markets["ETH/BTC"]["id"] == "ETH-BTC" and ex.markets["ETH/BTC"]["spot"]


def test_every_fill_arrives_once_through_the_cursor(coinbase, replica, history):
    got, cursor, requests = [], None, 0
    while True:
        page = coinbase.fetch_my_trades(None, None, 1000, {"cursor": cursor} if cursor else {})
        requests += 1
        got += page
        cursor = next((t["info"]["cursor"] for t in page if t["info"].get("cursor")), None)
        if not cursor:
            break
    assert requests == 6                          # 6000 fills, 1000 a page
    assert sorted(t["id"] for t in got) == sorted(t.id for t in history.trades)
    truth = {t.id: t for t in history.trades}
    for g in got:
        t = truth[g["id"]]
        assert (g["symbol"], g["side"], g["order"], g["timestamp"]) == (t.symbol, t.side, t.order_id, t.timestamp)
        assert (D(g["info"]["price"]), D(g["info"]["size"])) == (t.price, t.amount)
        assert (D(g["info"]["commission"]), g["fee"]["currency"]) == (quote_fee(t), t.symbol.split("/")[1])


def test_fills_come_newest_first_with_the_limit_capped_and_a_time_floor(coinbase, history):
    raw = coinbase.v3PrivateGetBrokerageOrdersHistoricalFills({"limit": 5000})
    times = [f["trade_time"] for f in raw["fills"]]
    assert len(times) == 1000 and times == sorted(times, reverse=True) and raw["cursor"]
    # a buy of 0.5 at 100 with a 0.0005 base fee is charged 0.05 quote; a sell's quote fee stays as it is
    buy = Trade("1", "2", "SOL/USDT", "buy", Decimal(100), Decimal("0.5"), Decimal(50), Decimal("0.0005"),
                "SOL", 0, True)
    assert quote_fee(buy) == Decimal("0.05")
    assert quote_fee(replace(buy, side="sell", fee=Decimal("0.05"), fee_currency="USDT")) == Decimal("0.05")
    floor = history.trades[-10].timestamp
    recent = coinbase.fetch_my_trades(None, floor, 100)
    assert sorted(t["id"] for t in recent) == sorted(t.id for t in history.trades[-10:])
    one = coinbase.fetch_my_trades("ETH/BTC", None, 5)
    assert {t["symbol"] for t in one} == {"ETH/BTC"} and len(one) == 5


def test_v2_accounts_and_their_transactions_page_with_starting_after(coinbase, replica, history):
    accounts = coinbase.v2PrivateGetAccounts({"limit": 100})["data"]
    assert {a["currency"]["code"] for a in accounts} == set(history.currencies)
    aid = account_id("SOL")
    seen, after, calls = [], None, 0
    while True:
        request = {"account_id": aid, "limit": 500, "order": "asc", **({"starting_after": after} if after else {})}
        response = coinbase.v2PrivateGetAccountsAccountIdTransactions(request)
        calls += 1
        assert len(response["data"]) <= 100                     # 100 at most, whatever is asked
        seen += response["data"]
        after = response["pagination"]["next_starting_after"]
        if not after:
            break
    kinds = {}
    for row in seen:
        kinds.setdefault(row["type"], []).append(row)
    deposits = [d for d in history.deposits if d.currency == "SOL"]
    withdrawals = [w for w in history.withdrawals if w.currency == "SOL"]
    rewards = [r for r in history.rewards if r.currency == "SOL"]
    legs = [e for e in history.ledger() if e.kind == "trade" and e.currency == "SOL"]
    sends = {r["id"]: r for r in kinds["send"]}
    assert set(sends) == {t.id for t in deposits + withdrawals}
    for w in withdrawals:
        row = sends[w.id]
        assert D(row["amount"]["amount"]) == -(w.amount + w.fee)
        assert D(row["network"]["transaction_amount"]["amount"]) == w.amount
        assert D(row["network"]["transaction_fee"]["amount"]) == w.fee and row["network"]["hash"] == w.txid
    assert sorted(r["id"] for r in kinds["staking_reward"] + kinds.get("incentives_rewards_payout", [])) == \
        sorted(r.id for r in rewards)
    assert sorted(r["id"] for r in kinds["advanced_trade_fill"]) == sorted(e.id for e in legs)
    assert calls == -(-len(seen) // 100)
    created = [r["created_at"] for r in seen]
    assert created == sorted(created)
    newest = coinbase.v2PrivateGetAccountsAccountIdTransactions({"account_id": aid, "limit": 3})["data"]
    assert [r["id"] for r in newest] == [r["id"] for r in seen[-3:]][::-1]  # desc is the default order


def test_balance_is_the_history_final_balance(coinbase, history):
    total = coinbase.fetch_balance()["total"]
    assert {k: D(v) for k, v in total.items() if v} == dict(history.balances)


def test_ohlcv_from_the_candles_endpoint(coinbase, history):
    since = history.start + 10 * 86_400_000
    bars = coinbase.fetch_ohlcv("ETH/USDT", "1h", since, 50)
    truth = history.ohlcv("ETH/USDT", "1h", since=since, limit=50)
    assert [b[0] for b in bars] == [c.timestamp for c in truth]
    assert [D(b[4]) for b in bars] == [c.close for c in truth]


@pytest.mark.parametrize("permissions, trade, transfer", [
    (Permissions.READ_ONLY, False, False), (Permissions.TRADE, True, False), (Permissions.WITHDRAW, True, True)])
def test_key_permissions_report_the_key(history, permissions, trade, transfer):
    with Replica("coinbase", history, api_key=KEY_NAME, secret=PEM, permissions=permissions) as rep:
        got = _client(rep).v3PrivateGetBrokerageKeyPermissions()
    assert (got["can_view"], got["can_trade"], got["can_transfer"]) == (True, trade, transfer)


@pytest.mark.parametrize("override", [{"secret": _pem()}, {"apiKey": "organizations/5a1f0c2e/apiKeys/other"},
                                      {"apiKey": "legacy-key", "secret": "legacy-hmac-secret"}])
def test_a_wrong_signature_or_key_name_is_refused(replica, override):
    ex = _client(replica, **override)
    with pytest.raises(ccxt.AuthenticationError, match="401"):
        ex.v3PrivateGetBrokerageKeyPermissions()
    with pytest.raises(ccxt.AuthenticationError):
        ex.fetch_balance()


def _with_token(replica, seconds: int, path: str, tamper=None) -> ccxt.coinbase:
    ex = _client(replica)
    token = ex.create_auth_token(seconds, "GET", replica.url + path)
    if tamper:
        token = tamper(token)
    ex.headers = {**ex.headers, "Authorization": "Bearer " + token}   # ccxt sends a set header as it is
    return ex


def test_expired_misdirected_or_tampered_tokens_are_refused(replica):
    path = "/api/v3/brokerage/key_permissions"
    now = int(time.time())
    assert _with_token(replica, now, path).v3PrivateGetBrokerageKeyPermissions()["can_view"] is True
    head, body, sig = _with_token(replica, now, path).headers["Authorization"][7:].split(".")
    for ex in (_with_token(replica, now - 600, path),                     # exp passed
               _with_token(replica, now, "/v2/accounts"),                # signed for another path
               _with_token(replica, now, path, lambda t: ".".join((head, body[:-2] + "AA", sig)))):
        with pytest.raises(ccxt.AuthenticationError):
            ex.v3PrivateGetBrokerageKeyPermissions()
