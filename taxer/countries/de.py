"""Germany (private sales, EStG §23 and §22 Nr. 3): FIFO, one-year holding period, the exemption limits."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from taxer.countries.base import Country
from taxer.engine.taxyear import anniversary

# Exemption limit (Freigrenze) for gains from private sales, §23 Abs. 3 Satz 5 EStG: total gains of the
# calendar year below it are tax-free, at or above it all are taxable (a limit, not an allowance).
FREIGRENZE_BEFORE_2024 = Decimal(600)
FREIGRENZE_FROM_2024 = Decimal(1000)
# §22 Nr. 3 Satz 2 EStG: other income (staking, lending...) below EUR 256 in the year is tax-free.
INCOME_LIMIT = Decimal(256)
ZERO = Decimal("0.00")


def freigrenze(year: int) -> Decimal:
    """The private-sales exemption limit of calendar year `year`."""
    return FREIGRENZE_FROM_2024 if year >= 2024 else FREIGRENZE_BEFORE_2024


def totals(year: int, lines: tuple[Any, ...], income: Mapping[str, Decimal]) -> dict[str, Any]:
    """Private sales (Anlage SO): taxable gain within one year, tax-free gain after it, the limits applied."""
    within = sum((r.gain for r in lines if r.term == "short"), ZERO)
    after = sum((r.gain for r in lines if r.term == "long"), ZERO)
    limit = freigrenze(year)
    applies = ZERO < within < limit
    income_total = sum(income.values(), ZERO)
    income_free = income_total < INCOME_LIMIT
    return {
        "gain_held_up_to_one_year": within,
        "gain_held_over_one_year_tax_free": after,
        "freigrenze": limit,
        "freigrenze_applied": applies,
        "taxable_private_sales_gain": ZERO if applies else max(within, ZERO),
        "private_sales_loss": max(-within, ZERO),
        "income_22_nr_3": income_total,
        "income_limit": INCOME_LIMIT,
        "income_limit_applied": ZERO < income_total < INCOME_LIMIT,
        "taxable_income_22_nr_3": ZERO if income_free else income_total,
    }


def _day_after_the_year(acquired: date) -> date:
    # "More than one year" (§23 Abs. 1 Satz 1 Nr. 2 EStG) with the period counted as §§187(1), 188(2) BGB do:
    # the year ends with the anniversary date, so a sale the day after it is tax-free (Feb 29: Feb 28).
    return anniversary(acquired)


DE = Country(
    code="de", name="Germany", currency="EUR", zone="Europe/Berlin", year_start=(1, 1),
    methods=("fifo",), pool="universal", long_after=_day_after_the_year, totals=totals,
    listing_title="Private Veräußerungsgeschäfte (disposals, FIFO)",
    holding="Tax-free when sold more than one year after acquisition (after the anniversary date).",
    terms=("Held up to one year (taxable)", "Held over one year (tax-free)"),
    methodology=(
        ("Private sales (EStG §23 Abs. 1 Satz 1 Nr. 2)",
         ("Selling or exchanging a cryptoasset is a private sale. Its gain is taxable only when acquisition and "
          "disposal are no more than one year apart; coins held more than one year are sold tax-free and are "
          "listed apart (long term). The year is counted as §§187, 188 BGB do: coins acquired on 1 March 2023 are "
          "sold tax-free from 2 March 2024 on.")),
        ("Order of use: FIFO (EStG §23 Abs. 1 Satz 1 Nr. 2 Satz 3)",
         "The units acquired first are treated as sold first, for each cryptoasset."),
        ("Exemption limit (Freigrenze, EStG §23 Abs. 3 Satz 5)",
         ("Gains from private sales stay tax-free when their total in the calendar year is below EUR 600 (up to "
          "2023) or EUR 1,000 (from 2024). It is a limit, not an allowance: at or above it the whole gain is "
          "taxable. A net loss can only be set against private-sales gains of other years.")),
        ("Other income (EStG §22 Nr. 3)",
         ("Staking, lending and similar receipts are other income at market value when received; below EUR 256 "
          "in the year it is tax-free (the limit covers all such income of the taxpayer, not only crypto).")),
        ("Tax year", "The calendar year, in German local time (Europe/Berlin)."),
    ),
)
