"""Hand checks of rules reported right: holding periods across leap days, year cuts in a time zone, UK matching
with fees, Canada's superficial loss, Germany's one year, Australia's 12 months."""

from __future__ import annotations

from decimal import Decimal

import pytest

from taxer.countries import country
from taxer.engine import EngineSettings, compute
from tests.engine.helpers import at, numbered
from tests.law.ledger import buy, rows, run, sell, totals

D = Decimal


@pytest.mark.parametrize("sold, term", [("2025-02-28", "short"), ("2025-03-01", "long")])
def test_us_leap_day_acquisition(sold, term):
    # IRC 1222: long-term when held more than one year. Acquired 2024-02-29: the anniversary is taken as
    # 2025-02-28 (no Feb 29 in 2025; Rev. Rul. 66-7 counts from the day after acquisition), so a sale that day is
    # still short and 2025-03-01 is long.
    result = run("us", buy("2024-02-29 12:00", "BTC", "1", "50000", "USD"),
                 sell(f"{sold} 12:00", "BTC", "1", "60000", "USD"))
    assert [(str(d.acquired_date), d.term) for d in result.disposals] == [("2024-02-29", term)]


def test_us_year_is_cut_in_the_taxpayers_zone():
    # 2025-01-01 03:00 UTC is 2024-12-31 19:00 in Los Angeles: a 2024 sale there; in UTC a 2025 one.
    txs = numbered([buy("2024-06-01 12:00", "BTC", "1", "50000", "USD"),
                    sell("2025-01-01 03:00", "BTC", "1", "60000", "USD")])
    settings = country("us").settings(timezone="America/Los_Angeles")
    start, end = country("us").bounds(2024, "America/Los_Angeles")
    assert (start, end) == (at("2024-01-01 08:00"), at("2025-01-01 08:00"))
    result = compute(txs, settings, until=end, keep_from=start)
    assert [(str(d.disposed_date), d.gain) for d in result.disposals] == [("2024-12-31", D(10000))]
    start, end = country("us").bounds(2024, "UTC")
    assert compute(txs, EngineSettings(), until=end, keep_from=start).disposals == ()


def test_uk_same_day_thirty_day_and_pool_with_fees():
    # Pool: 10 ETH for 10,000 + fee 100 = 10,100 (fees are allowable costs, TCGA s38(1)(a), (c)).
    # 1 June: sell 4 ETH for 8,000, fee 80; buy 1 ETH for 1,900 + 10. 20 June: buy 1 ETH for 2,100 + 20.
    # Matching (s105(1), s106A(5), s104): same day 1 ETH at 1,910; 30 days 1 ETH at 2,120; pool 2 ETH at
    # 2/10 x 10,100 = 2,020. Proceeds 8,000 and the fee 80 shared by quantity: 2,000 + 20, 2,000 + 20, 4,000 + 40.
    # Gains: 2,000 - 1,930 = 70; 2,000 - 2,140 = -140; 4,000 - 2,060 = 1,940. Net 1,870
    # (= 8,000 - 80 - 1,910 - 2,120 - 2,020).
    result = run("uk", buy("2024-05-01 12:00", "ETH", "10", "10000", "GBP", fee="100"),
                 sell("2024-06-01 12:00", "ETH", "4", "8000", "GBP", fee="80"),
                 buy("2024-06-01 13:00", "ETH", "1", "1900", "GBP", fee="10"),
                 buy("2024-06-20 12:00", "ETH", "1", "2100", "GBP", fee="20"), year=2024)
    assert sorted((d.rule, str(d.amount), d.proceeds, d.cost_basis, d.gain) for d in result.disposals) == [
        ("pool", "2", D(4000), D(2060), D(1940)), ("same_day", "1", D(2000), D(1930), D(70)),
        ("thirty_day", "1", D(2000), D(2140), D(-140))]
    t = totals("uk", 2024, result)
    # One disposal (one asset, one day): net 1,870, a gain.
    assert (t["disposals"], t["gains"], t["losses"]) == (1, D("1870.00"), D("0.00"))


def test_ca_superficial_loss_with_a_partial_buy_back_and_fees():
    # ACB 10 ETH: 30,000 + fee 100 = 30,100. Sell 10 for 20,000 less fee 50: loss 19,950 - 30,100 = -10,150.
    # 5 bought back 10 days later (and held 30 days after the sale): 5/10 of the loss denied, 5,075 (ITA s54,
    # s40(2)(g)(i)), added to the new ACB: 10,000 + 5,075 = 15,075. Allowed loss 5,075.
    result = run("ca", buy("2024-01-10 15:00", "ETH", "10", "30000", "CAD", fee="100"),
                 sell("2024-03-01 15:00", "ETH", "10", "20000", "CAD", fee="50"),
                 buy("2024-03-11 15:00", "ETH", "5", "10000", "CAD"), year=2024)
    [d] = result.disposals
    assert (d.proceeds, d.cost_basis, d.gain, d.adjustment, d.adjustment_code) == \
        (D(19950), D(30100), D(-10150), D(5075), "SL")
    assert [(lot.amount, lot.cost_basis) for lot in result.holdings] == [(D(5), D(15075))]
    assert totals("ca", 2024, result)["net_capital_loss"] == D("5075.00")


@pytest.mark.parametrize("acquired, sold, term", [
    # §23 Abs. 1 Satz 1 Nr. 2 EStG, more than one year, counted by §§187(1), 188(2) BGB: from 2024-02-29 the
    # year ends on 2025-02-28 (§188(3): the month has no 29th), so 2025-02-28 is taxable, 2025-03-01 tax-free.
    ("2024-02-29", "2025-02-28", "short"), ("2024-02-29", "2025-03-01", "long"),
])
def test_de_one_year_from_a_leap_day(acquired, sold, term):
    result = run("de", buy(f"{acquired} 12:00", "BTC", "1", "50000", "EUR"),
                 sell(f"{sold} 12:00", "BTC", "1", "51000", "EUR"))
    assert [d.term for d in result.disposals] == [term]


@pytest.mark.parametrize("sold, term", [("2025-02-28", "short"), ("2025-03-01", "long")])
def test_au_twelve_months_from_a_leap_day(sold, term):
    # ITAA 1997 s115-25(1): acquired at least 12 months before the CGT event, not counting the day of acquisition
    # nor the day of the event. From 2024-02-29: counting 1 March 2024 to the day before the sale, 12 whole months
    # end on 28 February 2025, so a sale on 1 March 2025 qualifies and one on 28 February does not.
    result = run("au", buy("2024-02-29 12:00", "BTC", "1", "50000", "AUD"),
                 sell(f"{sold} 12:00", "BTC", "1", "52000", "AUD"))
    assert rows(result) == [("sale", "1", "52000", "50000", "2000", term)]
