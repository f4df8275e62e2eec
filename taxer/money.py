"""Rounding for print: each printed line is rounded to cents half-up, and totals are sums of printed lines."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    """`value` rounded half-up to cents (the form's precision)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money(value: Decimal) -> str:
    """Cents as a plain decimal string: '1234.50', '-0.07'."""
    rounded = cents(value)
    return format(abs(rounded) if rounded == 0 else rounded, "f")  # never '-0.00'


def quantity(value: Decimal) -> str:
    """An exact quantity without exponent or trailing zeros: '0.5', '12'."""
    return format(value.normalize(), "f")
