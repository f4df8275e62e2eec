"""Kraken's ledger as the real answers show it (tests/real/api/kraken/ledgers--income-and-transfers.json): earn
rewards on the earn wallets' assets and airdrops are income, moves between the user's own wallets are not, and a
trade fee paid with KFEE fee credits is not booked as a fee in a coin."""

from __future__ import annotations

from taxer.model import Kind
from tests.sync.streams_helpers import by_id, ms, replica, set_keys, small_history, sync


def test_earn_airdrops_own_moves_and_kfee(tmp_path, monkeypatch):
    history = small_history()
    x = history.extras
    set_keys(monkeypatch, "kraken")
    with replica("kraken", history) as rep:
        engine, report = sync(tmp_path, rep)
    assert report.error is None, report.error
    got = by_id(engine)
    income = sorted((t.received.asset, t.received.amount, t.label, ms(t)) for t in got.values()
                    if t.kind is Kind.INCOME)
    truth = [(r.currency, r.amount, r.label, r.timestamp) for r in history.rewards]
    truth += [(y.asset, y.amount, y.label, y.timestamp) for y in x.earned("earn", "airdrop")]
    assert income == sorted(truth)           # DOT.S, USDC.M, ETH.F are the coins; autoallocation is not income
    assert {y.label for y in x.earned("earn")} == {"staking"} and {y.label for y in x.earned("airdrop")} == \
        {"airdrop"}
    trades = {t.external_id.rsplit(":", 1)[1]: t for t in got.values() if t.kind is Kind.TRADE}
    assert x.kfee_trades and x.kfee_trades <= set(trades)
    for trade in history.trades:
        tx = trades[trade.id]
        if trade.id in x.kfee_trades:
            assert tx.fee is None and "KFEE fee credits" in tx.description
        else:
            assert (tx.fee.asset, tx.fee.amount) == (trade.fee_currency, trade.fee)
