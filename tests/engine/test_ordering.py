"""The processing order of a ledger (taxer.engine.ordering.ledger_order) whatever order the rows arrive in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from taxer.engine.ordering import _tie_key, ledger_order, micros, phase
from taxer.model import Kind, Leg, Transaction

START = datetime(2024, 1, 1, tzinfo=UTC)


@st.composite
def ledgers(draw) -> list[Transaction]:
    """Rows on a handful of instants (so many share one), some equal in everything but their content."""
    txs = []
    for n in range(draw(st.integers(0, 25))):
        at = START + timedelta(seconds=draw(st.integers(0, 3)))
        kind = draw(st.sampled_from([Kind.TRADE, Kind.INCOME, Kind.DEPOSIT, Kind.WITHDRAWAL, Kind.IGNORED]))
        coin = Leg(draw(st.sampled_from(["BTC", "ETH"])), Decimal(draw(st.integers(1, 3))))
        cash = Leg("USD", Decimal(draw(st.integers(1, 3))))
        sent, received = {Kind.TRADE: draw(st.sampled_from([(cash, coin), (coin, cash)])), Kind.INCOME: (None, coin),
                          Kind.DEPOSIT: (None, coin), Kind.WITHDRAWAL: (coin, None), Kind.IGNORED: (coin, None)}[kind]
        txs.append(Transaction(draw(st.sampled_from(["a", "b"])), at, kind, sent=sent, received=received,
                               source="s", external_id=draw(st.sampled_from(["", "x", "y"])), id=n + 1))
    return txs


def reference(txs: list[Transaction]) -> list[Transaction]:
    """The order as documented: timestamp, acquisitions first, account, source, external id, then content."""
    return sorted((tx for tx in txs if tx.kind is not Kind.IGNORED), key=lambda tx: (
        (micros(tx.timestamp), phase(tx), tx.account, tx.source, tx.external_id), _tie_key(tx)))


@settings(max_examples=200, deadline=None)
@given(ledgers(), st.randoms(use_true_random=False))
def test_the_order_is_the_same_from_any_arrival_order(txs, rng):
    shuffled = list(txs)
    rng.shuffle(shuffled)
    by_time = sorted(shuffled, key=lambda tx: tx.timestamp)  # as the ledger reads them: the fast path
    expected = reference(txs)
    for arrived in (shuffled, by_time):
        order, times = ledger_order(arrived)
        assert order == expected
        assert times == [micros(tx.timestamp) for tx in expected]
