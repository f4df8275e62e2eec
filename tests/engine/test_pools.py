"""Pool: lots leave in method order whatever order they arrive in; splits keep the basis exact."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D
from decimal import localcontext

import pytest

from taxer.engine.exact import EXACT
from taxer.engine.methods import METHODS
from taxer.engine.pools import OpenLot, Pool

ARRIVALS = [  # (day acquired, amount, cost): added in this order, which is not the acquisition order
    (5, "1", "500"), (1, "1", "100"), (9, "1", "900"), (3, "1", "300"), (7, "1", "200"),
]


def lot(day: int, amount: str, cost: str, seq: int) -> OpenLot:
    when = datetime(2024, 1, day, tzinfo=UTC)
    return OpenLot("BTC", D(amount), D(cost), when, date(2024, 1, day), day * 86_400_000_000, seq, "a", seq,
                   False)


@pytest.mark.parametrize(("method", "days"), [
    ("fifo", [1, 3, 5, 7, 9]), ("lifo", [9, 7, 5, 3, 1]), ("hifo", [9, 5, 3, 7, 1]),
    ("average", [1, 3, 5, 7, 9]),
])
def test_lots_leave_in_method_order(method, days):
    pool = Pool(METHODS[method])
    for seq, (day, amount, cost) in enumerate(ARRIVALS):
        pool.add(lot(day, amount, cost, seq))
    taken = [pool.take(D(1))[0][0].acquired_date.day for _ in days]
    assert taken == days
    assert not pool and pool.amount == 0 and pool.basis == 0


def test_take_splits_a_lot_and_reports_the_shortfall():
    with localcontext(EXACT):  # as compute() runs it
        pool = Pool(METHODS["fifo"])
        pool.add(lot(1, "3", "100", 0))
        taken, short = pool.take(D(1))
        assert [(t.amount, t.cost) for t in taken] == [(D(1), D("33.33333333333333333333333333333333"))]
        taken, short = pool.take(D("2.5"))
        assert [(t.amount, t.cost) for t in taken] == [(D(2), D("66.66666666666666666666666666666667"))]
        assert short == D("0.5")


def test_switching_method_reorders_once():
    pool = Pool(METHODS["fifo"])
    for seq, (day, amount, cost) in enumerate(ARRIVALS):
        pool.add(lot(day, amount, cost, seq))
    pool.use(METHODS["hifo"])
    assert [pool.take(D(1))[0][0].acquired_date.day for _ in range(2)] == [9, 5]
    pool.use(METHODS["lifo"])
    assert [pool.take(D(1))[0][0].acquired_date.day for _ in range(3)] == [7, 3, 1]
