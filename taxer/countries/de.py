"""Germany (private sales, EStG §23 and §22 Nr. 3): FIFO, one-year holding period, the exemption limits."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from taxer.countries import losses
from taxer.countries.base import Country
from taxer.countries.tables import TRANSFER_FEE, Table, counted, rate_note
from taxer.engine.taxyear import anniversary

# Exemption limit (Freigrenze) for gains from private sales, §23 Abs. 3 Satz 5 EStG: total gains of the
# calendar year below it are tax-free, at or above it all are taxable (a limit, not an allowance).
FREIGRENZE_BEFORE_2024 = Decimal(600)
FREIGRENZE_FROM_2024 = Decimal(1000)
# §22 Nr. 3 Satz 2 EStG: other income (staking, lending...) below EUR 256 in the year is tax-free.
INCOME_LIMIT = Decimal(256)
ZERO = Decimal("0.00")
# The same limits as tables that run forward: EUR 600 until 2023, EUR 1,000 from 2024 (Wachstumschancengesetz of
# 27 March 2024, BGBl. 2024 I Nr. 108, Art. 3); EUR 256 under §22 Nr. 3 Satz 2 EStG.
FREIGRENZE_TABLE = Table("The Freigrenze of §23 Abs. 3 Satz 5 EStG",
                         {1999: FREIGRENZE_BEFORE_2024, 2024: FREIGRENZE_FROM_2024}, checked_through=2025,
                         law="Wachstumschancengesetz 2024: EUR 1,000 from 2024")
INCOME_LIMIT_TABLE = Table("The limit of §22 Nr. 3 Satz 2 EStG", {1999: INCOME_LIMIT}, checked_through=2025,
                           law="§22 Nr. 3 Satz 2 EStG: EUR 256")
# Coins paid as a network fee on a move between own wallets leave the FIFO order as a disposal at market value:
# their gain counts among the private sales (the choice is stated on the methodology page). Gifts are not sales
# (unentgeltlich; the recipient takes over the acquisition, §23 Abs. 1 Satz 3 EStG) and stay apart.
COUNTED = (TRANSFER_FEE,)
_ORDER_OF_USE = ("BMF-Schreiben of 10 May 2022 Rz. 61 allows identifying the units sold (Einzelbetrachtung), else "
                 "the average method or, as a simplification, FIFO; a standing LIFO or HIFO order is neither")


def freigrenze(year: int) -> Decimal:
    """The private-sales exemption limit of calendar year `year`."""
    return FREIGRENZE_FROM_2024 if year >= 2024 else FREIGRENZE_BEFORE_2024


def totals(year: int, lines: tuple[Any, ...], income: Mapping[str, Decimal], other: tuple[Any, ...] = ()
           ) -> dict[str, Any]:
    """Private sales (Anlage SO): taxable gain within one year, tax-free gain after it, the limits applied.

    Network fees paid in the moved coin (`other`) count as private sales."""
    lines = (*lines, *counted(other, COUNTED))
    within = sum((r.gain for r in lines if r.term == "short"), ZERO)
    after = sum((r.gain for r in lines if r.term == "long"), ZERO)
    limit = freigrenze(year)
    applies = ZERO < within < limit
    income_total = sum(income.values(), ZERO)
    income_free = income_total < INCOME_LIMIT
    out = {
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
    note = rate_note(FREIGRENZE_TABLE.note(year), INCOME_LIMIT_TABLE.note(year))
    if note:
        out["rate_note"] = note
    return out


def _day_after_the_year(acquired: date) -> date:
    # "More than one year" (§23 Abs. 1 Satz 1 Nr. 2 EStG) with the period counted as §§187(1), 188(2) BGB do:
    # the year ends with the anniversary date, so a sale the day after it is tax-free (Feb 29: Feb 28).
    return anniversary(acquired)


DE = Country(
    code="de", name="Germany", currency="EUR", zone="Europe/Berlin", year_start=(1, 1),
    methods=("fifo", "average"), pool="per_account", long_after=_day_after_the_year, totals=totals,
    nonstandard=tuple((name, _ORDER_OF_USE) for name in ("lifo", "hifo")),
    refused_pools=(("universal", "BMF-Schreiben of 10 May 2022 Rz. 61: the order of use is determined per wallet "
                    "(walletbezogene Betrachtung)"),),
    carryover=losses.de,
    brought_in=(("loss_carryover", "private_sales_loss"),),
    listing_title="Private Veräußerungsgeschäfte (disposals, FIFO)",
    holding="Tax-free when sold more than one year after acquisition (after the anniversary date).",
    terms=("Held up to one year (taxable)", "Held over one year (tax-free)"),
    methodology=(
        ("Private sales (EStG §23 Abs. 1 Satz 1 Nr. 2)",
         ("Selling or exchanging a cryptoasset is a private sale. Its gain is taxable only when acquisition and "
          "disposal are no more than one year apart; coins held more than one year are sold tax-free and are "
          "listed apart (long term). The year is counted as §§187, 188 BGB do: coins acquired on 1 March 2023 are "
          "sold tax-free from 2 March 2024 on.")),
        ("Order of use: FIFO per wallet (EStG §23 Abs. 1 Satz 1 Nr. 2 Satz 3; BMF 10 May 2022 Rz. 61)",
         ("The units acquired first are treated as sold first, for each cryptoasset and each wallet or account "
          "(the BMF letter's walletbezogene Betrachtung); transfers between own wallets carry the units with their "
          "acquisition date. The average method (average cost, FIFO for the holding period) can be chosen; LIFO and "
          "HIFO are not allowed. Coins paid as a network fee on a transfer between own wallets are treated as sold "
          "at market value and counted among the private sales.")),
        ("Exemption limit (Freigrenze, EStG §23 Abs. 3 Satz 5)",
         ("Gains from private sales stay tax-free when their total in the calendar year is below EUR 600 (up to "
          "2023) or EUR 1,000 (from 2024). It is a limit, not an allowance: at or above it the whole gain is "
          "taxable. A year after the last checked one keeps the EUR 1,000 last enacted (Wachstumschancengesetz 2024), "
          "with a note.")),
        ("Losses (EStG §23 Abs. 3 Sätze 7-8, §10d)",
         ("A net private-sales loss offsets only private-sales gains: first those of the preceding year "
          "(Verlustrücktrag), then of later years (Verlustvortrag). The Freigrenze is tested on the year's own "
          "gain before losses of other years; a gain below it is tax-free and uses no loss.")),
        ("Other income (EStG §22 Nr. 3)",
         ("Staking, lending and similar receipts are other income at market value when received; below EUR 256 "
          "in the year it is tax-free (the limit covers all such income of the taxpayer, not only crypto).")),
        ("Tax year", "The calendar year, in German local time (Europe/Berlin)."),
    ),
)
