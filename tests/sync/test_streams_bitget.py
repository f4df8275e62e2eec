"""Bitget's converts and small-balance swaps to BGB (tests/real/api/bitget/convert-record.json,
bgb-convert-records.json) become trades; its bills in the documented shape still give the income."""

from __future__ import annotations

from taxer.model import Kind
from tests.sync.streams_helpers import legs, ms, small_history, synced_twice


def test_converts_and_bgb_swaps_are_trades(tmp_path, monkeypatch):
    history = small_history()
    x = history.extras
    got, again = synced_twice(tmp_path, monkeypatch, "bitget", history)
    for c in x.of("convert"):
        tx = got[f"convert:{c.id}"]
        assert tx.kind is Kind.TRADE and ms(tx) == c.timestamp
        assert legs(tx) == (c.sold, c.sold_amount, c.bought, c.bought_amount, None, None)
    for c in x.of("dust"):
        assert legs(got[f"bgb-convert:{c.id}"]) == (c.sold, c.sold_amount, "BGB", c.bought_amount, "BGB", c.fee)
    income = sorted((t.received.asset, t.received.amount, t.label) for t in got.values() if t.kind is Kind.INCOME)
    assert income == sorted((r.currency, r.amount, r.label) for r in history.rewards)
