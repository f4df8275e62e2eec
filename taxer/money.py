"""Rounding for print: each printed line is rounded to cents half-up, and totals are sums of printed lines.

Every amount is printed from its Decimal exactly: no step here goes through the default decimal context, whose
28 significant digits would round a 40-digit quantity (`Decimal.normalize()` and `quantize` both obey it).
"""

from __future__ import annotations

from decimal import MAX_EMAX, MIN_EMIN, ROUND_HALF_UP, Context, Decimal

CENT = Decimal("0.01")
# Wide enough for any amount a ledger can hold (the store keeps up to 80 characters), so quantize never rounds
# or fails where the default context (28 digits) would.
WIDE = Context(prec=200, Emax=MAX_EMAX, Emin=MIN_EMIN)


class Amount(str):
    """A printed number ('1234.50', '-0.07', '0.5'): CSV writers leave it as it is, where text that starts with
    '-' would be neutralized as a possible spreadsheet formula (taxer.files.cell)."""

    __slots__ = ()


def cents(value: Decimal) -> Decimal:
    """`value` rounded half-up to cents (the form's precision)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP, context=WIDE)


def money(value: Decimal) -> Amount:
    """Cents as a plain decimal string: '1234.50', '-0.07'."""
    rounded = cents(value)
    return Amount(format(abs(rounded) if rounded == 0 else rounded, "f"))  # never '-0.00'


def exact_text(value: Decimal) -> str:
    """An exact decimal without exponent or trailing zeros ('0.5', '12', '-0'), whatever its number of digits.

    The same text as `format(value.normalize(), "f")` for every value of up to 28 significant digits."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def quantity(value: Decimal) -> Amount:
    """An exact quantity without exponent or trailing zeros: '0.5', '12'."""
    return Amount(exact_text(value))


def number(value: Decimal) -> Amount:
    """A decimal printed as it is stored (a price: '0.000012340'), marked as a number for CSV writers."""
    return Amount(format(value, "f"))


# How a currency's amounts are printed for people (summary.txt, report.pdf); machines get `money`'s plain decimals.
CURRENCY_SYMBOLS = {"USD": "$", "CAD": "$", "AUD": "$", "GBP": "£", "EUR": "€"}


def accounting(value: Decimal, currency: str | None = "USD") -> str:
    """Cents as an accountant reads them: '$1,234.56', and a loss in parentheses, '$(3,100.08)'.

    `currency` picks the symbol ($, £, €; another code is printed before the amount, 'CHF 12.00'); None prints
    no symbol ('1,234.56', '(3,100.08)')."""
    rounded = cents(value)
    whole, _, fraction = format(rounded.copy_abs(), "f").partition(".")  # exact: "," formatting obeys the context
    groups = [whole[max(0, end - 3):end] for end in range(len(whole), 0, -3)][::-1]
    digits = ",".join(groups) + "." + fraction
    symbol = "" if currency is None else CURRENCY_SYMBOLS.get(currency.upper(), f"{currency.upper()} ")
    return f"{symbol}({digits})" if rounded < 0 else f"{symbol}{digits}"
