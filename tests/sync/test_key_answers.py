"""Read-only or nothing: crafted and documented permission answers, served by the replica to the real ccxt client,
and the decision taxer must take on each (issue #21 item 1, issue #13 item 4).

Outcomes:
- "use": synced without any option;
- "trade": refused, used with --allow-trading-key (warned);
- "unknown": refused, used with --allow-unknown-key (warned);
- "unknown+trade": used only with both options;
- "refuse": refused whatever the options (it can withdraw or transfer, or it cannot read).
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from taxer import keys
from taxer.exchanges.credentials import Credentials
from taxer.exchanges.gateway import Gateway, RetryPolicy
from taxer.exchanges.registry import spec_for
from taxer_replica import Permissions, Replica, generate_history

REAL = Path(__file__).resolve().parents[1] / "real" / "api"
KEY, SECRET, PASSPHRASE = "ak-4f1e9c", "s3cr3tZ9q8w7e6r5t4y3u2w1", "pass-phrase-77"
CDP_KEY = "organizations/0f4e2c1a/apiKeys/7d3b9e60"
CDP_PEM = ec.generate_private_key(ec.SECP256R1()).private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()).decode()
FAST = functools.partial(Gateway, retry=RetryPolicy(attempts=2, base_delay=0.001, max_delay=0.01))


def real(exchange: str, name: str):
    return json.loads((REAL / exchange / f"{name}.json").read_text())


def _payload(exchange: str, name: str):
    """A documented answer as the replica's handler returns it (the replica adds the exchange's envelope)."""
    answer = real(exchange, name)
    return {"bitget": lambda a: a["data"], "okx": lambda a: a["data"], "kraken": lambda a: a["result"]}.get(
        exchange, lambda a: a)(answer)


def _with(base, **changes):
    out = copy.deepcopy(base)
    for k, v in changes.items():
        if v is _DROP:
            out.pop(k, None)
        else:
            out[k] = v
    return out


_DROP = object()
BINANCE_RO = _payload("binance", "api-restrictions--read-only")
EXPIRY = _payload("binance", "api-restrictions--doc-example-with-expiry")
BITGET_RO = _payload("bitget", "account-info--read-only-codes")
OKX_RO = _payload("okx", "account-config--read-only")
KRAKEN_RO = _payload("kraken", "get-api-key-info--read-only")
COINBASE_RO = _payload("coinbase", "key-permissions--view-only")


def _okx(perm=_DROP, **changes):
    return [_with(OKX_RO[0], perm=perm, **changes)]


def _bitget(authorities):
    return _with(BITGET_RO, authorities=authorities)


def _kraken(permissions):
    return _with(KRAKEN_RO, permissions=permissions)


TABLE = {
    "binance": [
        ("documented read-only", BINANCE_RO, "use"),
        ("documented example: portfolio-margin trading", _payload("binance", "api-restrictions--doc-example"),
         "trade"),
        ("documented withdraw key", _payload("binance", "api-restrictions--withdraw"), "refuse"),
        ("documented zh example: internal and universal transfer", _payload("binance",
                                                                            "api-restrictions--doc-example-zh"),
         "refuse"),
        # moves funds (enableInternalTransfer, permitsUniversalTransfer); tradingAuthorityExpirationTime is optional and
        # decides nothing: with the transfers off the key only trades, with or without it
        ("documented example with a trading expiry: transfers", EXPIRY, "refuse"),
        ("the expiry example, transfers off", _with(EXPIRY, enableInternalTransfer=False,
                                                    permitsUniversalTransfer=False), "trade"),
        ("the expiry example, transfers off, no expiry field", _with(
            EXPIRY, enableInternalTransfer=False, permitsUniversalTransfer=False,
            tradingAuthorityExpirationTime=_DROP), "trade"),
        ("read-only with a trading expiry", _with(BINANCE_RO, tradingAuthorityExpirationTime=1628985600000), "use"),
        ("empty object", {}, "unknown"),
        ("null", None, "unknown"),
        ("a list", [BINANCE_RO], "unknown"),
        ("a string", "read_only", "unknown"),
        ("enableWithdrawals 'true'", _with(BINANCE_RO, enableWithdrawals="true"), "refuse"),
        ("enableWithdrawals 1", _with(BINANCE_RO, enableWithdrawals=1), "refuse"),
        ("enableWithdrawals 'false'", _with(BINANCE_RO, enableWithdrawals="false"), "unknown"),
        ("enableWithdrawals null", _with(BINANCE_RO, enableWithdrawals=None), "unknown"),
        ("no enableWithdrawals", _with(BINANCE_RO, enableWithdrawals=_DROP), "unknown"),
        ("no enableInternalTransfer", _with(BINANCE_RO, enableInternalTransfer=_DROP), "unknown"),
        ("enableSpotAndMarginTrading 'true'", _with(BINANCE_RO, enableSpotAndMarginTrading="true"), "unknown+trade"),
        ("an unknown right switched on", _with(BINANCE_RO, enableNewProduct=True), "unknown+trade"),
        ("an unknown transfer right switched on", _with(BINANCE_RO, permitsSubAccountTransfer=True), "refuse"),
        ("an unknown right switched off", _with(BINANCE_RO, enableNewProduct=False), "use"),
        ("enableReading false", _with(BINANCE_RO, enableReading=False), "refuse"),
        ("no enableReading", _with(BINANCE_RO, enableReading=_DROP), "unknown"),
    ],
    "bitget": [
        ("documented read-only codes", BITGET_RO, "use"),
        ("documented example: trade + readonly", _payload("bitget", "account-info--doc-example"), "trade"),
        ("documented withdraw key", _payload("bitget", "account-info--withdraw"), "refuse"),
        ("documented tax and P2P read-write", _payload("bitget", "account-info--tax-and-p2p"), "refuse"),
        ("tax read-write cannot trade", _bitget(["stor", "taxr", "taxw"]), "use"),
        ("wallet transfer read-write", _bitget(["stor", "wtow"]), "refuse"),
        ("P2P read-write (zh spelling)", _bitget(["stor", "p2pw"]), "refuse"),
        ("sub-account management", _bitget(["stor", "chow"]), "refuse"),
        ("legacy readonly word", _bitget(["readonly"]), "use"),
        ("spot trading", _bitget(["stor", "stow"]), "trade"),
        ("withdraw_funds", _bitget(["stor", "withdraw_funds"]), "refuse"),
        ("transfer_out", _bitget(["stor", "transfer_out"]), "refuse"),
        ("a string instead of a list", _bitget("stor,wwow"), "refuse"),
        ("a read-only string instead of a list", _bitget("stor"), "unknown"),
        ("an empty list", _bitget([]), "unknown"),
        ("no authorities", _with(BITGET_RO, authorities=_DROP), "unknown"),
        ("an unknown code", _bitget(["stor", "xyzr"]), "unknown"),
        ("a number among the codes", _bitget(["stor", 1]), "unknown"),
        ("null data", None, "unknown"),
        ("data a list", [BITGET_RO], "unknown"),
    ],
    "okx": [
        ("documented read-only", OKX_RO, "use"),
        ("documented trade key bound to IPs", _payload("okx", "account-config--trade-with-ip"), "trade"),
        ("documented example: read_only,withdraw,trade", _payload("okx", "account-config--doc-example"), "refuse"),
        ("read_only|withdraw", _okx("read_only|withdraw"), "refuse"),
        ("a list of words", _okx(["read_only"]), "unknown"),
        ("a list naming withdraw", _okx(["read_only", "withdraw"]), "refuse"),
        ("empty perm", _okx(""), "unknown"),
        ("no perm", _okx(), "unknown"),
        ("an unknown word", _okx("read_only,admin"), "unknown"),
        ("upper case", _okx("READ_ONLY"), "unknown"),
        ("spaces after commas", _okx("read_only, trade"), "trade"),
        ("perm null", _okx(None), "unknown"),
        ("no configuration", [], "unknown"),
        ("two configurations", OKX_RO * 2, "unknown"),
        ("data an object", OKX_RO[0], "unknown"),
    ],
    "kraken": [
        ("documented read-only", KRAKEN_RO, "use"),
        ("documented example: withdraw-funds, modify-trades", _payload("kraken", "get-api-key-info--doc-example"),
         "refuse"),
        ("documented window, expiry and IP", _payload("kraken", "get-api-key-info--restricted-window-and-ip"), "use"),
        ("modify-trades", _kraken(["query-funds", "modify-trades"]), "trade"),
        ("a dict of flags: withdraw_funds 'true'", _kraken({"query_funds": True, "withdraw_funds": "true"}),
         "refuse"),
        ("a dict of flags, all harmless", _kraken({"query_funds": True, "withdraw_funds": False}), "unknown"),
        ("a string instead of a list", _kraken("query-funds"), "unknown"),
        ("an empty list", _kraken([]), "unknown"),
        ("null permissions", _kraken(None), "unknown"),
        ("no permissions", _with(KRAKEN_RO, permissions=_DROP), "unknown"),
        ("withdraw_funds spelled with an underscore", _kraken(["query-funds", "withdraw_funds"]), "refuse"),
        ("an unknown name", _kraken(["query-funds", "frobnicate"]), "unknown"),
        ("numbers", _kraken([1, 2]), "unknown"),
        ("null result", None, "unknown"),
    ],
    "coinbase": [
        ("documented view-only", COINBASE_RO, "use"),
        ("documented trade, no transfer", _payload("coinbase", "key-permissions--trade-no-transfer"), "trade"),
        ("documented example: trade and transfer", _payload("coinbase", "key-permissions--doc-example"), "refuse"),
        ("empty object", {}, "unknown"),
        ("null", None, "unknown"),
        ("can_transfer 'true'", _with(COINBASE_RO, can_transfer="true"), "refuse"),
        ("can_transfer 'false'", _with(COINBASE_RO, can_transfer="false"), "unknown"),
        ("no can_transfer", _with(COINBASE_RO, can_transfer=_DROP), "unknown"),
        ("can_trade 1", _with(COINBASE_RO, can_trade=1), "unknown+trade"),
        ("an unknown right switched on", _with(COINBASE_RO, can_receive_payments=True), "unknown"),
        ("an unknown transfer right switched on", _with(COINBASE_RO, can_transfer_out=True), "refuse"),
        ("can_view false", _with(COINBASE_RO, can_view=False), "refuse"),
        ("a list", [COINBASE_RO], "unknown"),
    ],
}
CASES = [(ex, label, answer, outcome) for ex, rows in TABLE.items() for label, answer, outcome in rows]


@pytest.fixture(scope="module")
def replicas():
    history = generate_history(seed=3, trades=50, start="2024-01-01", end="2024-03-31")
    running = {}
    for exchange in TABLE:
        key, secret = (CDP_KEY, CDP_PEM) if exchange == "coinbase" else (KEY, SECRET)
        running[exchange] = Replica(exchange, history, api_key=key, secret=secret, passphrase=PASSPHRASE,
                                    permissions=Permissions.READ_ONLY).start()
    yield running
    for rep in running.values():
        rep.stop()


def outcome_of(spec, perms) -> str:
    def used(**flags) -> bool:
        return keys.decide(spec, "main", perms, **flags).use

    if used():
        return "use"
    if used(allow_trading=True):
        return "trade"
    if used(allow_unknown=True):
        return "unknown"
    if used(allow_trading=True, allow_unknown=True):
        return "unknown+trade"
    return "refuse"


def ask(rep, answer):
    """The real ccxt client through taxer's gateway, asking the replica that serves `answer`."""
    key, secret = (CDP_KEY, CDP_PEM) if rep.exchange == "coinbase" else (KEY, SECRET)
    spec = spec_for(rep.exchange)
    rep.api.key_answer = answer
    gw = FAST(rep.exchange, Credentials(key, secret, PASSPHRASE), account="main", api_url=rep.url,
              options=spec.options, rate_limit=False)
    try:
        return spec, spec.permissions(gw)
    finally:
        gw.close()


@pytest.mark.parametrize("exchange, label, answer, expected", CASES, ids=[f"{c[0]}: {c[1]}" for c in CASES])
def test_each_answer_gets_its_decision(replicas, exchange, label, answer, expected):
    spec, perms = ask(replicas[exchange], answer)
    assert outcome_of(spec, perms) == expected, perms
    decision = keys.decide(spec, "main", perms)
    if expected != "use":
        # the refusal names what the exchange said and how to make a read-only key
        assert not decision.use and "read-only key" in decision.refusal
        assert perms.detail and perms.detail.split(":")[0] in decision.refusal
    else:
        assert decision.warnings == ()


def test_the_table_covers_at_least_the_42_crafted_kinds():
    assert len(CASES) >= 42
    assert {o for *_, o in CASES} == {"use", "trade", "unknown", "unknown+trade", "refuse"}
