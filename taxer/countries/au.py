"""Australia (ATO): the CGT discount for assets held at least 12 months, applied after losses; 1 July to 30 June."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from taxer.countries import losses
from taxer.countries.base import Country
from taxer.countries.tables import GIFTS, TRANSFER_FEE, Table, counted, rate_note
from taxer.engine.records import MARKET_VALUE
from taxer.engine.taxyear import anniversary

ZERO = Decimal("0.00")
DISCOUNT = Decimal("0.5")  # individuals and trusts, ITAA 1997 s115-100
DISCOUNT_TABLE = Table("The CGT discount percentage", {1999: DISCOUNT}, checked_through=2025,
                       law="ITAA 1997 s115-100(a): 50% for individuals since 21 September 1999")
# CGT events apart from sales: network fees paid in the moved coin; gifts and donations, at market value (the
# market value substitution rule, ITAA 1997 s116-30). No rollover between spouses applies to crypto assets outside
# a relationship breakdown (Subdivision 126-A), so a gift to a spouse is at market value too.
COUNTED = (TRANSFER_FEE, *GIFTS)
GIFT_RULES = (("gift", MARKET_VALUE), ("gift_spouse", MARKET_VALUE), ("donation", MARKET_VALUE))


def totals(year: int, lines: tuple[Any, ...], income: Mapping[str, Decimal], other: tuple[Any, ...] = ()
           ) -> dict[str, Any]:
    """Net capital gain (ITAA 1997 s102-5): losses first against gains not discounted, then the 50% discount.

    Network fees and gifts (`other`) are CGT events too and count."""
    lines = (*lines, *counted(other, COUNTED))
    rate = DISCOUNT_TABLE.value(year)
    gains_other = sum((r.gain for r in lines if r.gain > 0 and r.term == "short"), ZERO)
    gains_discountable = sum((r.gain for r in lines if r.gain > 0 and r.term == "long"), ZERO)
    losses = -sum((r.gain for r in lines if r.gain < 0), ZERO)
    # The order most favourable to the taxpayer, which the law leaves to them (s102-5 step 1 note).
    against_other = min(losses, gains_other)
    against_discountable = min(losses - against_other, gains_discountable)
    left = gains_discountable - against_discountable
    discount = (left * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    net = gains_other - against_other + left - discount
    out = {
        "gross_capital_gains": gains_other + gains_discountable,
        "discountable_gains": gains_discountable,
        "capital_losses": losses,
        "losses_applied": against_other + against_discountable,
        "discount": discount,
        "net_capital_gain": net,
        "net_capital_loss_carried_forward": losses - against_other - against_discountable,
        "discount_rate": str(rate),
    }
    note = rate_note(DISCOUNT_TABLE.note(year, f"{year}/{(year + 1) % 100:02d}"))
    if note:
        out["rate_note"] = note
    return out


def _twelve_months(acquired: date) -> date:
    # ATO: held at least 12 months not counting the day of acquisition nor the day of the CGT event, so the
    # first date that qualifies is the day after the anniversary (s115-25(1)).
    return anniversary(acquired)


AU = Country(
    code="au", name="Australia", currency="AUD", zone="Australia/Sydney", year_start=(7, 1),
    methods=("fifo", "lifo", "hifo"), long_after=_twelve_months, totals=totals, gift_rules=GIFT_RULES,
    nonstandard=(("average", "ATO Taxation Determination TD 33 accepts an average cost only for identical assets "
                  "acquired on the same day; otherwise the parcels sold are identified (FIFO, or the taxpayer's "
                  "selection)"),),
    carryover=losses.au,
    brought_in=(("loss_carryover", "net_capital_loss"),),
    listing_title="CGT events (disposals)",
    holding="Discount when held at least 12 months, not counting the days of acquisition and disposal.",
    terms=("Held under 12 months", "Held 12 months or more (discount)"),
    methodology=(
        ("CGT discount (ITAA 1997 Division 115)",
         ("A capital gain of an individual on an asset held at least 12 months (s115-25) is reduced by 50% "
          "(s115-100). The 12 months exclude the day of acquisition and the day of the CGT event, so coins "
          "acquired on 1 July 2023 qualify when sold on 2 July 2024 or later; those pieces are marked long.")),
        ("Net capital gain (ITAA 1997 s102-5)",
         ("Capital losses of the year are applied first, against the gains that get no discount and then against "
          "the discountable ones; net capital losses of earlier years next, in the same order (step 2); the "
          "discount applies to what remains (step 3). A net capital loss carries forward without time limit.")),
        ("Parcels (ATO TD 33)",
         ("The units sold are identified first in, first out by default; the ATO accepts the taxpayer's own "
          "identification of the parcels sold, so LIFO or HIFO can be chosen. An average cost is not accepted "
          "(TD 33: only for identical assets acquired on the same day).")),
        ("Gifts and fees (ITAA 1997 s116-30)",
         ("A gift or donation is a CGT event at market value (market value substitution rule); a gift to a spouse "
          "too, as no rollover applies to crypto assets outside a relationship breakdown. Coins paid as a network "
          "fee on a move between own wallets are a CGT event. They are listed apart from sales and counted.")),
        ("Income",
         ("Staking and similar rewards are ordinary income at market value in AUD when received; that value is "
          "the cost base of the tokens.")),
        ("Income year", "1 July to 30 June, in Sydney local time."),
    ),
)
