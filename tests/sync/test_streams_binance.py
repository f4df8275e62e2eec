"""Binance's streams beyond myTrades (converts, dust, fiat orders, card payments, Simple Earn) against the replica
serving them in the documented shapes (tests/real/api/binance/), through the real ccxt client."""

from __future__ import annotations

from datetime import UTC

from taxer.model import Kind
from tests.sync.streams_helpers import legs, ms, small_history, synced_twice


def test_converts_dust_fiat_and_earn_arrive_as_the_exchange_means_them(tmp_path, monkeypatch):
    history = small_history()
    x = history.extras
    got, again = synced_twice(tmp_path, monkeypatch, "binance", history)
    for c in x.of("convert"):
        tx = got[f"convert:{c.id}"]
        assert tx.kind is Kind.TRADE and ms(tx) == c.timestamp and tx.timestamp.tzinfo == UTC
        assert legs(tx) == (c.sold, c.sold_amount, c.bought, c.bought_amount, None, None)
    for c in x.of("dust"):
        (tx,) = [t for k, t in got.items() if k.startswith("dust:") and k.endswith(f":{c.sold}")
                 and ms(t) == c.timestamp]
        # the gross BNB is received and the service charge paid out of it: net = transferedAmount
        assert legs(tx) == (c.sold, c.sold_amount, "BNB", c.bought_amount, "BNB", c.fee)
    card = {k: t for k, t in got.items() if k.startswith("fiat-buy:")}
    assert len(card) == len([c for c in x.of("card_buy") if c.ok]) > 0      # declined cards moved nothing
    for c in x.of("card_buy"):
        if c.ok:
            tx = got[f"fiat-buy:{int(c.id):032x}"]
            assert legs(tx) == (c.sold, c.sold_amount, c.bought, c.bought_amount, c.fee_asset, c.fee)
    for c in x.of("sell"):
        tx = got[f"fiat-sell:{int(c.id):032x}"]
        assert legs(tx) == (c.sold, c.sold_amount, c.bought, c.bought_amount, None, None)
    for m in x.fiat:
        key = f"{m.kind}:fiat:{int(m.id):x}-fiat"
        assert (key in got) == m.ok                                          # expired orders moved nothing
        if m.ok:
            tx = got[key]
            leg = tx.received if m.kind == "deposit" else tx.sent
            assert (tx.kind.value, leg.asset, leg.amount) == (m.kind, m.currency, m.amount)
    income = sorted((t.received.asset, t.received.amount, t.label, ms(t)) for k, t in got.items()
                    if k.startswith("income:earn-"))
    assert income == sorted((e.asset, e.amount, e.label, e.timestamp) for e in x.earned("flexible", "locked"))
    assert {e.label for e in x.earned("flexible")} == {"interest"} and {e.label for e in x.earned("locked")} == \
        {"staking"}
