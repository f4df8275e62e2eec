"""Canada, Germany, Australia: hand-checked tables for each country's rules (numbers worked out in comments)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from taxer.countries import COUNTRIES, country
from taxer.engine import compute
from taxer.errors import ConfigError
from taxer.model import Kind, Leg, Transaction
from taxer.reports import form8949
from tests.engine.helpers import _s, at, buy, numbered, sell


def run(code: str, *txs, year: int | None = None, method: str | None = None):
    rules = country(code)
    settings = rules.settings(method=method)
    if year is None:
        return compute(numbered(txs), settings)
    start, end = rules.bounds(year, settings.timezone)
    return compute(numbered(txs), settings, until=end, keep_from=start)


def totals(code: str, year: int, result, income=None):
    """The country's return totals from the printed lines, as the report computes them."""
    lines = tuple(form8949.lines(result.disposals, year, {}))
    return country(code).totals(year, lines, income or {})


# --- Canada -------------------------------------------------------------------------------------------------

CAD = {"currency": "CAD"}


def ca_rows(result):
    """(disposed, amount, proceeds, ACB, gain, adjustment, code) per disposition."""
    return [(str(d.disposed_date), _s(d.amount), _s(d.proceeds), _s(d.cost_basis), _s(d.gain), _s(d.adjustment),
             d.adjustment_code) for d in result.disposals]


def test_ca_superficial_loss_is_denied_and_added_to_the_new_acb():
    # Sold 10 ETH at a 10,000 loss on 1 March; 10 bought back on 15 March and still held 30 days after the sale
    # (31 March): the whole loss is denied (SL) and added to the new units' ACB: 21,000 + 10,000 = 31,000.
    # Selling them on 1 June for 32,000 gains 1,000. Net gain 1,000; taxable at 1/2: 500.
    result = run("ca",
                 buy("2024-01-10 15:00", "ETH", "10", "30000", **CAD),
                 sell("2024-03-01 15:00", "ETH", "10", "20000", **CAD),
                 buy("2024-03-15 15:00", "ETH", "10", "21000", **CAD),
                 sell("2024-06-01 15:00", "ETH", "10", "32000", **CAD))
    assert ca_rows(result) == [("2024-03-01", "10", "20000", "30000", "-10000", "10000", "SL"),
                               ("2024-06-01", "10", "32000", "31000", "1000", "0", "")]
    t = totals("ca", 2024, result)
    assert (t["superficial_losses_denied"], t["net_capital_gain"], t["inclusion_rate"], t["taxable_capital_gain"]) \
        == (Decimal("10000.00"), Decimal("1000.00"), "1/2", Decimal("500.00"))


def test_ca_superficial_loss_is_denied_in_proportion_to_the_units_bought_back():
    # 4 of the 10 units bought back and held: 4/10 of the 10,000 loss denied (4,000); ACB 8,000 + 4,000.
    result = run("ca",
                 buy("2024-01-10 15:00", "ETH", "10", "30000", **CAD),
                 sell("2024-03-01 15:00", "ETH", "10", "20000", **CAD),
                 buy("2024-03-15 15:00", "ETH", "4", "8000", **CAD))
    assert ca_rows(result) == [("2024-03-01", "10", "20000", "30000", "-10000", "4000", "SL")]
    assert [(lot.asset, _s(lot.amount), _s(lot.cost_basis)) for lot in result.holdings] == [("ETH", "4", "12000")]


def test_ca_loss_is_allowed_when_the_property_is_gone_30_days_later():
    # The 10 units bought back on 15 March are sold again on 25 March: none held on 31 March, so the 10,000
    # loss stands. Second sale: ACB 21,000, proceeds 22,000, gain 1,000. Net: a 9,000 capital loss.
    result = run("ca",
                 buy("2024-01-10 15:00", "ETH", "10", "30000", **CAD),
                 sell("2024-03-01 15:00", "ETH", "10", "20000", **CAD),
                 buy("2024-03-15 15:00", "ETH", "10", "21000", **CAD),
                 sell("2024-03-25 15:00", "ETH", "10", "22000", **CAD))
    assert ca_rows(result) == [("2024-03-01", "10", "20000", "30000", "-10000", "0", ""),
                               ("2024-03-25", "10", "22000", "21000", "1000", "0", "")]
    t = totals("ca", 2024, result)
    assert (t["net_capital_gain"], t["net_capital_loss"], t["taxable_capital_gain"]) \
        == (Decimal("0.00"), Decimal("9000.00"), Decimal("0.00"))


def test_ca_acb_is_one_average_across_accounts():
    # 1 BTC at 40,000 in one account and 1 at 60,000 in another: ACB 50,000 each, whichever account sells.
    result = run("ca",
                 buy("2024-01-10 15:00", "BTC", "1", "40000", account="exchange", **CAD),
                 buy("2024-02-10 15:00", "BTC", "1", "60000", account="wallet", **CAD),
                 sell("2024-05-01 15:00", "BTC", "1", "70000", account="exchange", **CAD))
    assert ca_rows(result) == [("2024-05-01", "1", "70000", "50000", "20000", "0", "")]


# --- Germany ------------------------------------------------------------------------------------------------

EUR = {"currency": "EUR"}


@pytest.mark.parametrize("acquired, sold, days, term", [
    # "More than one year" (EStG §23) counted as §§187(1), 188(2) BGB do: the year ends at the end of the
    # anniversary date, so a sale is tax-free from the day after it. Without a 29 February in between that is
    # after 366 days; across one, 366 days end on the anniversary itself and are still taxable.
    ("2022-03-01", "2023-03-02", 366, "long"),
    ("2022-03-01", "2023-03-01", 365, "short"),
    ("2023-03-01", "2024-03-01", 366, "short"),
    ("2023-03-01", "2024-03-02", 367, "long"),
])
def test_de_coins_held_more_than_one_year_are_sold_tax_free(acquired, sold, days, term):
    from datetime import date

    assert (date.fromisoformat(sold) - date.fromisoformat(acquired)).days == days
    result = run("de", buy(f"{acquired} 12:00", "BTC", "1", "20000", **EUR),
                 sell(f"{sold} 12:00", "BTC", "1", "25000", **EUR))
    assert [(d.term, _s(d.gain)) for d in result.disposals] == [(term, "5000")]
    assert country("de").is_long(date.fromisoformat(acquired), date.fromisoformat(sold)) == (term == "long")


def test_de_fifo_and_tax_free_gains_listed_apart():
    # FIFO: the 2022 coin (1,000) goes first, sold 2024 tax-free (gain 2,000); the next from 2024 (2,500) is
    # taxable (gain 500, below the EUR 1,000 Freigrenze of 2024: tax-free, limit applied).
    result = run("de", buy("2022-01-10 12:00", "ETH", "1", "1000", **EUR),
                 buy("2024-01-10 12:00", "ETH", "1", "2500", **EUR),
                 sell("2024-06-10 12:00", "ETH", "2", "6000", **EUR), year=2024)
    assert [(d.term, _s(d.cost_basis), _s(d.gain)) for d in result.disposals] == [("long", "1000", "2000"),
                                                                                 ("short", "2500", "500")]
    t = totals("de", 2024, result)
    assert (t["gain_held_over_one_year_tax_free"], t["gain_held_up_to_one_year"], t["freigrenze"],
            t["freigrenze_applied"], t["taxable_private_sales_gain"]) == \
        (Decimal("2000.00"), Decimal("500.00"), Decimal(1000), True, Decimal("0.00"))


@pytest.mark.parametrize("year, gain, applied, taxable", [
    (2023, "599.99", True, "0.00"), (2023, "600.00", False, "600.00"),
    (2024, "999.99", True, "0.00"), (2024, "1000.00", False, "1000.00"),
])
def test_de_freigrenze_is_a_limit_not_an_allowance(year, gain, applied, taxable):
    result = run("de", buy(f"{year}-02-01 12:00", "BTC", "1", "10000", **EUR),
                 sell(f"{year}-05-01 12:00", "BTC", "1", str(Decimal(10000) + Decimal(gain)), **EUR), year=year)
    t = totals("de", year, result)
    assert (t["freigrenze_applied"], t["taxable_private_sales_gain"]) == (applied, Decimal(taxable))


@pytest.mark.parametrize("income, taxable", [("255.99", "0.00"), ("256.00", "256.00")])
def test_de_income_has_its_own_256_limit(income, taxable):
    t = country("de").totals(2024, (), {"staking": Decimal(income)})
    assert t["taxable_income_22_nr_3"] == Decimal(taxable)


# --- Australia ----------------------------------------------------------------------------------------------

AUD = {"currency": "AUD"}


@pytest.mark.parametrize("sold, term", [
    # ATO: at least 12 months not counting the day of acquisition nor the day of the CGT event. Bought 1 July
    # 2023: sold 1 July 2024 the holding counts 2 July 2023 to 30 June 2024, short of 12 months; sold 2 July 2024
    # it counts exactly 12 months (2 July 2023 to 1 July 2024): discount.
    ("2024-07-01", "short"), ("2024-07-02", "long"),
])
def test_au_discount_at_exactly_12_months(sold, term):
    result = run("au", buy("2023-07-01 12:00", "BTC", "1", "50000", **AUD),
                 sell(f"{sold} 12:00", "BTC", "1", "51000", **AUD), year=2024)
    assert [d.term for d in result.disposals] == [term]
    t = totals("au", 2024, result)
    assert t["discount"] == (Decimal("500.00") if term == "long" else Decimal("0.00"))


def test_au_discount_applies_after_losses():
    # Gains: 1,000 discountable (held over 12 months), 600 not; a 400 loss. Losses go first against the 600
    # (200 left), the discount halves the 1,000: net capital gain 200 + 500 = 700.
    result = run("au",
                 buy("2023-01-10 12:00", "BTC", "1", "10000", **AUD),
                 buy("2024-08-01 12:00", "ETH", "1", "2000", **AUD),
                 buy("2024-08-01 12:00", "SOL", "10", "1000", **AUD),
                 sell("2024-09-01 12:00", "BTC", "1", "11000", **AUD),
                 sell("2024-09-01 12:00", "ETH", "1", "2600", **AUD),
                 sell("2024-09-01 12:00", "SOL", "10", "600", **AUD), year=2024)
    t = totals("au", 2024, result)
    assert (t["gross_capital_gains"], t["capital_losses"], t["losses_applied"], t["discount"],
            t["net_capital_gain"]) == (Decimal("1600.00"), Decimal("400.00"), Decimal("400.00"),
                                       Decimal("500.00"), Decimal("700.00"))
    assert country("au").label(2024) == "2024/25"
    assert country("au").bounds(2024, "Australia/Sydney") == (at("2024-06-30 14:00"), at("2025-06-30 14:00"))


def test_au_allows_other_methods_and_uk_only_its_matching():
    assert country("au").settings(method="hifo").method == "hifo"
    with pytest.raises(ConfigError, match="pooling"):
        country("uk").settings(method="fifo")
    with pytest.raises(ConfigError, match="Europe/London"):
        country("uk").settings(timezone="UTC")


def test_each_country_defaults_to_its_currency_and_zone():
    assert {code: (c.settings().currency, c.settings().timezone) for code, c in COUNTRIES.items()} == {
        "us": ("USD", "UTC"), "uk": ("GBP", "Europe/London"), "ca": ("CAD", "America/Toronto"),
        "de": ("EUR", "Europe/Berlin"), "au": ("AUD", "Australia/Sydney")}


def test_income_is_kept_alike_in_every_country():
    staking = Transaction(account="a", timestamp=at("2024-08-01 12:00"), kind=Kind.INCOME,
                          received=Leg("ETH", Decimal(1)), fair_value=Decimal(100), fair_value_currency="EUR",
                          label="staking")
    assert [(i.type, _s(i.fair_value)) for i in run("de", staking).income] == [("staking", "100")]


def test_warnings_are_the_same_in_every_country():
    from tests.engine.helpers import deposit, withdrawal

    def ledger(currency):
        return (buy("2024-08-01 12:00", "BTC", "1", "100", currency=currency),
                deposit("2024-08-02 12:00", "ETH", "2", account="wallet"),
                withdrawal("2024-08-03 12:00", "ETH", "1", account="wallet"),
                sell("2024-09-01 12:00", "BTC", "3", "900", currency=currency))

    seen = {}
    for code, rules in COUNTRIES.items():
        result = run(code, *ledger(rules.currency))
        # Germany pools per wallet (BMF 10 May 2022 Rz. 61): its messages name the account, not the universal pool.
        seen[code] = [(w.code, w.message.replace(" in account 'a'", " in the universal pool"))
                      for w in result.warnings]
    assert [c for c, _ in seen["us"]] == ["unknown_origin", "unmatched_withdrawal", "oversold"]
    assert all(found == seen["us"] for found in seen.values()), seen
