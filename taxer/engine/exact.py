"""Decimal arithmetic for the engine: sums, differences and products never round; a share is the one division.

`compute` runs inside `EXACT` so that gain == proceeds - cost_basis holds to the last digit and the pieces of
a split lot add back up to its basis. Engine code never uses the `/` operator: a division goes through `share`
or `allocate` (whose last piece takes the exact remainder), or `ratio` for what is only compared.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal
from functools import reduce

ZERO = Decimal(0)

# 200 significant digits is far beyond the spread of magnitudes a ledger holds (18-decimal quantities times
# prices), so additions and multiplications of ledger numbers are exact in practice; Python's default 28 would
# round them.
EXACT = Context(prec=200, Emax=MAX_EMAX, Emin=MIN_EMIN)

# A true division (the basis of part of a lot, the proceeds of part of a sale) keeps 34 significant digits, as
# IEEE decimal128 does; the remainder rule in `allocate` keeps totals exact whatever this precision is.
_SHARE = Context(prec=34, Emax=MAX_EMAX, Emin=MIN_EMIN)


def share(total: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """`total * part / whole`: the share of `total` that `part` of `whole` carries (exact if all of it)."""
    if part == whole:
        return total
    return _SHARE.divide(EXACT.multiply(total, part), whole)


def ratio(numerator: Decimal, denominator: Decimal) -> Decimal:
    """`numerator / denominator` to 34 significant digits, for orderings and unit prices never booked."""
    return _SHARE.divide(numerator, denominator)


def allocate(total: Decimal, parts: Sequence[Decimal], whole: Decimal | None = None) -> list[Decimal]:
    """Split `total` over quantities `parts` (adding up to `whole`) pro rata; the last takes the remainder."""
    if len(parts) == 1:
        return [total]
    if whole is None:
        whole = reduce(EXACT.add, parts, ZERO)
    multiply, divide = EXACT.multiply, _SHARE.divide  # inlined `share`: this runs once per disposal row
    pieces = [divide(multiply(total, part), whole) for part in parts[:-1]]
    pieces.append(EXACT.subtract(total, reduce(EXACT.add, pieces, ZERO)))
    return pieces


def quantity(amount: Decimal) -> str:
    """A quantity or amount as plain text for a warning message (no exponent, no trailing zeros)."""
    text = format(amount, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"
