"""Strict field parsers shared by the CSV formats. Each raises RowError naming the column and what was expected.

Asset codes are checked where they enter (taxer.model.names.check_asset): a cell such as `=HYPERLINK(...)`,
`@SUM(A1)` or `-2+3` is refused naming its file, line and column, not later by the store with the line alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation

from taxer.model import UTC, Kind, Leg
from taxer.model.names import NameProblem, check_asset

# Years a ledger time may have: older or later ones are typing errors, and near year 1 or 9999 a time zone
# shift leaves the calendar (datetime overflows).
FIRST_YEAR, LAST_YEAR = 1970, 2200
# Exponents beyond this are no amounts anyone moved: '1e999999999' would be a billion digits written out.
MAX_EXPONENT = 40


class RowError(Exception):
    """A bad value in one column of one row; the driver adds file and line."""

    def __init__(self, column: str | None, message: str, *, part: object = None) -> None:
        super().__init__(message)
        self.column = column
        self.message = message
        self.part = part   # for a `combine` error: the Part whose row is at fault (else the group's first)


@dataclass(frozen=True, slots=True)
class Skip:
    """What a row parser returns for a row that holds nothing for the ledger, and why (counted in the summary)."""

    reason: str


@dataclass(frozen=True, slots=True)
class Part:
    """One row of a record the file spreads over several rows (a Binance statement's trade: one row per coin).

    Consecutive parts with the same `key` are handed together to the format's `combine`."""

    key: str
    operation: str
    leg: Leg
    role: str        # "sent", "received" or "fee"
    fields: dict     # the record's other fields (timestamp, description)


# What a number cell may hold: ASCII digits, one optional sign, point and exponent (Decimal alone would also take
# '1_000', other scripts' digits and 'Infinity').
_DECIMAL = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")


def _decimal(text: str, column: str, example: str) -> Decimal:
    if not _DECIMAL.match(text):
        if text.lower().lstrip("+-") in ("nan", "snan", "inf", "infinity"):
            raise RowError(column, f"{text!r} is not a finite number; expected a plain decimal such as {example}")
        raise RowError(column, f"{text!r} is not a number; expected a plain decimal such as {example}")
    try:
        number = Decimal(text)   # the pattern admits finite decimals only
    except InvalidOperation:
        raise RowError(column, f"{text!r} is not a number; expected a plain decimal such as {example}") from None
    # Without an exponent, a text of at most MAX_EXPONENT characters has fewer digits before or zeros after the
    # point than the range allows: only longer ones or exponents need the check (every cell of a big file passes).
    if (len(text) > MAX_EXPONENT or "e" in text or "E" in text) and number \
            and not -MAX_EXPONENT <= number.adjusted() <= MAX_EXPONENT:
        raise RowError(column, f"{text!r} is out of the range taxer reads (1e-{MAX_EXPONENT} to 1e{MAX_EXPONENT}); "
                               "check the cell")
    return number


# A number with thousands separators: a comma before each group of three digits, never after a leading 0
# ('0,001' is a decimal comma or a typing error, not one thousand).
_GROUPED = re.compile(r"^[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?$")


def grouped_number(text: str, column: str) -> str:
    """`text` without its thousands separators ('62,000.00' -> '62000.00'); a comma anywhere else is refused."""
    if "," not in text:
        return text
    if _GROUPED.match(text):
        return text.replace(",", "")
    raise RowError(column, f"{text!r} is ambiguous: its comma is not a thousands separator before groups of "
                           "three digits (a decimal comma?); export the file again with '.' as the decimal mark")


def amount(value: str, column: str, *, allow_zero: bool = False) -> Decimal | None:
    """A positive exact decimal, or None for an empty cell."""
    text = value.strip()
    if not text:
        return None
    number = _decimal(text, column, "0.015")
    if number < 0:
        raise RowError(column, f"{text!r} is negative; amounts are positive, the column says the direction")
    if number == 0 and not allow_zero:
        raise RowError(column, f"{text!r} is zero; leave the cell empty when nothing moved")
    return number


def asset(value: str, column: str | None, *, upper: bool = True) -> str:
    """The asset code a cell holds (upper-cased unless `upper` is False), if it is one taxer accepts
    (taxer.model.names), else a RowError naming the column; "" for an empty cell (the caller says what it needs)."""
    code = value.strip().upper() if upper else value.strip()
    if not code:
        return ""
    try:
        return check_asset(code)
    except NameProblem as exc:
        raise RowError(column, str(exc)) from None


def _column_of(code: str, row) -> str | None:
    """The column whose cell holds `code`: the cell that is it, else the first that contains it."""
    cells = [(name, (text or "").strip()) for name, text in row.items()]
    wanted = code.strip().upper()
    exact = [name for name, text in cells if text.upper() == wanted]
    if exact:
        return exact[0]
    return next((name for name, text in cells if wanted and wanted in text.upper()), None)


def check_assets(fields: object, row) -> None:
    """Every asset code of a parsed row's legs (a record's fields, or a Part's), checked: a row parser that read
    its asset without `asset` still has a bad code refused naming the column it came from."""
    if isinstance(fields, Part):
        values = [fields.leg, *fields.fields.values()]
    elif isinstance(fields, dict):   # a record's legs can only be these (Transaction's and stored_values' fields)
        values = [fields.get("sent"), fields.get("received"), fields.get("fee")]
    else:
        return
    for value in values:
        if isinstance(value, Leg):
            try:
                check_asset(value.asset)
            except NameProblem as exc:
                raise RowError(_column_of(value.asset, row), str(exc)) from None


def leg(row, amount_col: str, currency_col: str, *, allow_zero: bool = False) -> Leg | None:
    """An (asset, amount) pair from two columns; both or neither must be filled; the asset a valid code."""
    qty = amount(row.get(amount_col) or "", amount_col, allow_zero=allow_zero)
    code = (row.get(currency_col) or "").strip()
    if qty is None and not code:
        return None
    asset_ = asset(code, currency_col)
    if qty is None:
        raise RowError(amount_col, f"currency {asset_} is given in {currency_col!r} but no amount; fill in the "
                                   "amount or clear the currency")
    if not asset_:
        raise RowError(currency_col, f"amount {qty} in {amount_col!r} has no currency; fill in the currency "
                                     "symbol (e.g. BTC)")
    if qty == 0:
        return None
    return Leg(asset_, qty)


# How the user says a file's day-first or month-first dates read (`taxer import csv --date-format`): set for the
# duration of one file's parse (also in its worker processes).
DATE_ORDERS = {"DD/MM/YYYY": "DMY", "MM/DD/YYYY": "MDY", "YYYY-MM-DD": "YMD"}
date_order: str | None = None
_SPREADSHEET = re.compile(r"^(\d{1,4})([/.-])(\d{1,2})\2(\d{2,4})(?: +(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?"
                          r"\s*([AaPp][Mm])?)?$")


def _spreadsheet(text: str, column: str) -> datetime | None:
    """A spreadsheet's date style ('01/03/2024 14:05', '3/1/24 2:05 PM', '2024/03/01 14:05:00') as a naive time;
    None when `text` is not one. A day and month that could be either way need `date_order`."""
    match = _SPREADSHEET.match(text)
    if match is None:
        return None
    a, _sep, b, c, hh, mm, ss, frac, ampm = match.groups()
    if len(a) == 4:
        year, month, day = int(a), int(b), int(c)
    elif len(a) <= 2:
        year = int(c) + (2000 if len(c) == 2 else 0)
        first, second = int(a), int(b)
        order = date_order if date_order in ("DMY", "MDY") else None
        if order is None:
            if first > 12 or first == second:
                order = "DMY"
            elif second > 12:
                order = "MDY"
            else:
                raise RowError(column, f"{text!r} is ambiguous: day/month or month/day? Say which with "
                                       "--date-format DD/MM/YYYY or --date-format MM/DD/YYYY")
        day, month = (first, second) if order == "DMY" else (second, first)
    else:
        return None
    hour = int(hh or 0)
    if ampm:
        if not 1 <= hour <= 12:
            raise RowError(column, f"{text!r} is not a time: {hour} with {ampm.upper()}")
        hour = hour % 12 + (12 if ampm.lower() == "pm" else 0)
    try:
        return datetime(year, month, day, hour, int(mm or 0), int(ss or 0), int((frac or "0").ljust(6, "0")))
    except ValueError as exc:
        raise RowError(column, f"{text!r} is not a date ({exc})") from None


def checked_time(when: datetime, column: str | None, text: str) -> datetime:
    """`when` in UTC, if its year is one taxer reads; the shift to UTC must stay in the calendar."""
    try:
        utc = when.astimezone(UTC) if when.tzinfo is not None else when.replace(tzinfo=UTC)
    except OverflowError:
        utc = None
    if utc is None or not FIRST_YEAR <= utc.year <= LAST_YEAR:
        raise RowError(column, f"{text!r} is outside the years taxer reads ({FIRST_YEAR} to {LAST_YEAR}); check "
                               "the date")
    return utc


def _naive_or_aware(body: str, column: str) -> datetime | None:
    try:
        return datetime.fromisoformat(body)
    except ValueError:
        return _spreadsheet(body, column)


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
    parsed = _naive_or_aware(body, column)
    if parsed is None:
        raise RowError(column, f"{text!r} is not a date; expected a date such as 2024-03-01 14:05:00 UTC")
    if aware:
        if parsed.tzinfo is None:
            raise RowError(column, f"{text!r} has no time zone; write it in UTC with the suffix ' UTC' "
                                   "(2024-03-01 14:05:00 UTC) or with an offset (2024-03-01T14:05:00+00:00)")
        return checked_time(parsed, column, text)
    if parsed.tzinfo is not None:
        raise RowError(column, f"{text!r} has two time zones; write either ' UTC' or an offset")
    return checked_time(parsed, column, text)


def naive_time(value: str, column: str, zone: tzinfo = UTC, example: str = "2024-03-01 14:05:00") -> datetime:
    """A time the file writes without an offset (ISO 8601 or a spreadsheet style), read in `zone`; an offset in
    the cell wins."""
    text = value.strip()
    if not text:
        raise RowError(column, f"is empty; expected a date such as {example}")
    parsed = _naive_or_aware(text.removesuffix(" UTC").removesuffix("Z") if zone is UTC else text, column)
    if parsed is None:
        raise RowError(column, f"{text!r} is not a date; expected a date such as {example}")
    return checked_time(parsed if parsed.tzinfo else parsed.replace(tzinfo=zone), column, text)


# "0.001BTC", "1,234.5 USDT", "2,500,0001000SATS": exchanges' amount-with-unit cells.
_NUMBER = re.compile(r"^[0-9][0-9,]*(?:\.[0-9]+)?$")
_UNIT = re.compile(r"^([0-9][0-9,]*(?:\.[0-9]+)?)\s*([A-Z][A-Z0-9]*)$")


def amount_with_unit(value: str, column: str, *, allow_zero: bool = False, assets: tuple[str, ...] = ()
                     ) -> Leg | None:
    """A cell holding an amount and its asset ('0.001BTC'); None for an empty cell, or a zero one if allowed.

    An asset that begins with digits glues onto the number ('2,5001000SATS'): the `assets` the row names (its
    pair's) are tried first, so the cut is where the file says the asset starts; otherwise the asset is the letters
    at the end."""
    text = value.strip().upper()
    if not text:
        return None
    if re.match(r"^[+-]?0X[0-9A-F]", text):  # '0x10BTC' is no amount (else read as 0 of asset 'X10BTC')
        raise RowError(column, f"{value.strip()!r} is not an amount with its asset; expected a decimal number "
                               "followed by the asset symbol, such as 0.001BTC")
    number_text = unit = None
    for candidate in sorted(assets, key=len, reverse=True):
        head = text[:-len(candidate)].strip() if candidate and text.endswith(candidate) else ""
        if _NUMBER.match(head):
            number_text, unit = head, candidate
            break
    if unit is None:
        match = _UNIT.match(text)
        if match is None:
            raise RowError(column, f"{value.strip()!r} is not an amount with its asset; expected a number followed "
                                   "by the asset symbol, such as 0.001BTC")
        number_text, unit = match.groups()
    number = _decimal(grouped_number(number_text, column), column, "0.001")
    if number == 0:
        if allow_zero:
            return None
        raise RowError(column, f"{value.strip()!r} is zero; a trade moves a positive amount")
    return Leg(asset(unit, column), number)


def plain_datetime(value: str, column: str, formats: tuple[str, ...], zone: tzinfo = UTC) -> datetime:
    """A timestamp without an offset in one of `formats` (strptime) or a spreadsheet's style, read in `zone`
    because the file says so."""
    text = value.strip()
    example = datetime(2024, 3, 1, 14, 5).strftime(formats[0])
    if not text:
        raise RowError(column, f"is empty; expected a date such as {example}")
    for fmt in formats:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return checked_time(parsed.replace(tzinfo=zone), column, text)
    parsed = _spreadsheet(text, column)
    if parsed is None:
        raise RowError(column, f"{text!r} is not a date in this export's format; expected a date such as {example}")
    return checked_time(parsed.replace(tzinfo=zone), column, text)


def signed_amount(value: str, column: str, *, allow_zero: bool = False) -> Decimal:
    """An exact decimal that may be negative (a balance change); non-zero unless `allow_zero`."""
    text = value.strip()
    number = _decimal(text, column, "-0.015")
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


def _sums(parts: list[Part], role: str) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for p in parts:
        if p.role == role:
            out[p.leg.asset] = out.get(p.leg.asset, Decimal(0)) + p.leg.amount
    return out


def one_trade(parts: list[Part]) -> dict | None:
    """The trade `parts` make when they hold one coin out, one coin in and at most one fee coin (fills summed);
    None otherwise. The fields of the first part come along."""
    sent, received, fee = _sums(parts, "sent"), _sums(parts, "received"), _sums(parts, "fee")
    if len(sent) != 1 or len(received) != 1 or len(fee) > 1 or set(sent) == set(received):
        return None
    fee_leg = Leg(*next(iter(fee.items()))) if fee else None
    return dict(parts[0].fields, kind=Kind.TRADE, sent=Leg(*next(iter(sent.items()))),
                received=Leg(*next(iter(received.items()))), fee=fee_leg)


def combine_trades(parts: list[Part], *, pairwise: bool = False) -> list[tuple[list[Part], dict]]:
    """Rows of one moment as trades: one when they hold one coin out and one in; with `pairwise`, consecutive
    pairs (a conversion of several coins, listed coin by coin); anything else is refused, since which amounts
    belong together is not in the file."""
    whole = one_trade(parts)
    if whole is not None:
        return [(parts, whole)]
    if pairwise and len(parts) % 2 == 0:
        pairs = [parts[i:i + 2] for i in range(0, len(parts), 2)]
        trades = [one_trade(pair) for pair in pairs]
        if all(trades):
            return list(zip(pairs, trades))
    sides = {role: sorted(_sums(parts, role)) for role in ("sent", "received", "fee")}
    when = parts[0].fields["timestamp"]
    if not sides["sent"] or not sides["received"]:
        missing = "coin paid" if not sides["sent"] else "coin received"
        raise RowError(None, f"the trade rows of {when:%Y-%m-%d %H:%M:%S} have no {missing}; a trade needs both: "
                             "the file looks cut or edited", part=parts[0])
    raise RowError(None, f"the trade rows of {when:%Y-%m-%d %H:%M:%S} hold more than one trade (out: "
                         f"{', '.join(sides['sent'])}; in: {', '.join(sides['received'])}; fee: "
                         f"{', '.join(sides['fee']) or '-'}) and the file does not say which amounts belong "
                         "together; import the exchange's trade history for these trades instead", part=parts[0])
