"""OKX's funding-account bills (tests/real/api/okx/asset-bills--*.json): staking and mining yield and airdrops are
income there, not in the trading account's bills; the funding bills' deposits are not booked twice."""

from __future__ import annotations

from taxer.model import Kind
from tests.sync.streams_helpers import by_id, ms, replica, set_keys, small_history, sync


def test_funding_bills_give_staking_mining_and_airdrop_income(tmp_path, monkeypatch):
    history = small_history()
    set_keys(monkeypatch, "okx")
    with replica("okx", history) as rep:
        engine, report = sync(tmp_path, rep)
        paths = {path for _m, path, _q in rep.requests}
    assert report.error is None, report.error
    assert "/api/v5/asset/bills" in paths and "/api/v5/account/bills-archive" not in paths
    got = by_id(engine)
    income = {k: t for k, t in got.items() if t.kind is Kind.INCOME}
    for y in history.extras.earned("staking", "mining"):
        tx = income.pop(f"income:{y.id}")
        assert (tx.received.asset, tx.received.amount, tx.label, ms(tx)) == (y.asset, y.amount, y.label, y.timestamp)
    bills = {e.ref: e.id for e in history.ledger() if e.kind == "reward"}
    for r in history.rewards:
        tx = income.pop(f"income:{bills[r.id]}")
        assert (tx.received.asset, tx.received.amount, tx.label) == (r.currency, r.amount, r.label)
    assert income == {}
    assert len([t for t in got.values() if t.kind is Kind.DEPOSIT]) == len(history.deposits)
