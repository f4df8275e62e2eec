"""Pools: one universal pool per asset before 2025, per account from 2025 (auto), and the split between."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from taxer.countries import country
from tests.engine.helpers import at, buy, codes, deposit, lots, rows, run, sell, withdrawal


def tax_year_bounds(year: int, timezone: str = "UTC"):
    return country("us").bounds(year, timezone)

HISTORY = [
    buy("2024-01-01", "BTC", "1", "10000", account="a"),
    buy("2024-02-01", "BTC", "1", "20000", account="b"),
    sell("2024-03-01", "BTC", "0.5", "15000", account="b"),
    sell("2025-01-15", "BTC", "0.5", "20000", account="b"),
]


@pytest.mark.parametrize(("pool", "expected_rows", "expected_lots"), [
    ("auto",  # universal in 2024 (b's sale takes a's older lot); from 2025 b has only what it holds
     [("BTC", "0.5", "2024-01-01", "2024-03-01", "15000", "5000", "10000", "short", "sale"),
      ("BTC", "0.5", "2024-02-01", "2025-01-15", "20000", "10000", "10000", "short", "sale")],
     # at the split, accounts in name order take lots oldest first: a (holds 1) gets 0.5 + 0.5, b (holds 0.5)
     # the rest
     [("BTC", "0.5", "2024-01-01", "5000", "a"), ("BTC", "0.5", "2024-02-01", "10000", "a")]),
    ("universal",
     [("BTC", "0.5", "2024-01-01", "2024-03-01", "15000", "5000", "10000", "short", "sale"),
      ("BTC", "0.5", "2024-01-01", "2025-01-15", "20000", "5000", "15000", "long", "sale")],
     [("BTC", "1", "2024-02-01", "20000", "b")]),
    ("per_account",
     [("BTC", "0.5", "2024-02-01", "2024-03-01", "15000", "10000", "5000", "short", "sale"),
      ("BTC", "0.5", "2024-02-01", "2025-01-15", "20000", "10000", "10000", "short", "sale")],
     [("BTC", "1", "2024-01-01", "10000", "a")]),
])
def test_pool_modes(pool, expected_rows, expected_lots):
    result = run(*HISTORY, pool=pool)
    assert rows(result) == expected_rows
    assert [d.account for d in result.disposals] == ["b", "b"]
    assert lots(result) == expected_lots
    assert result.warnings == ()


def test_split_with_lots_no_balance_accounts_for():
    result = run(
        sell("2024-01-01", "BTC", "0.5", "5000", account="a"),  # oversold: the balance goes to -0.5
        buy("2024-02-01", "BTC", "1", "20000", account="a"),  # the pool holds 1, the account 0.5
        buy("2025-01-10", "ETH", "1", "3000", account="a"))
    assert codes(result) == ["oversold", "pool_allocation"]
    warning = result.warnings[1]
    assert (warning.asset, warning.amount, warning.account) == ("BTC", D("0.5"), None)
    assert "2025-01-01 00:00 UTC" in warning.message
    assert "stay with the accounts that acquired them" in warning.message
    assert lots(result) == [("BTC", "0.5", "2024-02-01", "10000", "a"),
                            ("BTC", "0.5", "2024-02-01", "10000", "a"),
                            ("ETH", "1", "2025-01-10", "3000", "a")]


def test_split_with_an_account_left_short():
    result = run(
        buy("2024-01-01", "BTC", "1", "10000", account="a"),
        sell("2024-02-01", "BTC", "1", "15000", account="b"),  # fine in one universal pool; b's balance is -1
        sell("2025-01-10", "BTC", "0.5", "8000", account="a"))
    assert codes(result) == ["pool_allocation", "oversold"]
    assert result.warnings[0].amount == D(1)
    assert "1 BTC held in account 'a' had no lot to take" in result.warnings[0].message
    assert [(d.basis_missing, str(d.cost_basis)) for d in result.disposals] == [(False, "10000"), (True, "0")]


def test_coins_in_transit_at_the_switch_go_to_their_destination():
    result = run(
        buy("2024-06-01", "BTC", "1", "10000", account="a"),
        withdrawal("2024-12-31 23:00", "BTC", "1", account="a", fair_value="40000"),
        deposit("2025-01-01 01:00", "BTC", "1", account="b"),
        sell("2025-01-02", "BTC", "1", "45000", account="b"))
    assert result.warnings == ()
    assert rows(result) == [
        ("BTC", "1", "2024-06-01", "2025-01-02", "45000", "10000", "35000", "short", "sale")]


def test_a_period_reaching_into_2025_ends_with_per_account_holdings():
    ledger = [buy("2024-06-01", "BTC", "1", "10000", account="a"),
              withdrawal("2024-07-01", "BTC", "1", account="a"),
              deposit("2024-07-01 00:10", "BTC", "1", account="b")]
    # Universal pool in 2024: the transfer moves nothing, the lot is listed where it was acquired.
    assert lots(run(*ledger, until=tax_year_bounds(2024)[1])) == [("BTC", "1", "2024-06-01", "10000", "a")]
    assert lots(run(*ledger, until=tax_year_bounds(2025)[1])) == [("BTC", "1", "2024-06-01", "10000", "b")]


def test_the_year_is_cut_in_the_taxpayers_time_zone():
    # 2024-12-31 23:30 UTC is 2025-01-01 08:30 in Tokyo: a 2025 disposal there (lifo, per-account pool).
    ledger = [
        buy("2024-06-01", "BTC", "1", "10000", account="b"),
        buy("2024-07-01", "BTC", "1", "20000", account="a"),
        buy("2024-08-01", "BTC", "1", "30000", account="a"),
        sell("2024-12-31 23:30", "BTC", "1", "50000", account="a"),
    ]
    utc = run(*ledger, method_by_year={2025: "lifo"})
    tokyo = run(*ledger, method_by_year={2025: "lifo"}, timezone="Asia/Tokyo")
    # UTC: 2024, fifo, one universal pool: b's lot is the oldest.
    assert [(d.method, str(d.disposed_date), str(d.acquired_date), d.cost_basis) for d in utc.disposals] == [
        ("fifo", "2024-12-31", "2024-06-01", D(10000))]
    # Tokyo: 2025, lifo, a's own pool. The split keeps each lot in the account whose history holds it (Treas.
    # Reg. 1.1012-1(j), Rev. Proc. 2024-28): a bought the 07-01 and 08-01 coins, b the 06-01 one; lifo in a sells
    # the 08-01 lot (basis 30,000). (Before: a, first by name, was given the two oldest lots, b's 06-01 among them.)
    assert [(d.method, str(d.disposed_date), str(d.acquired_date), d.cost_basis)
            for d in tokyo.disposals] == [
        ("lifo", "2025-01-01", "2024-08-01", D(30000))]
    assert lots(tokyo) == [("BTC", "1", "2024-07-01", "20000", "a"), ("BTC", "1", "2024-06-01", "10000", "b")]
    start, end = tax_year_bounds(2025, "Asia/Tokyo")
    assert start <= at("2024-12-31 23:30") < end
