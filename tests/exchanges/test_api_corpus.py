"""The documented real answers in tests/real/api/ through the sync streams' own parsers: each row becomes what its
.meta.json says it means (or nothing, where it moved nothing or another stream has it)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

from taxer.exchanges import binance, bitget, coinbase, kraken, okx
from taxer.model import Kind, Leg

CORPUS = Path(__file__).resolve().parents[1] / "real" / "api"


def answer(name: str) -> dict:
    return json.loads((CORPUS / f"{name}.json").read_text())


class Answers:
    """A stand-in gateway that answers every call with one documented answer (the fetchers' request building and
    row extraction run as in a sync)."""

    def __init__(self, body: dict) -> None:
        self.body, self.calls = body, []

    def call(self, method, *args):
        self.calls.append((method, args))
        return copy.deepcopy(self.body)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def fetch(fetcher, body: dict) -> list[dict]:
    return fetcher(Answers(body), None, 0, 100, {"until": 10**13})


# --- binance -----------------------------------------------------------------------------------------------------

def test_binance_convert_trade_flow():
    (row,) = fetch(binance._fetch_converts, answer("binance/convert-trade-flow"))
    tx = binance._convert(row, "a", "binance")
    assert (tx.kind, tx.sent, tx.received, tx.fee) == (Kind.TRADE, Leg("USDT", D("20")), Leg("BNB", D("0.06154036")),
                                                       None)
    assert tx.timestamp == at("2021-06-21T04:14:32.184") and tx.external_id == "convert:940708407462087195"


def test_binance_dust_log():
    rows = fetch(binance._fetch_dust, answer("binance/dribblet"))
    txs = [binance._dust(r, "a", "binance") for r in rows]
    assert [(t.sent, t.received, t.fee) for t in txs] == [
        (Leg("USDT", D("0.0009")), Leg("BNB", D("0.000450")), Leg("BNB", D("0.000009"))),
        (Leg("ETH", D("0.0009")), Leg("BNB", D("0.00089955")), Leg("BNB", D("0.00001799")))]
    assert {t.timestamp for t in txs} == {at("2021-03-17T12:52:15")} and len({t.external_id for t in txs}) == 2


def test_binance_fiat_answers_that_moved_nothing_are_skipped_and_a_completed_card_buy_is_a_trade():
    (order,) = fetch(binance._fiat("sapi_get_fiat_orders", "0"), answer("binance/fiat-orders--deposit"))
    assert binance._fiat_order("deposit")(order, "a", "binance") is None               # Expired
    done = dict(order, status="Successful")
    tx = binance._fiat_order("deposit")(done, "a", "binance")
    assert (tx.kind, tx.received, tx.fee) == (Kind.DEPOSIT, Leg("BRL", D("10.00")), None)
    (payment,) = fetch(binance._fiat("sapi_get_fiat_payments", "0"), answer("binance/fiat-payments--buy"))
    assert binance._card_payment("buy")(payment, "a", "binance") is None               # Failed
    tx = binance._card_payment("buy")(dict(payment, status="Completed"), "a", "binance")
    assert (tx.sent, tx.received, tx.fee) == (Leg("EUR", D("19.8")), Leg("LUNA", D("4.462")), Leg("EUR", D("0.2")))


def test_binance_simple_earn_rewards():
    flexible = fetch(binance._fetch_earn("m", {"type": "ALL"}), answer("binance/simple-earn-flexible-rewards"))
    txs = [binance._earn("flexible", "interest")(r, "a", "binance") for r in flexible]
    assert [(t.kind, t.received, t.label) for t in txs] == [
        (Kind.INCOME, Leg("BUSD", D("0.00006408")), "interest"), (Kind.INCOME, Leg("USDT", D("0.00687654")),
                                                                    "interest")]
    locked = fetch(binance._fetch_earn("m", {}), answer("binance/simple-earn-locked-rewards"))
    txs = [binance._earn("locked", "staking")(r, "a", "binance") for r in locked]
    assert [t.received for t in txs] == [Leg("BNB", D("21312.23223")), Leg("BNB", D("1.23223"))]
    assert len({t.external_id for t in txs}) == 2                         # same position and time, two rewards
    assert txs[0].timestamp == at("2019-11-29T09:08:30")


# --- okx ---------------------------------------------------------------------------------------------------------

def test_okx_funding_bills():
    (bill,) = fetch(okx._fetch_asset_bills, answer("okx/asset-bills--staking-yield"))
    tx = okx._bill_income(bill, "a", "okx")
    assert (tx.received, tx.label, tx.timestamp) == (Leg("SOL", D("0.00123456")), "staking", at("2023-11-14T22:13:20"))
    (deposit,) = fetch(okx._fetch_asset_bills, answer("okx/asset-bills--deposit"))
    assert okx._bill_income(deposit, "a", "okx") is None                 # the deposit stream has it


# --- kraken ------------------------------------------------------------------------------------------------------

def test_kraken_ledger_types_and_subtypes():
    rows = {k: dict(v, id=k) for k, v in answer("kraken/ledgers--income-and-transfers")["result"]["ledger"].items()}
    got = {k: kraken._ledger_record(r, "a", "kraken") for k, r in rows.items()}
    income = {k: (t.received, t.label) for k, t in got.items() if t is not None}
    assert income == {"LWAAAA-AAAAA-AAAAA1": (Leg("DOT", D("0.0538620000")), "staking"),
                      "LWAAAA-AAAAA-AAAAA2": (Leg("USDC", D("0.01230000")), "staking"),
                      "LWAAAA-AAAAA-AAAAA4": (Leg("FLR", D("15.0000")), "airdrop")}
    assert kraken.coin("XBT.M") == "BTC" and kraken.coin("XXBT") == "BTC" and kraken.coin("ETH.F") == "ETH"
    assert kraken.coin("ETH2.S") == kraken.coin("XETH") == "ETH"    # entries 5 and 6: one coin, moved


def test_kraken_fee_paid_in_kfee_is_not_a_coin_fee():
    entries = answer("kraken/ledgers--income-and-transfers")["result"]["ledger"]
    trade = {"info": {"ledger_entries": [entries["LWAAAA-AAAAA-AAAAA7"], entries["LWAAAA-AAAAA-AAAAA8"]]}}
    assert kraken._charged_fee(trade) == (Leg("EUR", D("0.4429")), D("1.145"))
    only_credits = {"info": {"ledger_entries": [entries["LWAAAA-AAAAA-AAAAA7"],
                                                dict(entries["LWAAAA-AAAAA-AAAAA8"], fee="0")]}}
    assert kraken._charged_fee(only_credits) == (None, D("1.145"))


# --- bitget ------------------------------------------------------------------------------------------------------

def test_bitget_bills_in_the_documented_shape():
    (bill,) = fetch(bitget._fetch_bills, answer("bitget/account-bills"))
    assert bitget._bill_income(bill, "a", "bitget") is None               # a transfer-in
    assert bitget.bill_time_ms("1622697148") == 1622697148000 and bitget.bill_time_ms("1622697148123") == \
        1622697148123
    for business in ("airdrop rewards", "AIRDROP_REWARDS"):             # old and new vocabularies
        tx = bitget._bill_income(dict(bill, businessType=business, groupType="other"), "a", "bitget")
        assert (tx.received, tx.label, tx.timestamp) == (Leg("USDT", D("1")), "airdrop", at("2021-06-03T05:12:28"))
    assert bitget._assets(bill) == {"USDT"}


# --- coinbase ----------------------------------------------------------------------------------------------------

def test_coinbase_convert_legs_pair_into_one_trade():
    first, second = answer("coinbase/v2-transactions--trade-convert")["data"]
    assert coinbase.convert_leg(first) == coinbase.convert_leg(second) == "5dceef97-ef34-41e6-9171-3e60cd01639e"
    tx = coinbase.convert(second, first, "a", "coinbase")
    assert (tx.kind, tx.sent, tx.received, tx.fee) == (Kind.TRADE, Leg("USDC", D("1000.000000")),
                                                       Leg("BTC", D("0.01694165")), None)
    assert tx.timestamp == at("2020-06-08T02:32:15")


def test_coinbase_v2_types():
    rows = {r["id"]: r for r in answer("coinbase/v2-transactions--send-receive-rewards-buy-sell")["data"]}
    got = {i: coinbase.transaction(r, "a", "coinbase") for i, r in rows.items() if r["type"] != "trade"}
    sent = got["id1"]
    assert (sent.kind, sent.sent, sent.fee) == (Kind.WITHDRAWAL, Leg("ETH", D("0.05749427")), Leg("ETH", D("0.00021")))
    assert got["id3"].kind is Kind.DEPOSIT
    assert (got["id4"].kind, got["id4"].received, got["id4"].label) == (Kind.INCOME, Leg("NMR", D("0.02762431")),
                                                                        "reward")       # From Coinbase Earn
    assert (got["id5"].received, got["id5"].label) == (Leg("ALGO", D("0.000076")), "staking")
    assert (got["id10"].kind, got["id10"].sent, got["id10"].received) == (
        Kind.TRADE, Leg("EUR", D("10.99")), Leg("ETH", D("0.05772716")))
    assert (got["id11"].sent, got["id11"].received) == (Leg("ETH", D("0.05772715")), Leg("EUR", D("10.98")))
    assert coinbase.convert_leg(rows["id9"]) == "id9"                     # one leg; its fee is in trade.fee
    (pro,) = answer("coinbase/v2-transactions--pro-deposit")["data"]
    tx = coinbase.transaction(pro, "a", "coinbase")
    assert (tx.kind, tx.sent) == (Kind.WITHDRAWAL, Leg("BTC", D("0.50000000")))      # to the user's Coinbase Pro


def test_bitget_convert_and_bgb_swap():
    (row,) = fetch(bitget._fetch_converts, answer("bitget/convert-record"))
    tx = bitget._convert(row, "a", "bitget")
    assert (tx.kind, tx.sent, tx.received, tx.fee) == (Kind.TRADE, Leg("USDT", D("100")), Leg("ETH", D("0.23206967")),
                                                       None)           # fromCoinSize is a JSON number
    assert tx.timestamp == at("2023-07-05T03:25:12.229")
    (swap,) = fetch(bitget._fetch_bgb, answer("bitget/bgb-convert-records"))
    tx = bitget._bgb(swap, "a", "bitget")
    assert (tx.sent, tx.received, tx.fee) == (Leg("ROOT", D("64.99837000")), Leg("BGB", D("3.62173442")),
                                              Leg("BGB", D("0.07101441")))
