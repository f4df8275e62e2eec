"""Properties of the 1 January 2025 split (Rev. Proc. 2024-28): whatever the history, each account gets exactly
the units it holds, the universal pool's remaining basis is shared out to the cent and beyond, and a lot that
never left its account stays there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal, localcontext

from hypothesis import given, settings
from hypothesis import strategies as st

from taxer.engine import EngineSettings, compute
from taxer.engine.exact import EXACT
from taxer.model import Kind, Leg, Transaction

ACCOUNTS = ("a", "b", "c")
START = datetime(2020, 1, 1, tzinfo=UTC)
SWITCH = datetime(2025, 1, 1, tzinfo=UTC)

step = st.tuples(st.sampled_from(("buy", "sell", "move")), st.sampled_from(ACCOUNTS), st.sampled_from(ACCOUNTS),
                 st.integers(1, 40), st.integers(1, 900))


def ledger(steps):
    """Buys, sells and moves of whole units (amount / 10 BTC), never more than the account holds."""
    held = dict.fromkeys(ACCOUNTS, Decimal(0))
    txs = []
    at = START
    for n, (what, account, other, tenths, price) in enumerate(steps):
        at += timedelta(days=7)
        amount = Decimal(tenths) / 10
        if what == "buy":
            txs.append(Transaction(account=account, timestamp=at, kind=Kind.TRADE, sent=Leg("USD", Decimal(price)),
                                   received=Leg("BTC", amount), id=len(txs) + 1, external_id=str(n)))
            held[account] += amount
        elif what == "sell" and held[account] >= amount:
            txs.append(Transaction(account=account, timestamp=at, kind=Kind.TRADE, sent=Leg("BTC", amount),
                                   received=Leg("USD", Decimal(price)), id=len(txs) + 1, external_id=str(n)))
            held[account] -= amount
        elif what == "move" and other != account and held[account] >= amount:
            txs.append(Transaction(account=account, timestamp=at, kind=Kind.WITHDRAWAL, sent=Leg("BTC", amount),
                                   id=len(txs) + 1, external_id=f"{n}w"))
            txs.append(Transaction(account=other, timestamp=at + timedelta(hours=1), kind=Kind.DEPOSIT,
                                   received=Leg("BTC", amount), id=len(txs) + 1, external_id=f"{n}d"))
            held[account] -= amount
            held[other] += amount
    return txs, held


@settings(max_examples=150, deadline=None)
@given(st.lists(step, max_size=60))
def test_the_split_gives_each_account_its_units_and_keeps_the_basis(steps):
    txs, held = ledger(steps)
    assert all(tx.timestamp < SWITCH for tx in txs)
    split = compute(txs, EngineSettings(), until=SWITCH + timedelta(days=1))
    universal = compute(txs, EngineSettings(pool="universal"), until=SWITCH)
    per_account: dict[str, Decimal] = {}
    for lot in split.allocation_2025:
        per_account[lot.account] = per_account.get(lot.account, Decimal(0)) + lot.amount
    assert per_account == {a: amount for a, amount in held.items() if amount > 0}
    with localcontext(EXACT):  # split lots carry 34-digit shares: add them as the engine does, without rounding
        assert sum((lot.cost_basis for lot in split.allocation_2025), Decimal(0)) == \
            sum((lot.cost_basis for lot in universal.holdings), Decimal(0))
    assert [w.code for w in split.warnings] == []


@settings(max_examples=100, deadline=None)
@given(st.lists(step, max_size=40))
def test_a_lot_still_whole_in_an_account_that_never_sold_nor_moved_stays_there(steps):
    # Only account "a" sells; "b" and "c" only buy. The universal pool may still sell b's or c's coins for a (its
    # order is global), but every lot of theirs the pool still holds is, by their history, in their account.
    steps = [s if s[1] == "a" or s[0] == "buy" else ("buy", *s[1:]) for s in steps if s[0] != "move"]
    txs, _ = ledger(steps)
    split = compute(txs, EngineSettings(), until=SWITCH + timedelta(days=1))
    universal = compute(txs, EngineSettings(pool="universal"), until=SWITCH)
    bought_in = {tx.id: tx.account for tx in txs if tx.kind is Kind.TRADE and tx.received.asset == "BTC"}
    kept = {lot.acquire_tx_id for lot in universal.holdings if bought_in[lot.acquire_tx_id] in ("b", "c")}
    for lot in split.allocation_2025:
        if lot.acquire_tx_id in kept:
            assert lot.account == bought_in[lot.acquire_tx_id]
