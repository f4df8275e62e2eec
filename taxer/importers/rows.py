"""Strict field parsers shared by the CSV formats. Each raises RowError naming the column and what was expected."""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation

from taxer.model import UTC, Leg


class RowError(Exception):
    """A bad value in one column of one row; the driver adds file and line."""

    def __init__(self, column: str | None, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


def amount(value: str, column: str, *, allow_zero: bool = False) -> Decimal | None:
    """A positive exact decimal, or None for an empty cell."""
    text = value.strip()
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise RowError(column, f"{text!r} is not a number; expected a plain decimal such as 0.015") from None
    if not number.is_finite():
        raise RowError(column, f"{text!r} is not a finite number; expected a plain decimal such as 0.015")
    if number < 0:
        raise RowError(column, f"{text!r} is negative; amounts are positive, the column says the direction")
    if number == 0 and not allow_zero:
        raise RowError(column, f"{text!r} is zero; leave the cell empty when nothing moved")
    return number


def leg(row, amount_col: str, currency_col: str, *, allow_zero: bool = False) -> Leg | None:
    """An (asset, amount) pair from two columns; both or neither must be filled."""
    qty = amount(row.get(amount_col) or "", amount_col, allow_zero=allow_zero)
    asset = (row.get(currency_col) or "").strip().upper()
    if qty is None and not asset:
        return None
    if qty is None:
        raise RowError(amount_col, f"currency {asset} is given in {currency_col!r} but no amount; fill in the "
                                   "amount or clear the currency")
    if not asset:
        raise RowError(currency_col, f"amount {qty} in {amount_col!r} has no currency; fill in the currency "
                                     "symbol (e.g. BTC)")
    if qty == 0:
        return None
    return Leg(asset, qty)


def utc_timestamp(value: str, column: str) -> datetime:
    """A timestamp that says it is UTC ('2024-03-01 14:05:00 UTC', '... 14:05 UTC') or carries an offset (ISO 8601)."""
    text = value.strip()
    if not text:
        raise RowError(column, "is empty; expected a date such as 2024-03-01 14:05:00 UTC")
    if text.endswith(" UTC"):
        body, aware = text[:-4].strip(), False
    elif text.endswith("Z"):
        body, aware = text[:-1], False
    else:
        body, aware = text, True
    try:
        parsed = datetime.fromisoformat(body)
    except ValueError:
        raise RowError(column, f"{text!r} is not a date; expected a date such as 2024-03-01 14:05:00 UTC") from None
    if aware:
        if parsed.tzinfo is None:
            raise RowError(column, f"{text!r} has no time zone; write it in UTC with the suffix ' UTC' "
                                   "(2024-03-01 14:05:00 UTC) or with an offset (2024-03-01T14:05:00+00:00)")
        return parsed.astimezone(UTC)
    if parsed.tzinfo is not None:
        raise RowError(column, f"{text!r} has two time zones; write either ' UTC' or an offset")
    return parsed.replace(tzinfo=UTC)


# "0.001BTC", "1,234.5 USDT": exchanges' amount-with-unit cells; thousands commas only in groups of three.
_WITH_UNIT = re.compile(r"^(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*([A-Z][A-Z0-9]*|[0-9]+[A-Z][A-Z0-9]*)$")


def amount_with_unit(value: str, column: str, *, allow_zero: bool = False) -> Leg | None:
    """A cell holding an amount and its asset ('0.001BTC'); None for an empty cell, or a zero one if allowed."""
    text = value.strip()
    if not text:
        return None
    match = _WITH_UNIT.match(text.upper())
    if match is None:
        raise RowError(column, f"{text!r} is not an amount with its asset; expected a number followed by the "
                               "asset symbol, such as 0.001BTC")
    number = Decimal(match.group(1).replace(",", ""))
    if number == 0:
        if allow_zero:
            return None
        raise RowError(column, f"{text!r} is zero; a trade moves a positive amount")
    return Leg(match.group(2), number)


def plain_datetime(value: str, column: str, formats: tuple[str, ...], zone: tzinfo = UTC) -> datetime:
    """A timestamp without an offset in one of `formats` (strptime), read in `zone` because the file says so."""
    text = value.strip()
    if not text:
        raise RowError(column, f"is empty; expected a date such as {datetime(2024, 3, 1, 14, 5).strftime(formats[0])}")
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=zone).astimezone(UTC)
        except ValueError:
            continue
    example = datetime(2024, 3, 1, 14, 5).strftime(formats[0])
    raise RowError(column, f"{text!r} is not a date in this export's format; expected a date such as {example}")


def signed_amount(value: str, column: str, *, allow_zero: bool = False) -> Decimal:
    """An exact decimal that may be negative (a balance change); non-zero unless `allow_zero`."""
    text = value.strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise RowError(column, f"{text!r} is not a number; expected a signed decimal such as -0.015") from None
    if not number.is_finite():
        raise RowError(column, f"{text!r} is not a finite number; expected a signed decimal such as -0.015")
    if number == 0 and not allow_zero:
        raise RowError(column, f"{text!r} is not a non-zero finite number; expected a signed decimal such as -0.015")
    return number


def choice(row, column: str, allowed: dict[str, object]):
    """The value `allowed` maps the cell to (case-insensitive), else a RowError listing what is accepted."""
    text = (row.get(column) or "").strip()
    try:
        return allowed[text.lower()]
    except KeyError:
        raise RowError(column, f"{text!r} is not one of: {', '.join(sorted(allowed))}") from None
