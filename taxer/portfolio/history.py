"""The series the portfolio page draws, from the ledger and the cached prices: pure, like `build`.

Net worth at each month end (the last instant of the month in the taxpayer's zone) is what the ledger says was held
then, per asset over all accounts (every crypto leg received, less every one sent or paid as a fee; a balance below
zero, from missing history, counts as none), priced at that instant; a holding without a price there is left out
of that point and named. The quantities need no tax rules, so one pass over the ledger gives every month; the last
point is the portfolio's own total. Realized gain per tax year is the sum of the year's printed sale lines (as its
report prints them); unrealized gain per tax year is that of the engine's holdings at the year's end (or at the
moment, for the year still running): one engine run per tax year.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from taxer.model import FIAT, Kind, Transaction
from taxer.money import cents
from taxer.portfolio.build import ZERO, Inputs, Portfolio, holdings_at
from taxer.reports import form8949

_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Point:
    """Net worth at one instant: `value` of the priced holdings; `missing` names the unpriced ones."""

    at: datetime
    label: str                    # "2024-03" for a month end, the local date for the moment itself
    value: Decimal
    missing: tuple[str, ...]


@dataclass(frozen=True)
class YearGain:
    year: str                     # the country's label
    realized: Decimal
    unrealized: Decimal | None    # None when no holding at the year's end had a price
    unrealized_complete: bool
    at: datetime                  # the instant the unrealized gain is measured at


@dataclass(frozen=True)
class MonthIncome:
    month: str                    # "2024-03", local
    value: Decimal                # cents, of the events with a known value
    events: int
    missing: int                  # events without a known value (warnings in the report)


@dataclass(frozen=True)
class History:
    net_worth: tuple[Point, ...]
    gains: tuple[YearGain, ...]
    income: tuple[MonthIncome, ...]


def month_ends(first: datetime, last: datetime, zone) -> list[datetime]:
    """The last instant of each local month from `first`'s month to the month before `last`'s, then `last`."""
    local = first.astimezone(zone)
    year, month = local.year, local.month
    out = []
    while True:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        end = datetime(year, month, 1, tzinfo=zone).astimezone(UTC) - _MICROSECOND
        if end >= last:
            break
        out.append(end)
    return [*out, last]


def net_worth(inputs: Inputs, txs: Sequence[Transaction], ends: Sequence[datetime], zone) -> list[Point]:
    """The value of what the ledger held at each of `ends` (ascending), in one pass over `txs`."""
    ordered = sorted((tx for tx in txs if tx.kind is not Kind.IGNORED), key=lambda tx: tx.timestamp)
    balance: dict[str, Decimal] = defaultdict(Decimal)
    points, i = [], 0
    currency = inputs.settings.currency
    for end in ends:
        while i < len(ordered) and ordered[i].timestamp <= end:
            tx = ordered[i]
            for leg, sign in ((tx.received, 1), (tx.sent, -1), (tx.fee, -1)):
                if leg is not None and leg.asset not in FIAT:
                    balance[leg.asset] += sign * leg.amount
            i += 1
        value, missing = ZERO, []
        for asset in sorted(balance):
            if balance[asset] <= 0:
                continue
            price = inputs.price(asset, currency, end)
            if price is None:
                missing.append(asset)
            else:
                value += cents(balance[asset] * price)
        points.append(Point(end, end.astimezone(zone).strftime("%Y-%m"), value, tuple(missing)))
    return points


def _unrealized(inputs: Inputs, moment: datetime) -> tuple[Decimal | None, bool]:
    """Unrealized gain of the engine's holdings at `moment` that have a price then (None when none has), and
    whether every holding had one."""
    s = inputs.settings
    quantity: dict[str, Decimal] = defaultdict(Decimal)
    basis: dict[str, Decimal] = defaultdict(Decimal)
    for lot in holdings_at(inputs, moment).holdings:
        quantity[lot.asset] += lot.amount
        basis[lot.asset] += lot.cost_basis
    gain, priced, complete = ZERO, False, True
    for asset in sorted(quantity):
        price = inputs.price(asset, s.currency, moment)
        if price is None:
            complete = complete and not quantity[asset]
            continue
        priced = True
        gain += cents(quantity[asset] * price) - cents(basis[asset])
    return (gain if priced or complete else None), complete


def history(inputs: Inputs, portfolio: Portfolio) -> History:
    """Net worth at month ends, gains per tax year and income per month, up to the portfolio's moment."""
    s, rules, at = inputs.settings, inputs.rules, portfolio.at
    txs = [tx for tx in inputs.transactions if tx.timestamp < at]
    if not txs:
        return History((), (), ())
    zone = s.zone
    first = min(tx.timestamp for tx in txs)
    points = net_worth(inputs, txs, month_ends(first, at, zone)[:-1], zone)
    # The moment itself: the portfolio's own figures, so the chart ends where the page's total stands.
    points.append(Point(at, at.astimezone(zone).date().isoformat(), portfolio.total_value,
                        portfolio.missing_prices))

    result = portfolio.result
    gains = []
    first_year, last_year = rules.year_of(first, s.timezone), rules.year_of(at, s.timezone)
    for year in range(first_year, last_year + 1):
        start, end = rules.bounds(year, s.timezone)
        lines = form8949.lines([d for d in result.disposals if start <= d.disposed_at < end], year,
                               inputs.account_settings, rules.form_box)
        moment = min(end - _MICROSECOND, at)
        if moment == at:
            unrealized, complete = portfolio.unrealized_gain, portfolio.complete
        else:
            unrealized, complete = _unrealized(inputs, moment)
        gains.append(YearGain(rules.label(year), sum((r.gain for r in lines), ZERO), unrealized, complete,
                              moment))

    months: dict[str, list] = defaultdict(lambda: [ZERO, 0, 0])
    for event in result.income:
        key = event.timestamp.astimezone(zone).strftime("%Y-%m")
        entry = months[key]
        entry[1] += 1
        if event.fair_value is None:
            entry[2] += 1
        else:
            entry[0] += cents(event.fair_value)
    if months:  # every month from the first income to the last, so the bars keep time's scale
        first_month, last_month = min(months), max(months)
        y, m = int(first_month[:4]), int(first_month[5:])
        while (key := f"{y:04d}-{m:02d}") <= last_month:
            months.setdefault(key, [ZERO, 0, 0])
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    income = tuple(MonthIncome(k, v[0], v[1], v[2]) for k, v in sorted(months.items()))
    return History(tuple(points), tuple(gains), income)

