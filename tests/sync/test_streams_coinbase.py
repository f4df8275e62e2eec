"""Coinbase v2 transactions as the real answers show them (tests/real/api/coinbase/v2-transactions--*.json): retail
buys and sells become trades, a convert's two legs in two accounts become one trade, Coinbase Pro moves are
transfers, inflation rewards are income."""

from __future__ import annotations

from taxer.model import Kind
from tests.sync.streams_helpers import legs, ms, small_history, synced_twice


def test_retail_buys_sells_converts_pro_moves_and_rewards(tmp_path, monkeypatch):
    history = small_history()
    x = history.extras
    got, again = synced_twice(tmp_path, monkeypatch, "coinbase", history)
    assert not again.warnings   # no leg left waiting
    for c in x.of("buy"):
        tx = got[f"buy:{c.id}"]
        assert tx.kind is Kind.TRADE and ms(tx) == c.timestamp
        assert legs(tx) == ("EUR", c.sold_amount, c.bought, c.bought_amount, None, None)
    for c in x.of("sell"):
        assert legs(got[f"sell:{c.id}"]) == (c.sold, c.sold_amount, "EUR", c.bought_amount, None, None)
    for c in x.of("convert"):
        tx = got.pop(f"convert:{c.id}-trade")
        assert tx.kind is Kind.TRADE and ms(tx) == c.timestamp
        assert legs(tx) == (c.sold, c.sold_amount, c.bought, c.bought_amount, None, None)
    assert not [k for k in got if k.startswith("convert:")]                  # one trade per convert, not per leg
    for o in x.own_moves:
        if o.kind.startswith("pro_"):
            tx = got[f"{'withdrawal' if o.amount < 0 else 'deposit'}:{o.id}"]
            leg = tx.sent if o.amount < 0 else tx.received
            assert (leg.asset, leg.amount) == (o.asset, abs(o.amount))
    for y in x.earned("inflation"):
        tx = got[f"income:{y.id}"]
        assert (tx.received.asset, tx.received.amount, tx.label) == (y.asset, y.amount, "staking")
