"""The documented error answers of tests/real/api/<exchange>/error--*.json, served by the replica over real HTTP to the
real ccxt client through taxer's Gateway, each mapped as its .meta.json's `meaning` says; and the documented data
answers no stream test reads (kraken QueryLedgers, coinbase v2 types taxer skips or does not know).

- rate limited: retried with backoff, the next normal answer used; ExchangeUnavailable once the retries run out;
- key refused (unknown key, wrong passphrase, IP not allowed): ExchangeAuthError at once, one request, a message
  naming the key problem and never the secret or passphrase;
- kraken's temporary lockout: no retry (each call extends it), the account stops, the user is told to wait;
- a bad argument or symbol: a permanent ExchangeError, one request; a sync skips that one stream and goes on.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal as D
from pathlib import Path

import pytest

from taxer import api
from taxer.errors import EndpointUnavailable, ExchangeAuthError, ExchangeError, ExchangeUnavailable
from taxer.exchanges import coinbase, kraken
from taxer.exchanges.credentials import Credentials
from taxer.exchanges.gateway import Gateway, RetryPolicy
from taxer.exchanges.normalize import from_ms
from taxer.exchanges.registry import spec_for
from taxer.model import Kind, Leg
from tests.exchanges.test_api_corpus import at
from tests.sync.streams_helpers import PASSPHRASE, replica, set_keys, small_history, sync

CORPUS = Path(__file__).parent / "api"
# exchange -> (ccxt method, params, path fragment): a private call the replica answers normally
CALLS = {
    "binance": ("sapi_get_simple_earn_flexible_history_rewardsrecord", {"type": "ALL"}, "/simple-earn/"),
    "bitget": ("private_spot_get_v2_spot_account_bills", {}, "/account/bills"),
    "kraken": ("private_post_ledgers", {}, "/0/private/Ledgers"),   # DepositStatus: not for a read-only key
    "coinbase": ("v2PrivateGetAccounts", {}, "/v2/accounts"),
    "okx": ("private_get_asset_bills", {}, "/asset/bills"),
}


def documented(name: str) -> tuple[int, dict, dict]:
    """(HTTP status, body, meta) of a documented answer."""
    meta = json.loads((CORPUS / f"{name}.meta.json").read_text())
    return meta.get("http_status", 200), json.loads((CORPUS / f"{name}.json").read_text()), meta


@pytest.fixture(scope="module")
def history():
    return small_history(seed=4)


def _keys(exchange):
    from tests.sync.test_sync_replica import KEYS

    return KEYS.get(exchange, ("streams-key", "c3RyZWFtcy1zZWNyZXQtMDEyMzQ1Njc4OQ=="))


def _gateway(rep, attempts=4, sleeps=None):
    """taxer's gateway as a sync builds it (the spec's error tables), with a fast retry policy that records its
    waits."""
    key, secret = _keys(rep.exchange)
    spec = spec_for(rep.exchange)
    sleeps = [] if sleeps is None else sleeps
    return Gateway(rep.exchange, Credentials(key, secret, PASSPHRASE), account="main", api_url=rep.url,
                   options=spec.options, rate_limit=False, endpoint_errors=spec.endpoint_errors,
                   key_errors=spec.key_errors, lockouts=spec.lockouts,
                   retry=RetryPolicy(attempts=attempts, base_delay=0.001, max_delay=30.0, sleep=sleeps.append))


def _serve(history, name, *, times, call=None, headers=None, attempts=4):
    """Serve the documented answer `name` `times` times on the exchange's call, then ask once through the gateway:
    (the result or the exception, requests the call made, the gateway, the waits it slept)."""
    exchange = name.split("/")[0]
    method, params, part = call or CALLS[exchange]
    status, body, _meta = documented(name)
    sleeps: list[float] = []
    with replica(exchange, history) as rep:
        rep.answer(part, status, body, times=times, headers=headers)
        gw = _gateway(rep, attempts=attempts, sleeps=sleeps)
        try:
            outcome = gw.call(method, dict(params))
        except Exception as exc:   # the test asserts which
            outcome = exc
        finally:
            gw.close()
        asked = sum(part in path for _m, path, _q in rep.requests)
    return outcome, asked, gw, sleeps


# --- rate limits -------------------------------------------------------------------------------------------------

RATE_LIMITS = ["binance/error--rate-limit", "bitget/error--rate-limit", "coinbase/error--v2-rate-limit",
               "kraken/error--rate-limit", "okx/error--rate-limit"]


@pytest.mark.parametrize("name", RATE_LIMITS)
def test_a_rate_limit_is_retried_and_the_next_normal_answer_is_used(history, name):
    assert "retry" in documented(name)[2]["meaning"]
    outcome, asked, gw, sleeps = _serve(history, name, times=2)
    assert not isinstance(outcome, Exception), outcome
    assert asked == 3 and gw.retries == 2 and len(sleeps) == 2 and all(s > 0 for s in sleeps)


@pytest.mark.parametrize("name", RATE_LIMITS)
def test_a_rate_limit_that_lasts_is_exchange_unavailable_after_the_retry_budget(history, name):
    outcome, asked, gw, sleeps = _serve(history, name, times=None, attempts=3)
    assert isinstance(outcome, ExchangeUnavailable) and not isinstance(outcome, ExchangeAuthError), outcome
    assert asked == 3 and gw.retries == 3 and len(sleeps) == 2
    assert "still failing after 3 attempts" in str(outcome)


def test_binance_rate_limit_waits_as_long_as_retry_after_says(history):
    # error--rate-limit.meta.json: "back off (Retry-After)"
    outcome, asked, _gw, sleeps = _serve(history, "binance/error--rate-limit", times=1, headers={"Retry-After": "7"})
    assert not isinstance(outcome, Exception) and asked == 2 and sleeps == [7.0]


# --- the key refused ---------------------------------------------------------------------------------------------

# documented answer -> words the message must have (what is wrong with the key)
KEY_REFUSALS = {
    "okx/error--invalid-key": ("does not know this API key", "demo"),
    "okx/error--passphrase": ("the passphrase is wrong", "accepted the key"),
    "bitget/error--invalid-key": ("does not know this API key",),
    "bitget/error--apikey-password-incorrect": ("API key or its passphrase is wrong",),
    "kraken/error--invalid-key": ("does not know this API key", "revoked"),
    "binance/error--invalid-key-ip-or-permission": ("unknown", "IP address", "permission"),
    "binance/error--invalid-key-ip-or-permission--recorded": ("unknown", "IP address", "permission"),
}


def _never_the_secret(message: str, exchange: str) -> None:
    key, secret = _keys(exchange)
    assert secret not in message and PASSPHRASE not in message


@pytest.mark.parametrize("name", sorted(KEY_REFUSALS))
def test_a_key_refusal_stops_at_once_and_names_the_problem(history, name):
    assert "auth" in documented(name)[2]["meaning"]
    outcome, asked, gw, sleeps = _serve(history, name, times=None)
    assert isinstance(outcome, ExchangeAuthError) and not isinstance(outcome, EndpointUnavailable), outcome
    assert asked == 1 and gw.retries == 0 and sleeps == []
    message = str(outcome)
    assert "refused the API key" in message and all(w in message for w in KEY_REFUSALS[name]), message
    _never_the_secret(message, name.split("/")[0])


def test_okx_wrong_passphrase_does_not_send_the_user_to_the_secret(history):
    outcome, *_ = _serve(history, "okx/error--passphrase", times=None)
    assert "Check the key and secret" not in str(outcome) and "passphrase" in str(outcome)


def test_binance_minus_2015_after_a_first_successful_call_is_still_a_key_refusal(history):
    # ccxt turns -2015 into a DDoSProtection (retried) once a private call succeeded: the documented meaning is a
    # key, IP or permission refusal, not retryable (error--invalid-key-ip-or-permission--recorded.meta.json)
    status, body, _meta = documented("binance/error--invalid-key-ip-or-permission--recorded")
    with replica("binance", history) as rep:
        gw = _gateway(rep)
        try:
            assert gw.call("fetch_balance") is not None       # a signed /api/v3 call that succeeds
            rep.answer("/api/v3/myTrades", status, body, times=None)
            with pytest.raises(ExchangeAuthError) as caught:
                gw.call("private_get_mytrades", {"symbol": "ETHUSDT"})
        finally:
            gw.close()
        asked = [p for _m, p, _q in rep.requests if "/myTrades" in p]
    assert len(asked) == 1 and gw.retries == 0 and "IP address" in str(caught.value)


# --- kraken's temporary lockout ----------------------------------------------------------------------------------

def test_kraken_temporary_lockout_is_not_retried_and_says_to_wait(history):
    assert "retries make it worse" in documented("kraken/error--temporary-lockout")[2]["meaning"]
    outcome, asked, gw, sleeps = _serve(history, "kraken/error--temporary-lockout", times=None)
    assert isinstance(outcome, ExchangeUnavailable), outcome
    assert asked == 1 and gw.retries == 0 and sleeps == []
    assert "15 minutes" in str(outcome) and "extends the lockout" in str(outcome)


def test_a_kraken_sync_locked_out_stops_after_one_call(tmp_path, monkeypatch, history):
    status, body, _meta = documented("kraken/error--temporary-lockout")
    set_keys(monkeypatch, "kraken")
    with replica("kraken", history) as rep:
        rep.answer("/0/private/", status, body, times=None)
        _engine, report = sync(tmp_path, rep)
        private = [p for _m, p, _q in rep.requests if "/0/private/" in p]
    assert len(private) == 1 and report.retries == 0
    assert report.error and "15 minutes" in report.error


# --- bad arguments -----------------------------------------------------------------------------------------------

PERMANENT = {
    "kraken/error--invalid-arguments": None,
    "binance/error--invalid-symbol": ("private_get_mytrades", {"symbol": "ETHUSDT"}, "/api/v3/myTrades"),
}


@pytest.mark.parametrize("name", sorted(PERMANENT))
def test_a_bad_argument_is_a_permanent_exchange_error_not_retried(history, name):
    assert "not" in documented(name)[2]["meaning"]    # "not retryable" / "not fatal"
    outcome, asked, gw, sleeps = _serve(history, name, times=None, call=PERMANENT[name])
    assert type(outcome) is ExchangeError, outcome     # not a key refusal, not "the exchange is down"
    assert asked == 1 and gw.retries == 0 and sleeps == []
    assert "rejected" in str(outcome)


def test_binance_an_invalid_symbol_skips_that_market_and_the_sync_goes_on(tmp_path, monkeypatch, history):
    # error--invalid-symbol.meta.json: "skip that symbol, not fatal"
    status, body, _meta = documented("binance/error--invalid-symbol")
    set_keys(monkeypatch, "binance")
    with replica("binance", history) as rep:
        rep.answer("/api/v3/myTrades", status, body, times=1)      # the first market asked
        engine, report = sync(tmp_path, rep)
    (skipped,) = report.incomplete
    assert skipped.stream.startswith("trades:") and skipped.reason == "the exchange rejected it"
    assert "Invalid symbol" in skipped.detail
    symbol = skipped.stream.split(":", 1)[1]
    got = {t.external_id for t in api.transactions(engine) if t.kind is Kind.TRADE}
    others = {f"trade:{t.symbol}:{t.id}" for t in history.trades if t.symbol != symbol}
    assert others and others <= got


# --- data answers ------------------------------------------------------------------------------------------------

class Answers:
    """A stand-in gateway answering each ccxt method with its documented answer."""

    def __init__(self, bodies: dict) -> None:
        self.bodies, self.calls = bodies, []

    def call(self, method, *args):
        self.calls.append((method, args))
        if method == "parse_trade":
            return {"info": args[0]}
        return copy.deepcopy(self.bodies[method])


def test_kraken_query_ledgers_entry_gives_the_trade_its_fee():
    # query-ledgers.meta.json: "one trade leg: -24.5 GBP, fee 0.049 GBP, at 2023-07-04T09:54:44Z"
    _s, answer, _m = documented("kraken/query-ledgers")
    (entry_id, entry), = answer["result"].items()
    trades = documented("kraken/trades-history")[1]
    row = dict(next(iter(trades["result"]["trades"].values())), pair="XXBTZGBP", cost="24.5000", fee="0.0490",
               ledgers=[entry_id])
    gw = Answers({"private_post_tradeshistory": {"error": [], "result": {"trades": {entry["refid"]: row},
                                                                          "count": 1}},
                  "private_post_queryledgers": answer})
    (record,) = kraken._fetch_trades(gw, None, None, 50, {})
    asked = [args for method, args in gw.calls if method == "private_post_queryledgers"]
    assert asked == [({"id": entry_id},)]                     # the trade's ledger ids, asked for
    (leg,) = record["info"]["ledger_entries"]
    assert leg["id"] == entry_id and kraken.coin(leg["asset"]) == "GBP" and D(leg["amount"]) == D("-24.5")
    assert kraken._charged_fee(record) == (Leg("GBP", D("0.0490")), D(0))
    assert kraken.time_ms(leg["time"]) == 1688464484178
    assert from_ms(kraken.time_ms(leg["time"])).replace(microsecond=0) == at("2023-07-04T09:54:44")
    assert kraken._ledger_record(dict(entry, id=entry_id), "a", "kraken") is None    # a trade leg, not income


def test_coinbase_advanced_trade_fill_is_left_to_the_fills_stream():
    (row,) = documented("coinbase/v2-transactions--advanced-trade-fill")[1]["data"]
    assert (row["amount"]["amount"], row["advanced_trade_fill"]["product_id"]) == ("-192.790000", "USDC-EUR")
    assert coinbase.transaction(row, "a", "coinbase") is None          # booked once, from the fills
    assert "trades stream" in coinbase.SKIPPED_TYPES["advanced_trade_fill"]


def test_coinbase_staking_transfer_is_neither_income_nor_a_disposal():
    rows = documented("coinbase/v2-transactions--staking-transfer")[1]["data"]
    assert sorted(D(r["amount"]["amount"]) for r in rows) == [D("-5.5776172514"), D("5.5776172514")]
    assert [coinbase.transaction(r, "a", "coinbase") for r in rows] == [None, None]
    assert "not income" in coinbase.SKIPPED_TYPES["staking_transfer"]


def test_coinbase_an_unknown_type_is_booked_for_review_not_dropped_nor_income():
    (row,) = documented("coinbase/v2-transactions--unknown-type-tx")[1]["data"]
    tx = coinbase.transaction(row, "a", "coinbase")
    assert tx is not None and tx.kind is Kind.DEPOSIT and tx.received == Leg("ETH", D("1.00000000"))
    assert tx.label is None and "'tx'" in tx.description and "review" in tx.description
    out = coinbase.transaction(dict(row, amount={"amount": "-1.00000000", "currency": "ETH"}), "a", "coinbase")
    assert out.kind is Kind.WITHDRAWAL and out.sent == Leg("ETH", D("1.00000000"))


def test_coinbase_sync_books_the_unknown_type_into_the_ledger(tmp_path, monkeypatch, history):
    status, body, _meta = documented("coinbase/v2-transactions--unknown-type-tx")
    set_keys(monkeypatch, "coinbase")
    with replica("coinbase", history) as rep:
        rep.answer("/transactions", status, body, times=1)         # the first account's first page
        engine, report = sync(tmp_path, rep)
    assert report.error is None, report.error
    tx = {t.external_id: t for t in api.transactions(engine)}["deposit:a1b2c3d4-0000-5000-8000-000000000002"]
    assert tx.kind is Kind.DEPOSIT and tx.received == Leg("ETH", D("1.00000000")) and "review" in tx.description


# --- one endpoint refused, or the key bound to other IPs ---------------------------------------------------------

# documented answer -> (the call it answers, what taxer must conclude: an endpoint reason, or "key" and words)
REFUSALS = {
    "binance/error--unauthorized": (None, "not authorized"),
    "bitget/error--incorrect-permissions": (None, "not authorized"),
    "bitget/error--unknown-endpoint": (None, "unknown endpoint"),
    "coinbase/error--v2-invalid-scope": (None, "not authorized"),
    "coinbase/error--v3-permission-denied": (
        ("v3PrivateGetBrokerageOrdersHistoricalFills", {}, "/historical/fills"), "not authorized"),
    "coinbase/error--v2-not-found": (None, "unknown endpoint"),
    "kraken/error--permission-denied": (None, "not authorized"),
    "kraken/error--unknown-method": (None, "unknown endpoint"),
    "bitget/error--invalid-ip": (None, ("key", "IP address", "IP list")),
    "okx/error--invalid-ip": (None, ("key", "IP address", "IP list")),
}


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_a_documented_refusal_is_asked_once_and_mapped(history, name):
    call, expected = REFUSALS[name]
    outcome, asked, gw, sleeps = _serve(history, name, times=None, call=call)
    assert asked == 1 and gw.retries == 0 and sleeps == []
    if isinstance(expected, str):
        assert isinstance(outcome, EndpointUnavailable) and outcome.reason == expected, outcome
    else:
        assert isinstance(outcome, ExchangeAuthError) and not isinstance(outcome, EndpointUnavailable), outcome
        assert all(w in str(outcome) for w in expected[1:]), outcome
        _never_the_secret(str(outcome), name.split("/")[0])


# the replica's own refusals (Replica.refuse, used by the sync tests) are the documented answers
REPLICA_REFUSALS = {("binance", "not_authorized"): "binance/error--unauthorized",
                    ("bitget", "not_authorized"): "bitget/error--incorrect-permissions",
                    ("coinbase", "not_authorized"): "coinbase/error--v2-invalid-scope",
                    ("coinbase", "unknown_endpoint"): "coinbase/error--v2-not-found",
                    ("kraken", "not_authorized"): "kraken/error--permission-denied",
                    ("kraken", "unknown_endpoint"): "kraken/error--unknown-method"}


@pytest.mark.parametrize("exchange, kind", sorted(REPLICA_REFUSALS))
def test_the_replica_refuses_with_the_documented_answer(history, exchange, kind):
    status, body, _meta = documented(REPLICA_REFUSALS[(exchange, kind)])
    with replica(exchange, history) as rep:
        error = rep.api.refusal(kind, None)
    assert error.status == status
    served = dict(error.payload) if isinstance(error.payload, dict) else error.payload
    if isinstance(served, dict) and "requestTime" in body:
        served["requestTime"] = body["requestTime"]
    assert served == body
