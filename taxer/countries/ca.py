"""Canada (CRA): adjusted cost base across all accounts, the superficial-loss rule, the inclusion rate."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from taxer.countries.base import Country
from taxer.engine import acb

# Capital gains inclusion rate by calendar year (ITA s.38(a)). The increase to 2/3 proposed in Budget 2024 for
# gains from 25 June 2024 was cancelled on 21 March 2025 and never enacted: 1/2 for 2024 and 2025.
INCLUSION_RATE = {2023: Fraction(1, 2), 2024: Fraction(1, 2), 2025: Fraction(1, 2)}
DEFAULT_RATE = Fraction(1, 2)  # in force since 2001
ZERO = Decimal("0.00")


def _times(amount: Decimal, rate: Fraction) -> Decimal:
    return (amount * rate.numerator / rate.denominator).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def totals(year: int, lines: tuple[Any, ...], income: Mapping[str, Decimal]) -> dict[str, Any]:
    """Schedule 3 style totals: proceeds, ACB, superficial losses denied, net gain, taxable capital gain."""
    rate = INCLUSION_RATE.get(year, DEFAULT_RATE)
    reported = [r.gain for r in lines]  # gain + adjustment: a denied loss is added back
    net = sum(reported, ZERO)
    return {
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


CA = Country(
    code="ca", name="Canada", currency="CAD", zone="America/Toronto", year_start=(1, 1),
    methods=("acb",), matching=acb.match,
    matching_title="Adjusted cost base (average across all accounts)",
    listing_title="Dispositions (adjusted cost base)",
    holding="No holding period: every capital gain is included at the year's inclusion rate.",
    totals=totals,
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
          "March 2025 and is not applied. A net capital loss is not deductible against other income; it carries "
          "over to other years' gains.")),
        ("Income",
         ("Staking and similar receipts are income at fair market value in CAD when received; that value is the "
          "cost of the units received and enters their adjusted cost base.")),
        ("Tax year", "The calendar year, in Canadian (Toronto) local time."),
    ),
)
