"""UK matching (same day, 30 days, Section 104 pool): hand-checked tables, the numbers worked out in the comments."""

from __future__ import annotations

from decimal import Decimal, localcontext

from hypothesis import given, settings
from hypothesis import strategies as st

from taxer.countries import country
from taxer.engine import compute
from taxer.engine.exact import EXACT
from taxer.model import Kind, Leg, Transaction
from tests.engine.helpers import _s, at, buy, codes, numbered, sell

UK = country("uk")
GBP = {"currency": "GBP"}


def run_uk(*txs, year: int | None = None):
    settings = UK.settings()
    if year is None:
        return compute(numbered(txs), settings)
    start, end = UK.bounds(year, settings.timezone)
    return compute(numbered(txs), settings, until=end, keep_from=start)


def rows(result):
    """(disposed date, amount, rule, proceeds, allowable costs, gain) per piece."""
    return [(str(d.disposed_date), _s(d.amount), d.rule, _s(d.proceeds), _s(d.cost_basis), _s(d.gain))
            for d in result.disposals]


def pool(result):
    return [(lot.asset, _s(lot.amount), _s(lot.cost_basis)) for lot in result.holdings]


def staking(when: str, asset: str, amount: str, value: str) -> Transaction:
    return Transaction(account="a", timestamp=at(when), kind=Kind.INCOME, received=Leg(asset, Decimal(amount)),
                       fair_value=Decimal(value), fair_value_currency="GBP", label="staking")


def test_same_day_rule_comes_before_the_30_day_rule():
    # The 10 June buy is taken by the 10 June sale (same day) although the 5 June sale could have matched it
    # under the 30-day rule; the 5 June sale matches the 20 June buy instead. The pool is left untouched.
    result = run_uk(
        buy("2024-01-01 10:00", "BTC", "10", "1000", **GBP),
        sell("2024-06-05 10:00", "BTC", "4", "1800", **GBP),
        sell("2024-06-10 10:00", "BTC", "4", "2000", **GBP),
        buy("2024-06-10 15:00", "BTC", "4", "1200", **GBP),
        buy("2024-06-20 10:00", "BTC", "4", "1600", **GBP),
    )
    assert rows(result) == [
        ("2024-06-05", "4", "thirty_day", "1800", "1600", "200"),
        ("2024-06-10", "4", "same_day", "2000", "1200", "800"),
    ]
    assert pool(result) == [("BTC", "10", "1000")]


def test_30_day_rule_reaches_day_30_and_not_day_31():
    # Sold 1 May: the 31 May buy is day 30 (matched), the 1 June buy day 31 (not: it joins the pool).
    # Pool piece: 1 of 10 BTC costing 1000 = 100. Pool after: 9 BTC 900 + 1 BTC 400 = 10 BTC 1300.
    result = run_uk(
        buy("2024-01-01 10:00", "BTC", "10", "1000", **GBP),
        sell("2024-05-01 10:00", "BTC", "2", "600", **GBP),
        buy("2024-05-31 10:00", "BTC", "1", "250", **GBP),
        buy("2024-06-01 10:00", "BTC", "1", "400", **GBP),
    )
    assert rows(result) == [
        ("2024-05-01", "1", "thirty_day", "300", "250", "50"),
        ("2024-05-01", "1", "pool", "300", "100", "200"),
    ]
    assert pool(result) == [("BTC", "10", "1300")]


def test_a_trade_at_2330_utc_on_5_april_in_summer_time_is_in_the_next_tax_year():
    # 2025-04-05 23:30 UTC is 00:30 on 6 April in London (BST, UTC+1): tax year 2025/26, UK date 6 April.
    txs = (buy("2024-05-01 10:00", "ETH", "2", "4000", **GBP),
           sell("2025-04-05 23:30", "ETH", "1", "2500", **GBP))
    assert rows(run_uk(*txs, year=2024)) == []
    assert rows(run_uk(*txs, year=2025)) == [("2025-04-06", "1", "pool", "2500", "2000", "500")]
    start, end = UK.bounds(2024, "Europe/London")
    assert (start, end) == (at("2024-04-05 23:00"), at("2025-04-05 23:00"))
    assert UK.label(2024) == "2024/25"


def test_pool_after_partial_disposals():
    # Pool 3 ETH 3000 + 1 ETH 2000 = 4 ETH 5000 (1250 each). Sell 1: cost 1250 -> 3 ETH 3750.
    # Buy 2 for 2250 (44 days later: no 30-day match) -> 5 ETH 6000 (1200 each). Sell 2: cost 2400 -> 3 ETH 3600.
    result = run_uk(
        buy("2024-01-01 10:00", "ETH", "3", "3000", **GBP),
        buy("2024-02-01 10:00", "ETH", "1", "2000", **GBP),
        sell("2024-04-01 10:00", "ETH", "1", "1500", **GBP),
        buy("2024-05-15 10:00", "ETH", "2", "2250", **GBP),
        sell("2024-07-01 10:00", "ETH", "2", "3000", **GBP),
    )
    assert rows(result) == [
        ("2024-04-01", "1", "pool", "1500", "1250", "250"),
        ("2024-07-01", "2", "pool", "3000", "2400", "600"),
    ]
    assert pool(result) == [("ETH", "3", "3600")]


def test_income_enters_the_pool_and_the_matching_rules():
    # Staking of 1 ETH at 1000 joins 1 ETH bought at 2000: pool 2 ETH 3000; selling 1 costs 1500.
    # Staking of 0.5 ETH (1100) on the day of a sale of 0.5 ETH is a same-day match.
    result = run_uk(
        buy("2024-01-10 10:00", "ETH", "1", "2000", **GBP),
        staking("2024-03-01 10:00", "ETH", "1", "1000"),
        sell("2024-05-01 10:00", "ETH", "1", "2500", **GBP),
        sell("2024-06-01 09:00", "ETH", "0.5", "1200", **GBP),
        staking("2024-06-01 18:00", "ETH", "0.5", "1100"),
    )
    assert rows(result) == [
        ("2024-05-01", "1", "pool", "2500", "1500", "1000"),
        ("2024-06-01", "0.5", "same_day", "1200", "1100", "100"),
    ]
    assert [(i.asset, _s(i.fair_value)) for i in result.income] == [("ETH", "1000"), ("ETH", "1100")]
    assert pool(result) == [("ETH", "1", "1500")]


def test_proceeds_are_gross_and_fees_are_allowable_costs():
    # Bought for 100 + 5 fee; sold for 500 with a 10 fee: proceeds 500, allowable costs 105 + 10 = 115.
    result = run_uk(buy("2024-05-01 10:00", "BTC", "1", "100", fee=("5", "GBP"), **GBP),
                    sell("2024-08-01 10:00", "BTC", "1", "500", fee=("10", "GBP"), **GBP))
    assert rows(result) == [("2024-08-01", "1", "pool", "500", "115", "385")]


def test_one_days_disposals_are_one_disposal_shared_pro_rata():
    # Two sales on one UK day (3 + 1 BTC) and a buy of 2 that day: 2 of the 4 are same-day (cost 600 shared
    # 3:1 as 450 and 150), 2 come from the pool at 100 each (shared 150 and 50).
    result = run_uk(
        buy("2024-01-01 10:00", "BTC", "10", "1000", **GBP),
        sell("2024-09-01 08:00", "BTC", "3", "900", **GBP),
        buy("2024-09-01 12:00", "BTC", "2", "600", **GBP),
        sell("2024-09-01 20:00", "BTC", "1", "400", **GBP),
    )
    assert rows(result) == [
        ("2024-09-01", "1.5", "same_day", "450", "450", "0"),
        ("2024-09-01", "1.5", "pool", "450", "150", "300"),
        ("2024-09-01", "0.5", "same_day", "200", "150", "50"),
        ("2024-09-01", "0.5", "pool", "200", "50", "150"),
    ]
    assert pool(result) == [("BTC", "8", "800")]


def test_selling_more_than_held_warns_as_under_lot_methods():
    result = run_uk(buy("2024-05-01 10:00", "BTC", "1", "100", **GBP),
                    sell("2024-06-01 10:00", "BTC", "3", "900", **GBP))
    assert codes(result) == ["oversold"]
    assert rows(result) == [("2024-06-01", "1", "pool", "300", "100", "200"),
                            ("2024-06-01", "2", "pool", "600", "0", "600")]
    assert [d.basis_missing for d in result.disposals] == [False, True]


AMOUNTS = st.integers(min_value=1, max_value=50).map(lambda n: Decimal(n) / 10)
PRICES = st.integers(min_value=1, max_value=100_000).map(lambda n: Decimal(n) / 100)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 120), st.booleans(), AMOUNTS, PRICES, PRICES), min_size=1, max_size=25))
def test_proceeds_minus_costs_is_the_gain_in_every_total(events):
    """Property: per piece and summed, gross proceeds - allowable costs = gain; pieces add up to the sales."""
    txs, sold = [], Decimal(0)
    for day, is_sale, amount, value, fee in events:
        when = f"2024-{1 + day // 28:02d}-{1 + day % 28:02d} 12:00"
        if is_sale:
            txs.append(sell(when, "BTC", str(amount), str(value), fee=(str(fee), "GBP"), **GBP))
            sold += amount
        else:
            txs.append(buy(when, "BTC", str(amount), str(value), fee=(str(fee), "GBP"), **GBP))
    result = run_uk(*txs)
    sales = result.disposals
    with localcontext(EXACT):  # the engine's exact arithmetic: 28 digits would round the sums
        _check_totals(sales, sold)


def _check_totals(sales, sold):
    for d in sales:
        assert d.proceeds - d.cost_basis == d.gain
    assert sum((d.proceeds for d in sales), Decimal(0)) - sum((d.cost_basis for d in sales), Decimal(0)) \
        == sum((d.gain for d in sales), Decimal(0))
    assert sum((d.amount for d in sales), Decimal(0)) == sold


def test_30_day_match_reaches_into_the_next_tax_year():
    # Sold 20 March 2025 (2024/25), bought back 10 April 2025 (2025/26, day 21): matched under the 30-day rule in
    # the 2024/25 report. At the year end 8 of the 10 pooled BTC are held (2 were sold): cost 800.
    result = run_uk(buy("2024-05-01 10:00", "BTC", "10", "1000", **GBP),
                    sell("2025-03-20 10:00", "BTC", "2", "600", **GBP),
                    buy("2025-04-10 10:00", "BTC", "2", "500", **GBP), year=2024)
    assert rows(result) == [("2025-03-20", "2", "thirty_day", "600", "500", "100")]
    assert pool(result) == [("BTC", "8", "800")]
