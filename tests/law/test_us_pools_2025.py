"""US basis per wallet or account from 2025 (Treas. Reg. 1.1012-1(j), Rev. Proc. 2024-28): each lot stays in the
account whose history holds it on 1 January 2025, unless a safe-harbor allocation is elected."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from taxer.engine import EngineSettings, compute
from taxer.engine.allocation import SNAPSHOT_HEADER, SafeHarbor, SpecificUnits, snapshot_rows
from taxer.errors import ConfigError
from tests.engine.helpers import _s, buy, deposit, numbered, sell, withdrawal

D = Decimal


def run(*txs, **settings):
    return compute(numbered(txs), EngineSettings(**settings))


def sales(result):
    return [(d.account, str(d.acquired_date), str(d.disposed_date), _s(d.cost_basis), _s(d.gain), d.term)
            for d in result.disposals]


def held(result):
    return [(lot.account, lot.acquired_at.date().isoformat(), _s(lot.amount), _s(lot.cost_basis))
            for lot in result.allocation_2025]


def test_a_2020_lot_stays_in_its_account_and_its_sale_stays_long_term():
    # "zeta" bought 1 BTC on 2020-03-01 for 8,000; "alpha" 1 BTC on 2024-06-01 for 60,000. On 1 January 2025 each
    # account holds its own coin. zeta sells 1 BTC on 2025-03-01 for 90,000: its 2020 coin, held more than a year:
    # long-term gain 90,000 - 8,000 = 82,000. (Before: accounts took lots in name order, alpha the 2020 lot, and
    # zeta's sale became short-term on the 2024 lot: gain 30,000.)
    result = run(buy("2020-03-01", "BTC", "1", "8000", account="zeta"),
                 buy("2024-06-01", "BTC", "1", "60000", account="alpha"),
                 sell("2025-03-01", "BTC", "1", "90000", account="zeta"))
    assert sales(result) == [("zeta", "2020-03-01", "2025-03-01", "8000", "82000", "long")]
    assert held(result) == [("alpha", "2024-06-01", "1", "60000"), ("zeta", "2020-03-01", "1", "8000")]


def test_lots_follow_transfers_into_the_account_that_holds_them():
    # exchange buys 1 BTC on 2020-03-01 (8,000) and moves it to wallet on 2023-05-01; exchange buys another on
    # 2024-06-01 (60,000). On 1 January 2025 wallet holds the 2020 coin, exchange the 2024 one. exchange sells on
    # 2025-03-01 for 90,000: basis 60,000, held 2024-06-01 to 2025-03-01, not more than a year: short, 30,000.
    # (Before: exchange, first by name, was given the 2020 lot: long-term 82,000.)
    result = run(buy("2020-03-01", "BTC", "1", "8000", account="exchange"),
                 withdrawal("2023-05-01 10:00", "BTC", "1", account="exchange"),
                 deposit("2023-05-01 11:00", "BTC", "1", account="wallet"),
                 buy("2024-06-01", "BTC", "1", "60000", account="exchange"),
                 sell("2025-03-01", "BTC", "1", "90000", account="exchange"))
    assert sales(result) == [("exchange", "2024-06-01", "2025-03-01", "60000", "30000", "short")]
    assert held(result) == [("exchange", "2024-06-01", "1", "60000"), ("wallet", "2020-03-01", "1", "8000")]


def test_what_history_cannot_place_goes_where_units_are_left():
    # Universal FIFO in 2023: wallet's sale of 1 BTC used exchange's 2020 lot (8,000). The pool keeps wallet's 2022
    # lot (30,000), while the coin still in an account is exchange's: history cannot match lot and account, so
    # the remaining lot goes to the only account holding a coin, without a warning (no basis is lost or made up).
    result = run(buy("2020-03-01", "BTC", "1", "8000", account="exchange"),
                 buy("2022-03-01", "BTC", "1", "30000", account="wallet"),
                 sell("2023-03-01", "BTC", "1", "25000", account="wallet"),
                 sell("2025-06-01", "BTC", "1", "40000", account="exchange"))
    assert sales(result) == [("wallet", "2020-03-01", "2023-03-01", "8000", "17000", "long"),
                             ("exchange", "2022-03-01", "2025-06-01", "30000", "10000", "long")]
    assert [w.code for w in result.warnings] == []


def ledger():
    # tx 1: a 1 BTC 2020 at 8,000; tx 2: b 1 BTC 2021 at 50,000; tx 3: a 1 BTC 2024 at 60,000.
    return (buy("2020-03-01", "BTC", "1", "8000", account="a"),
            buy("2021-03-01", "BTC", "1", "50000", account="b"),
            buy("2024-03-01", "BTC", "1", "60000", account="a"),
            sell("2025-03-10", "BTC", "1", "70000", account="b"))


def test_safe_harbor_specific_units():
    # Rev. Proc. 2024-28 s5.02: the taxpayer allocates specific units: b holds the units of tx 1 (the 2020 lot),
    # a those of tx 2 and tx 3. b's 2025 sale: basis 8,000, long, gain 62,000.
    election = SafeHarbor(units=(SpecificUnits("b", "BTC", 1, D(1)), SpecificUnits("a", "BTC", 2, D(1)),
                                 SpecificUnits("a", "BTC", 3, D(1))), recorded_on=date(2025, 1, 2))
    result = run(*ledger(), allocation_2025=election)
    assert sales(result) == [("b", "2020-03-01", "2025-03-10", "8000", "62000", "long")]
    assert held(result) == [("a", "2021-03-01", "1", "50000"), ("a", "2024-03-01", "1", "60000"),
                            ("b", "2020-03-01", "1", "8000")]
    assert [w.code for w in result.warnings] == []


def test_safe_harbor_units_not_named_are_placed_by_history():
    # The election names only b's unit (tx 1's lot); a's two units are not named: history places them (a bought
    # tx 3's lot; tx 2's lot, b's own, is the one left): a holds the 2021 and 2024 lots.
    election = SafeHarbor(units=(SpecificUnits("b", "BTC", 1, D(1)),))
    result = run(*ledger(), allocation_2025=election)
    assert held(result) == [("a", "2021-03-01", "1", "50000"), ("a", "2024-03-01", "1", "60000"),
                            ("b", "2020-03-01", "1", "8000")]


def test_safe_harbor_global_rule_highest_cost_first():
    # Global allocation: lots by highest unit cost (60,000, 50,000, 8,000) fill b first (1 unit), then a (2):
    # b gets the 2024 lot at 60,000; its sale on 2025-03-10 (held from 2024-03-01, more than a year): long, 10,000.
    election = SafeHarbor(rule="highest_cost_first", account_order=("b", "a"))
    result = run(*ledger(), allocation_2025=election)
    assert sales(result) == [("b", "2024-03-01", "2025-03-10", "60000", "10000", "long")]


def test_a_late_election_is_applied_with_a_warning():
    # s5.02(4): the allocation must precede the first 2025 disposal (2025-03-10); recorded 2025-04-01: warned.
    election = SafeHarbor(rule="oldest_first", recorded_on=date(2025, 4, 1))
    result = run(*ledger(), allocation_2025=election)
    assert [w.code for w in result.warnings] == ["safe_harbor_late"]
    # oldest first, accounts in name order: a (2 units) the 2020 and 2021 lots, b the 2024 lot (60,000).
    assert sales(result) == [("b", "2024-03-01", "2025-03-10", "60000", "10000", "long")]


def test_an_election_is_one_kind_or_the_other():
    with pytest.raises(ConfigError, match="Rev. Proc. 2024-28"):
        SafeHarbor()
    with pytest.raises(ConfigError, match="unknown safe-harbor rule"):
        SafeHarbor(rule="lifo")


def test_the_31_december_2024_snapshot_rows():
    # What allocation_2025.csv lists: each account's lot portions at the switch, exact amounts and basis.
    result = run(*ledger())
    assert SNAPSHOT_HEADER == ("account", "asset", "amount", "date_acquired", "cost_basis", "acquisition_tx_id",
                               "flags")
    assert snapshot_rows(result.allocation_2025) == [
        ("a", "BTC", "1", "2020-03-01", "8000", "1", ""), ("a", "BTC", "1", "2024-03-01", "60000", "3", ""),
        ("b", "BTC", "1", "2021-03-01", "50000", "2", "")]
    # Dates in the taxpayer's zone: bought at 00:00 UTC, that is the evening before in New York.
    assert snapshot_rows(result.allocation_2025, "America/New_York")[0][3] == "2020-02-29"
