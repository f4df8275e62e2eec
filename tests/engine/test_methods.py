"""The four accounting methods on one small history, each with its own hand-computed result."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from tests.engine.helpers import buy, lots, rows, run, sell

# Three lots at unit costs 10000, 30000, 20000; 1.5 BTC sold on 2024-03-05, before lot C's anniversary
# (2024-03-10).
HISTORY = [
    buy("2023-01-10", "BTC", "1", "10000"),  # A
    buy("2023-02-10", "BTC", "1", "30000"),  # B
    buy("2023-03-10", "BTC", "1", "20000"),  # C
    sell("2024-03-05", "BTC", "1.5", "60000"),
]


@pytest.mark.parametrize(("method", "expected_rows", "expected_lots"), [
    ("fifo",
     [("BTC", "1", "2023-01-10", "2024-03-05", "40000", "10000", "30000", "long", "sale"),
      ("BTC", "0.5", "2023-02-10", "2024-03-05", "20000", "15000", "5000", "long", "sale")],
     [("BTC", "0.5", "2023-02-10", "15000", "a"), ("BTC", "1", "2023-03-10", "20000", "a")]),
    ("lifo",
     [("BTC", "1", "2023-03-10", "2024-03-05", "40000", "20000", "20000", "short", "sale"),
      ("BTC", "0.5", "2023-02-10", "2024-03-05", "20000", "15000", "5000", "long", "sale")],
     [("BTC", "1", "2023-01-10", "10000", "a"), ("BTC", "0.5", "2023-02-10", "15000", "a")]),
    ("hifo",
     [("BTC", "1", "2023-02-10", "2024-03-05", "40000", "30000", "10000", "long", "sale"),
      ("BTC", "0.5", "2023-03-10", "2024-03-05", "20000", "10000", "10000", "short", "sale")],
     [("BTC", "1", "2023-01-10", "10000", "a"), ("BTC", "0.5", "2023-03-10", "10000", "a")]),
    ("average",  # 60000 / 3 = 20000 a coin; the pieces leave oldest first for their dates
     [("BTC", "1", "2023-01-10", "2024-03-05", "40000", "20000", "20000", "long", "sale"),
      ("BTC", "0.5", "2023-02-10", "2024-03-05", "20000", "10000", "10000", "long", "sale")],
     [("BTC", "0.5", "2023-02-10", "10000", "a"), ("BTC", "1", "2023-03-10", "20000", "a")]),
])
def test_each_method_on_the_same_history(method, expected_rows, expected_lots):
    result = run(*HISTORY, method=method)
    assert rows(result) == expected_rows
    assert lots(result) == expected_lots
    assert {d.method for d in result.disposals} == {method}


def test_hifo_ranks_by_unit_cost_including_fees_then_age():
    result = run(
        buy("2024-01-01", "BTC", "1", "20000"),  # 20000 a coin
        buy("2024-01-02", "BTC", "1", "19990", fee="20"),  # 20010 a coin with its fee: the highest
        buy("2024-01-03", "BTC", "1", "20000"),  # ties with the first: the older goes first
        sell("2024-02-01", "BTC", "2.5", "50000"), method="hifo")
    assert [(str(d.acquired_date), d.cost_basis) for d in result.disposals] == [
        ("2024-01-02", D(20010)), ("2024-01-01", D(20000)), ("2024-01-03", D(10000))]


def test_method_by_year_switches_the_method_of_that_years_disposals():
    result = run(
        buy("2023-01-10", "BTC", "1", "10000"),
        buy("2023-02-10", "BTC", "1", "30000"),
        sell("2023-06-01", "BTC", "0.5", "10000"),  # fifo: half of the first lot
        sell("2024-06-01", "BTC", "0.5", "15000"),  # lifo in 2024: half of the second lot
        buy("2025-01-05", "BTC", "1", "50000"),
        sell("2025-02-01", "BTC", "0.5", "30000"),  # fifo again: the rest of the first lot
        method="fifo", method_by_year={2024: "lifo"}, pool="universal")
    assert [(d.method, str(d.acquired_date), d.cost_basis) for d in result.disposals] == [
        ("fifo", "2023-01-10", D(5000)), ("lifo", "2023-02-10", D(15000)), ("fifo", "2023-01-10", D(5000))]


def test_leaving_average_cost_keeps_the_averaged_basis():
    result = run(
        buy("2023-01-10", "BTC", "1", "10000"),
        buy("2023-02-10", "BTC", "1", "30000"),
        sell("2023-06-01", "BTC", "1", "25000"),  # average: 20000, the piece dated from the oldest lot
        sell("2024-06-01", "BTC", "1", "25000"),  # fifo from 2024: the lot left carries the average, 20000
        method="average", method_by_year={2024: "fifo"}, pool="universal")
    assert [(d.method, str(d.acquired_date), d.cost_basis) for d in result.disposals] == [
        ("average", "2023-01-10", D(20000)), ("fifo", "2023-02-10", D(20000))]


def test_average_cost_tracks_the_pool_between_disposals():
    result = run(
        buy("2024-01-01", "ETH", "1", "1000"),
        buy("2024-01-02", "ETH", "1", "3000"),
        sell("2024-01-03", "ETH", "1", "2500"),  # average 2000
        buy("2024-01-04", "ETH", "2", "8000"),  # pool: 1 ETH at 2000 + 2 ETH at 8000 -> 3 ETH, 10000
        sell("2024-01-05", "ETH", "1.5", "6000"),  # 1.5 x 10000 / 3 = 5000
        method="average")
    assert [d.cost_basis for d in result.disposals] == [
        D(2000), D("3333.333333333333333333333333333333"), D("1666.666666666666666666666666666667")]
    assert sum(lot.cost_basis for lot in result.holdings) == 5000
    assert lots(result) == [("ETH", "1.5", "2024-01-04", "5000", "a")]


def test_unknown_basis_taints_an_average_pool():
    from tests.engine.helpers import deposit
    result = run(buy("2024-01-01", "ETH", "1", "1000"), deposit("2024-01-02", "ETH", "1", account="a"),
                 sell("2024-01-03", "ETH", "0.5", "1000"), method="average", pool="per_account")
    assert [(d.cost_basis, d.basis_missing) for d in result.disposals] == [(D(250), True)]
