"""Gifts given: disposals at market value in the UK, Canada and Australia; spouses at no gain/no loss where the
law says so; no proceeds and apart from sales in the US and Germany (DOMAIN.md, events table)."""

from __future__ import annotations

from decimal import Decimal

from taxer.model import Kind
from tests.law.ledger import buy, gift, rows, run, sell, totals

D = Decimal


def test_uk_gift_is_a_disposal_at_market_value():
    # TCGA 1992 s17(1)(a): a gift is a disposal at market value. Pool: 1 BTC for 20,000; the gift of 0.5 BTC
    # worth 15,000 takes half the pool's cost (s104): 10,000. Gain 15,000 - 10,000 = 5,000.
    # (Before: proceeds 0, left out of the HMRC totals: gains 0.)
    result = run("uk", buy("2024-05-01 12:00", "BTC", "1", "20000", "GBP"),
                 gift("2024-06-01 12:00", "BTC", "0.5", "15000", "GBP"), year=2024)
    assert rows(result) == [("gift", "0.5", "15000", "10000", "5000", "short")]
    t = totals("uk", 2024, result)
    assert (t["disposals"], t["disposal_proceeds"], t["allowable_costs"], t["gains"], t["losses"]) == \
        (1, D("15000.00"), D("10000.00"), D("5000.00"), D("0.00"))
    # 5,000 - the 2024/25 annual exempt amount 3,000 (TCGA s1K) = 2,000 chargeable.
    assert t["net_gain_after_exempt_amount"] == D("2000.00")


def test_uk_gift_to_a_spouse_is_no_gain_no_loss():
    # TCGA s58: a disposal between spouses living together is for the consideration giving neither gain nor loss:
    # proceeds = allowable cost = 10,000 (half the pool). The other half is sold on 1 July for 12,000: gain 2,000.
    # The transfer changes no total and is not a reported disposal: one disposal, the sale.
    result = run("uk", buy("2024-05-01 12:00", "BTC", "1", "20000", "GBP"),
                 gift("2024-06-01 12:00", "BTC", "0.5", "15000", "GBP", label="gift_spouse"),
                 sell("2024-07-01 12:00", "BTC", "0.5", "12000", "GBP"), year=2024)
    assert rows(result) == [("gift_spouse", "0.5", "10000", "10000", "0", "short"),
                            ("sale", "0.5", "12000", "10000", "2000", "short")]
    t = totals("uk", 2024, result)
    assert (t["disposals"], t["gains"], t["net_gain"]) == (1, D("2000.00"), D("2000.00"))


def test_uk_donation_to_charity_is_no_gain_no_loss():
    # TCGA s257(2): a gift to a charity is at no gain, no loss: proceeds = cost 5,000 (a quarter of 20,000).
    result = run("uk", buy("2024-05-01 12:00", "ETH", "4", "20000", "GBP"),
                 gift("2024-06-01 12:00", "ETH", "1", "9000", "GBP", kind=Kind.DONATION), year=2024)
    assert rows(result) == [("donation", "1", "5000", "5000", "0", "short")]


def test_ca_gift_is_a_disposition_at_fair_market_value():
    # ITA s69(1)(b): a gift is a disposition at fair market value, 4,000. ACB 6,000 / 2 = 3,000 a unit. Gain 1,000;
    # taxable at the inclusion rate 1/2: 500. (Before: proceeds 0 and not in the Schedule 3 totals.)
    result = run("ca", buy("2024-01-10 15:00", "ETH", "2", "6000", "CAD"),
                 gift("2024-03-01 15:00", "ETH", "1", "4000", "CAD"), year=2024)
    assert rows(result) == [("gift", "1", "4000", "3000", "1000", "short")]
    t = totals("ca", 2024, result)
    assert (t["dispositions"], t["proceeds_of_disposition"], t["adjusted_cost_base"], t["net_capital_gain"],
            t["taxable_capital_gain"]) == (1, D("4000.00"), D("3000.00"), D("1000.00"), D("500.00"))


def test_ca_gift_to_a_spouse_rolls_over_at_the_acb():
    # ITA s73(1): capital property transferred to a spouse is deemed disposed of for its adjusted cost base,
    # 3,000: no gain, no loss; the remaining unit keeps ACB 3,000.
    result = run("ca", buy("2024-01-10 15:00", "ETH", "2", "6000", "CAD"),
                 gift("2024-03-01 15:00", "ETH", "1", "4000", "CAD", label="gift_spouse"), year=2024)
    assert rows(result) == [("gift_spouse", "1", "3000", "3000", "0", "short")]
    assert [(lot.amount, lot.cost_basis) for lot in result.holdings] == [(D(1), D(3000))]


def test_au_gift_to_a_spouse_is_at_market_value():
    # ITAA 1997 s116-30: no consideration, so market value 60,000 is the capital proceeds; no spouse rollover
    # applies to crypto (Subdivision 126-A needs a relationship breakdown). Held 1 Aug 2023 - 1 Sep 2024, over 12
    # months: gain 10,000 discounted by 50% (s115-100): net capital gain 5,000.
    result = run("au", buy("2023-08-01 12:00", "BTC", "1", "50000", "AUD"),
                 gift("2024-09-01 12:00", "BTC", "1", "60000", "AUD", label="gift_spouse"), year=2024)
    assert rows(result) == [("gift_spouse", "1", "60000", "50000", "10000", "long")]
    t = totals("au", 2024, result)
    assert (t["gross_capital_gains"], t["discount"], t["net_capital_gain"]) == \
        (D("10000.00"), D("5000.00"), D("5000.00"))


def test_us_and_germany_gifts_have_no_proceeds_and_stay_apart():
    # US: a gift is no sale (the donee takes the donor's basis, IRC 1015); Germany: unentgeltlich, no private
    # sale (§23 Abs. 1 Satz 3 EStG). Listed apart with proceeds 0; not in the gains.
    for code, currency in (("us", "USD"), ("de", "EUR")):
        result = run(code, buy("2024-01-10 12:00", "BTC", "1", "20000", currency),
                     gift("2024-06-01 12:00", "BTC", "1", "30000", currency, label="gift_spouse"), year=2024)
        assert rows(result) == [("gift_spouse", "1", "0", "20000", "-20000", "short")]
    us = totals("us", 2024, run("us", buy("2024-01-10 12:00", "BTC", "1", "20000", "USD"),
                                gift("2024-06-01 12:00", "BTC", "1", "30000", "USD"), year=2024))
    assert (us["short_term_net"], us["long_term_net"]) == (D("0.00"), D("0.00"))
    de = totals("de", 2024, run("de", buy("2024-01-10 12:00", "BTC", "1", "20000", "EUR"),
                                gift("2024-06-01 12:00", "BTC", "1", "30000", "EUR"), year=2024))
    assert de["gain_held_up_to_one_year"] == D("0.00")
