"""Transfers between the user's own accounts: matching, moved lots, network fees, and what stays unmatched."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from tests.engine.helpers import at, buy, codes, deposit, lots, rows, run, sell, withdrawal

TRANSFER_THEN_SALE = [
    buy("2024-01-01", "BTC", "1", "30000", account="exchange"),
    withdrawal("2024-06-01 10:00", "BTC", "1", account="exchange", fair_value="60000"),
    deposit("2024-06-01 10:30", "BTC", "0.999", account="wallet"),
    sell("2025-02-01", "BTC", "0.999", "99900", account="wallet"),
]


@pytest.mark.parametrize("pool", ["per_account", "auto", "universal"])
def test_transfer_then_sale_keeps_date_and_basis_and_the_network_fee_is_a_transfer_fee(pool):
    result = run(*TRANSFER_THEN_SALE, pool=pool)
    assert rows(result) == [
        ("BTC", "0.001", "2024-01-01", "2024-06-01", "60", "30", "30", "short", "transfer_fee"),
        ("BTC", "0.999", "2024-01-01", "2025-02-01", "99900", "29970", "69930", "long", "sale"),
    ]
    assert [d.account for d in result.disposals] == ["exchange", "wallet"]
    assert [(t.withdrawal_tx_id, t.deposit_tx_id, t.asset, t.amount_sent, t.amount_received, t.from_account,
             t.to_account, t.fee) for t in result.transfers] == [
        (2, 3, "BTC", D(1), D("0.999"), "exchange", "wallet", D("0.001"))]
    assert result.holdings == ()
    assert result.warnings == ()  # the matched deposit is not also a deposit of unknown origin


def test_fee_legs_on_a_withdrawal():
    prices = {("ETH", "USD"): D(2000)}
    result = run(
        buy("2024-01-01", "BTC", "1", "30000"),
        buy("2024-01-01", "ETH", "1", "1000"),
        buy("2024-01-01", "USDT", "100", "100"),
        withdrawal("2024-06-01 10:00", "BTC", "0.5", fair_value="30000", fee=("0.0005", "BTC")),  # same coin
        deposit("2024-06-01 10:10", "BTC", "0.5"),
        withdrawal("2024-06-02 10:00", "USDT", "100", fee=("0.001", "ETH")),  # gas in another coin
        deposit("2024-06-02 10:10", "USDT", "100"),
        pool="per_account", price=lambda asset, currency, when, account=None: prices.get((asset, currency)))
    assert rows(result) == [
        ("BTC", "0.0005", "2024-01-01", "2024-06-01", "30", "15", "15", "short", "transfer_fee"),
        ("ETH", "0.001", "2024-01-01", "2024-06-02", "2", "1", "1", "short", "transfer_fee"),
    ]
    assert lots(result) == [
        ("BTC", "0.4995", "2024-01-01", "14985", "a"), ("BTC", "0.5", "2024-01-01", "15000", "b"),
        ("ETH", "0.999", "2024-01-01", "999", "a"), ("USDT", "100", "2024-01-01", "100", "b")]
    assert result.warnings == ()


def test_unmatched_withdrawal_and_deposit_are_warnings():
    result = run(
        buy("2024-01-01", "BTC", "1", "100", account="a"),
        withdrawal("2024-02-01", "BTC", "0.4", account="a"),
        deposit("2024-03-01", "ETH", "2", account="b"),
        sell("2024-04-01", "ETH", "1", "3000", account="b"),
        pool="per_account")
    assert codes(result) == ["unmatched_withdrawal", "unknown_origin"]
    left, arrived = result.warnings
    assert (left.tx_ids, left.account, left.asset, left.amount) == ((2,), "a", "BTC", D("0.4"))
    assert (arrived.tx_ids, arrived.account, arrived.asset, arrived.amount) == ((3,), "b", "ETH", D(2))
    assert "0.4 BTC" in left.message and "transaction 2" in left.message
    assert rows(result) == [("ETH", "1", "2024-03-01", "2024-04-01", "3000", "0", "3000", "short", "sale")]
    assert result.disposals[0].basis_missing  # never a silent zero
    assert lots(result) == [("BTC", "0.6", "2024-01-01", "60", "a"), ("ETH", "1", "2024-03-01", "0", "b")]
    assert [lot.basis_missing for lot in result.holdings] == [False, True]


@pytest.mark.parametrize(("arrives", "transfers", "warnings"), [
    ("2024-06-01 10:00", 1, []),
    ("2024-06-02 10:00:00", 1, []),  # 24 hours later: still in the window
    ("2024-06-02 10:00:01", 0, ["unmatched_withdrawal", "unknown_origin"]),
    ("2024-06-01 09:59:59", 0, ["unknown_origin", "unmatched_withdrawal"]),  # before it, and no shared hash
])
def test_transfer_window(arrives, transfers, warnings):
    result = run(buy("2024-01-01", "BTC", "1", "100"), withdrawal("2024-06-01 10:00", "BTC", "1"),
                 deposit(arrives, "BTC", "1"), pool="per_account")
    assert len(result.transfers) == transfers
    assert codes(result) == warnings


@pytest.mark.parametrize("deposit_tx", [
    deposit("2024-06-01 11:00", "BTC", "1.0001"),  # more than was sent
    deposit("2024-06-01 11:00", "BTC", "1", account="a"),  # the same account
    deposit("2024-06-01 11:00", "ETH", "1"),  # another asset
    deposit("2024-06-01 11:00", "BTC", "1", tx_hash="0xother"),  # both hashes known and different
])
def test_what_does_not_match(deposit_tx):
    result = run(buy("2024-01-01", "BTC", "1", "100"), buy("2024-01-01", "ETH", "1", "100"),
                 withdrawal("2024-06-01 10:00", "BTC", "1", tx_hash="0xmine"), deposit_tx)
    assert result.transfers == ()


def test_a_shared_hash_matches_outside_the_window_and_even_slightly_before():
    result = run(
        buy("2024-01-01", "BTC", "2", "200"),
        withdrawal("2024-06-01 10:00", "BTC", "1", tx_hash="0xlate"),
        deposit("2024-06-05 10:00", "BTC", "1", tx_hash="0xlate"),  # days later
        withdrawal("2024-07-01 10:00", "BTC", "1", tx_hash="0xskew"),
        deposit("2024-07-01 09:59", "BTC", "1", tx_hash="0xskew"),  # the other exchange's clock is behind
        pool="per_account")
    assert [(t.withdrawal_tx_id, t.deposit_tx_id) for t in result.transfers] == [(2, 3), (4, 5)]
    assert result.warnings == ()
    assert lots(result) == [("BTC", "1", "2024-01-01", "100", "b"), ("BTC", "1", "2024-01-01", "100", "b")]


def test_deposit_at_the_same_timestamp_as_its_withdrawal():
    result = run(buy("2024-01-01", "BTC", "1", "100"), withdrawal("2024-06-01 10:00", "BTC", "1"),
                 deposit("2024-06-01 10:00", "BTC", "1"), pool="per_account")
    assert result.warnings == ()
    assert lots(result) == [("BTC", "1", "2024-01-01", "100", "b")]


def test_closest_in_time_then_closest_amount():
    by_time = run(buy("2024-01-01", "BTC", "1", "100"), withdrawal("2024-06-01 10:00", "BTC", "1"),
                  deposit("2024-06-01 11:00", "BTC", "0.9"), deposit("2024-06-01 12:00", "BTC", "0.99"))
    assert [(t.withdrawal_tx_id, t.deposit_tx_id) for t in by_time.transfers] == [(2, 3)]
    by_amount = run(buy("2024-01-01", "BTC", "1", "100"), withdrawal("2024-06-01 10:00", "BTC", "1"),
                    deposit("2024-06-01 11:00", "BTC", "0.9"), deposit("2024-06-01 11:00", "BTC", "0.99"))
    assert [(t.withdrawal_tx_id, t.deposit_tx_id) for t in by_amount.transfers] == [(2, 4)]


def test_overlapping_transfers_of_one_asset_all_match():
    # The big withdrawal's closest deposit belongs to the small one that followed; taking it would leave the
    # small withdrawal and the big deposit unmatched.
    result = run(
        buy("2024-01-01", "ETH", "10", "10000"),
        withdrawal("2024-03-09 20:00", "ETH", "5", fair_value="10000"),
        withdrawal("2024-03-09 20:10", "ETH", "1", fair_value="2000"),
        deposit("2024-03-09 20:20", "ETH", "0.999"),
        deposit("2024-03-09 21:00", "ETH", "4.999"),
        pool="per_account")
    assert sorted((t.withdrawal_tx_id, t.deposit_tx_id) for t in result.transfers) == [(2, 5), (3, 4)]
    assert result.warnings == ()


def test_a_transfer_in_transit_at_the_end_is_no_warning():
    ledger = [buy("2024-06-01", "BTC", "1", "100"), withdrawal("2024-12-31 23:00", "BTC", "1"),
              deposit("2025-01-01 01:00", "BTC", "1")]
    result = run(*ledger, until=at("2025-01-01"), pool="per_account")
    assert result.warnings == ()
    assert [(t.withdrawal_tx_id, t.deposit_tx_id) for t in result.transfers] == [(2, 3)]
    assert lots(result) == [("BTC", "1", "2024-06-01", "100", "b")]  # counted where it is going


def test_moving_more_than_the_account_holds():
    result = run(buy("2024-01-01", "BTC", "1", "100"), withdrawal("2024-06-01 10:00", "BTC", "1.5"),
                 deposit("2024-06-01 10:30", "BTC", "1.5"), pool="per_account")
    assert codes(result) == ["oversold"]
    assert (result.warnings[0].amount, result.warnings[0].account) == (D("0.5"), "a")
    assert lots(result) == [("BTC", "1", "2024-01-01", "100", "b"), ("BTC", "0.5", "2024-06-01", "0", "b")]
    assert [lot.basis_missing for lot in result.holdings] == [False, True]
