"""kraken's API through the real ccxt client over HTTP: signatures, nonces, ofs paging with count, key permissions."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from pathlib import Path

import ccxt
import pytest

from taxer_replica import KeyFacts, Permissions, Replica
from tests.replica.helpers import DAY, client

CORPUS = Path(__file__).resolve().parents[1] / "real" / "api" / "kraken"
SECRET = base64.b64encode(b"kraken replica secret, 32 bytes!").decode()


def kraken_replica(history, **kwargs) -> Replica:
    kwargs.setdefault("permissions", Permissions.READ_ONLY)
    return Replica("kraken", history, api_key="kraken-key", secret=SECRET, **kwargs)


@pytest.fixture(scope="module")
def rep(history):
    with kraken_replica(history) as replica:
        yield replica


@pytest.fixture
def kraken(rep):
    ex = client(rep, apiKey="kraken-key", secret=SECRET)
    ex.load_markets()
    return ex


def test_markets_use_kraken_ids_and_ccxt_maps_them_to_unified_codes(rep):
    ex = client(rep, apiKey="kraken-key", secret=SECRET)
    before = len(rep.requests)
    ex.load_markets()
    assert sorted(p for _, p, _ in rep.requests[before:]) == ["/0/public/AssetPairs", "/0/public/Assets"]
    assert ex.markets["BTC/USDT"]["id"] == "XBTUSDT" and ex.markets["ETH/BTC"]["id"] == "XETHXXBT"
    assert ex.markets["SOL/BTC"]["id"] == "SOLXBT"
    assert ex.currencies["BTC"]["id"] == "XXBT" and ex.currencies["ETH"]["id"] == "XETH"


def test_trades_history_pages_by_ofs_newest_first_50_at_a_time_with_the_count(kraken, history):
    first = kraken.private_post_tradeshistory({"ofs": 0, "limit": 500})["result"]
    assert first["count"] == len(history.trades) == 6000   # the conftest history: 6,000 trades
    times = [row["time"] for row in first["trades"].values()]
    assert len(times) == 50 and times == sorted(times, reverse=True)
    seen: list[str] = []
    for ofs in range(0, first["count"], 50):
        page = kraken.private_post_tradeshistory({"ofs": ofs})["result"]
        assert page["count"] == first["count"]
        seen += page["trades"]
    assert sorted(seen) == sorted(t.id for t in history.trades) and len(seen) == 6000
    assert kraken.private_post_tradeshistory({"ofs": 6000})["result"]["trades"] == {}


def test_start_is_exclusive_and_end_inclusive_in_seconds(kraken, history):
    t = history.trades[100]
    second = t.timestamp // 1000
    around = history.trades[90:111]
    at = kraken.private_post_tradeshistory({"start": second, "end": second + 1})["result"]
    expected = {x.id for x in around if second * 1000 < x.timestamp <= (second + 1) * 1000}
    assert t.id in at["trades"] and set(at["trades"]) == expected and at["count"] == len(expected)
    before = kraken.private_post_tradeshistory({"start": second - 1, "end": second})["result"]
    after = kraken.private_post_tradeshistory({"start": second + 1, "end": second + 2})["result"]
    assert t.id not in before["trades"] and t.id not in after["trades"]
    exact = f"{t.timestamp // 1000}.{t.timestamp % 1000:03d}"   # start exclusive to the millisecond
    assert t.id not in kraken.private_post_tradeshistory({"start": exact, "end": second + 1})["result"]["trades"]


def test_a_trade_with_its_ledger_entries_gives_exact_amounts_and_the_fee_actually_charged(kraken, history):
    buy = next(t for t in history.trades if t.side == "buy" and t.symbol == "ETH/USDT")
    second = buy.timestamp // 1000
    rows = kraken.private_post_tradeshistory({"start": second - 1, "end": second + 1, "ledgers": "true"})
    row = rows["result"]["trades"][buy.id]
    parsed = kraken.parse_trade(dict(row, id=buy.id))
    assert (parsed["symbol"], parsed["side"], parsed["order"]) == ("ETH/USDT", "buy", buy.order_id)
    assert (Decimal(row["vol"]), Decimal(row["cost"])) == (buy.amount, buy.cost)
    assert parsed["fee"]["currency"] == "USDT"   # kraken states the fee in the quote currency ...
    entries = kraken.private_post_queryledgers({"id": ",".join(row["ledgers"])})["result"]
    legs = {e["asset"]: (Decimal(e["amount"]), Decimal(e["fee"])) for e in entries.values()}
    assert legs == {"XETH": (buy.amount, buy.fee), "USDT": (-buy.cost, Decimal(0))}  # ... the ledger charged ETH


def test_ledgers_page_by_ofs_and_hold_every_balance_change_and_the_rewards(kraken, history):
    entries: dict[str, dict] = {}
    ofs, count = 0, None
    while count is None or ofs < count:
        page = kraken.private_post_ledgers({"ofs": ofs})["result"]
        count = page["count"]
        assert len(page["ledger"]) == min(50, count - ofs)
        entries.update(page["ledger"])
        ofs += 50
    assert sorted(entries) == sorted(e.id for e in history.ledger())
    rewards = [e for e in entries.values() if e["type"] in ("staking", "earn", "transfer")]
    assert {(e["type"], e["subtype"]) for e in rewards} == {
        ("staking", ""), ("earn", "reward"), ("transfer", "airdrop")}
    assert sorted(e["refid"] for e in rewards) == sorted(r.id for r in history.rewards)
    staking = kraken.private_post_ledgers({"type": "staking"})["result"]
    assert all(e["type"] == "staking" for e in staking["ledger"].values()) and 0 < staking["count"] < len(rewards)


def test_deposits_and_withdrawals_answer_the_newest_25_of_the_range(history):
    # a key with the Deposit Funds and Withdraw Funds permissions: the only keys kraken answers these for
    with kraken_replica(history, permissions=Permissions.WITHDRAW, key=KeyFacts(deposit_funds=True)) as replica:
        kraken = client(replica, apiKey="kraken-key", secret=SECRET)
        kraken.load_markets()
        newest = kraken.fetch_deposits()
        assert len(newest) == 25
        assert [d["id"] for d in newest] == [d.id for d in history.deposits[::-1][:25]]
        d = history.deposits[0]
        (got,) = kraken.fetch_deposits(None, d.timestamp // 1000 * 1000 - 1000, None, {"until": d.timestamp})
        assert (got["currency"], Decimal(got["info"]["amount"]), got["txid"]) == (d.currency, d.amount, d.txid)
        w = history.withdrawals[0]
        (got,) = kraken.fetch_withdrawals(None, w.timestamp - 1000, None, {"until": w.timestamp})
        assert (got["id"], Decimal(got["info"]["amount"]), Decimal(got["info"]["fee"]), got["address"]) == (
            w.id, w.amount, w.fee, w.address)


def test_a_read_only_key_is_denied_deposit_and_withdraw_status_as_kraken_does(kraken):
    # kraken's guide puts DepositStatus under "Deposit Funds" and WithdrawStatus under "Withdraw Funds"; the
    # answer is tests/real/api/kraken/error--permission-denied.json (HTTP 200)
    documented = json.loads((CORPUS / "error--permission-denied.json").read_text())
    for call in (kraken.private_post_depositstatus, kraken.private_post_withdrawstatus):
        with pytest.raises(ccxt.PermissionDenied, match="EGeneral:Permission denied"):
            call()
        assert json.loads(kraken.last_http_response) == documented
    assert kraken.private_post_ledgers()["result"]["count"] > 0      # the ledger is the read-only key's


def test_balance_and_candles(kraken, history):
    total = kraken.fetch_balance()["total"]
    assert {k: Decimal(str(v)) for k, v in total.items() if v} == dict(history.balances)
    since = history.start + 10 * DAY
    bars = kraken.fetch_ohlcv("ETH/USDT", "1h", since, 50)
    truth = history.ohlcv("ETH/USDT", "1h", since=since, limit=50)
    assert [b[0] for b in bars] == [c.timestamp for c in truth]
    assert [Decimal(str(b[4])) for b in bars] == [c.close for c in truth]


def test_a_wrong_secret_or_key_is_refused_as_kraken_does(rep):
    wrong = base64.b64encode(b"another secret").decode()
    for override in ({"secret": wrong}, {"apiKey": "other-key"}):
        ex = client(rep, **{"apiKey": "kraken-key", "secret": SECRET, **override})
        with pytest.raises(ccxt.AuthenticationError, match="EAPI:Invalid key"):
            ex.private_post_balanceex()


def test_a_nonce_that_does_not_grow_is_refused(rep):
    ex = client(rep, apiKey="kraken-key", secret=SECRET)
    ex.private_post_balanceex()
    ex.incrementing_nonce = lambda: 1_000   # far below the last nonce the key used
    with pytest.raises(ccxt.InvalidNonce, match="EAPI:Invalid nonce"):
        ex.private_post_balanceex()


@pytest.mark.parametrize("permissions, trade, withdraw", [
    (Permissions.READ_ONLY, False, False),
    (Permissions.TRADE, True, False),
    (Permissions.WITHDRAW, True, True),
])
def test_get_api_key_info_reports_the_key_permissions(history, permissions, trade, withdraw):
    with kraken_replica(history, permissions=permissions) as replica:
        info = client(replica, apiKey="kraken-key", secret=SECRET).private_post_getapikeyinfo()["result"]
    names = info["permissions"]   # a list of strings, as kraken documents it
    assert {"query-funds", "query-open-trades", "query-ledger"} <= set(names)
    assert ("modify-trades" in names, "withdraw-funds" in names) == (trade, withdraw)
    assert info["validUntil"] == "0" and info["ipAllowlist"] == [] and info["createdTime"].isdigit()


def test_a_secret_that_is_not_base64_is_a_clear_error(rep):
    from taxer.errors import ExchangeAuthError
    from taxer.exchanges.credentials import Credentials
    from taxer.exchanges.gateway import Gateway

    gw = Gateway("kraken", Credentials("kraken-key", "not-base64-secret!"), account="main", api_url=rep.url,
                 rate_limit=False)
    with pytest.raises(ExchangeAuthError, match="account 'main' .*not valid base64") as err:
        gw.call("private_post_balanceex")
    assert "not-base64-secret!" not in str(err.value)


def test_a_repeated_nonce_is_retried_with_a_fresh_one(rep):
    """A nonce not above the last one the key used (ccxt keeps its nonces increasing per client instance only, so
    two clients or processes of one key can repeat one) is refused by the exchange; ccxt's InvalidNonce is a
    NetworkError, so the gateway retries it, signing again."""
    from taxer.exchanges.credentials import Credentials
    from taxer.exchanges.gateway import Gateway, RetryPolicy

    gw = Gateway("kraken", Credentials("kraken-key", SECRET), account="main", api_url=rep.url, rate_limit=False,
                 retry=RetryPolicy(attempts=3, base_delay=0.001))
    clock = iter([10**15, 10**15, 10**15 + 5])  # the second call repeats the first one's nonce
    gw.client.incrementing_nonce = lambda: next(clock)
    gw.call("private_post_balanceex")
    assert gw.call("private_post_balanceex")["error"] == [] and gw.retries == 1
