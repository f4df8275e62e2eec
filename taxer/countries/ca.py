"""Canada (CRA): adjusted cost base across all accounts, the superficial-loss rule, the inclusion rate."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from taxer.countries import losses
from taxer.countries.base import Country
from taxer.countries.tables import TRANSFER_FEE, Table, counted, rate_note
from taxer.engine import acb
from taxer.engine.records import MARKET_VALUE, NO_GAIN_NO_LOSS

# Capital gains inclusion rate by calendar year (ITA s.38(a)). The increase to 2/3 proposed in Budget 2024 for
# gains from 25 June 2024 was cancelled on 21 March 2025 and never enacted: 1/2 for 2024 and 2025.
INCLUSION_RATE = {2023: Fraction(1, 2), 2024: Fraction(1, 2), 2025: Fraction(1, 2)}
DEFAULT_RATE = Fraction(1, 2)  # in force since 2001
INCLUSION_TABLE = Table("The capital gains inclusion rate", {2001: "1/2"}, checked_through=2025,
                        law="ITA s38(a), one half since 2001; the 2024 Budget increase was cancelled in March 2025")
ZERO = Decimal("0.00")
# Dispositions apart from sales that count: network fees paid in the moved coin; gifts and donations, deemed at
# fair market value (ITA s69(1)(b)). Gifts to a spouse or common-law partner roll over at the ACB (s73(1)): no
# gain, no loss, listed apart only.
COUNTED = (TRANSFER_FEE, "gift", "donation")
GIFT_RULES = (("gift", MARKET_VALUE), ("gift_spouse", NO_GAIN_NO_LOSS), ("donation", MARKET_VALUE))


def _times(amount: Decimal, rate: Fraction) -> Decimal:
    return (amount * rate.numerator / rate.denominator).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def totals(year: int, lines: tuple[Any, ...], income: Mapping[str, Decimal], other: tuple[Any, ...] = ()
           ) -> dict[str, Any]:
    """Schedule 3 style totals: proceeds, ACB, superficial losses denied, net gain, taxable capital gain.

    Network fees, gifts and donations (`other`) are dispositions too and count in the totals.
    """
    rate = INCLUSION_RATE.get(year, DEFAULT_RATE)
    extra = counted(other, COUNTED)
    reported = [r.gain for r in lines] + [o.gain for o in extra]  # gain + adjustment: a denied loss is added back
    net = sum(reported, ZERO)
    out: dict[str, Any] = {
        "dispositions": len(lines),
        "proceeds_of_disposition": sum((r.proceeds for r in lines), ZERO),
        "adjusted_cost_base": sum((r.cost_basis for r in lines), ZERO),
        "gains": sum((g for g in reported if g > 0), ZERO),
        "losses": -sum((g for g in reported if g < 0), ZERO),
        "superficial_losses_denied": sum((r.adjustment for r in lines), ZERO),
        "net_capital_gain": max(net, ZERO),
        "net_capital_loss": max(-net, ZERO),
        "inclusion_rate": f"{rate.numerator}/{rate.denominator}",
        "taxable_capital_gain": _times(max(net, ZERO), rate),
    }
    if extra:
        out["dispositions"] += len(extra)
        out["proceeds_of_disposition"] += sum((o.proceeds for o in extra), ZERO)
        out["adjusted_cost_base"] += sum((o.cost_basis for o in extra), ZERO)
        out["other_dispositions_counted"] = len(extra)
    note = rate_note(INCLUSION_TABLE.note(year))
    if note:
        out["rate_note"] = note
    return out


CA = Country(
    code="ca", name="Canada", currency="CAD", zone="America/Toronto", year_start=(1, 1),
    methods=("acb",), matching=acb.match,
    matching_title="Adjusted cost base (average across all accounts)",
    listing_title="Dispositions (adjusted cost base)",
    method_rule="ITA s47 gives identical properties one average cost (the ACB)",
    holding="No holding period: every capital gain is included at the year's inclusion rate.",
    totals=totals, gift_rules=GIFT_RULES, carryover=losses.ca,
    brought_in=(("loss_carryover", "net_capital_loss"),),
    methodology=(
        ("Adjusted cost base (ITA s.54, s.47)",
         ("All identical properties (units of one cryptoasset) held in all of the taxpayer's accounts share one "
          "adjusted cost base: each acquisition adds its cost (fees included), each disposition takes the average "
          "cost per unit. Outlays and expenses of a disposition (fees) reduce its proceeds.")),
        ("Superficial loss (ITA s.54, s.40(2)(g)(i), s.53(1)(f))",
         ("A loss is denied when the same property was acquired in the period from 30 days before to 30 days "
          "after the disposition and is still held at the end of that period. The part denied is the loss times "
          "the least of the units disposed of, acquired in the period and held at its end, over the units disposed "
          "of. The denied loss is shown as an adjustment (code SL) and added to the adjusted cost base of the "
          "substitute property. A loss is allowed when the property is gone 30 days after the disposition.")),
        ("Inclusion rate (ITA s.38)",
         ("The taxable capital gain is the net capital gain of the year times the inclusion rate: 1/2 for 2024 and "
          "2025. The increase to 2/3 proposed in Budget 2024 for gains realized from 25 June 2024 was cancelled in "
          "March 2025 and is not applied; a later year takes the one half last enacted, with a note. A net capital "
          "loss is not deductible against other income; it carries over to other years' gains.")),
        ("Gifts, spouses and fees (ITA s69(1)(b), s73(1))",
         ("A gift or donation is a disposition at fair market value (s69(1)(b)); a gift to a spouse or common-law "
          "partner (label gift_spouse) rolls over at the adjusted cost base (s73(1)): no gain, no loss. Coins paid "
          "as a network fee on a move between own wallets are a disposition. They are listed apart from sales; "
          "gifts, donations and fees count in the totals, the spouse rollovers (no gain, no loss) do not.")),
        ("Net capital losses (ITA s111(1)(b), s111(1.1))",
         ("A net capital loss of another year is deducted from the year's taxable capital gains, never more than "
          "them, adjusted to the year's inclusion rate; losses are used oldest first. Carrying a loss back up to "
          "three years is an election (form T1A) and is not applied.")),
        ("Income",
         ("Staking and similar receipts are income at fair market value in CAD when received; that value is the "
          "cost of the units received and enters their adjusted cost base.")),
        ("Tax year", "The calendar year, in Canadian (Toronto) local time."),
    ),
)
