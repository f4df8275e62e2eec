"""The series the portfolio page draws, from the ledger and the cached prices: pure, like `build`.

Net worth is the value of the engine's holdings at each month end (the last instant of the month in the taxpayer's
zone), priced at that instant; a holding without a price there is left out of that point and named. Realized gain
per tax year is the sum of the year's printed sale lines (as its report prints them); unrealized gain per tax
year is that of the holdings at the year's end (or at the moment, for the year still running).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from taxer.money import cents
from taxer.portfolio.build import ZERO, Inputs, Portfolio, holdings_at
from taxer.reports import form8949

_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Point:
    """Holdings valued at one instant: `value` of the priced ones, `cost_basis` of all, `missing` the unpriced."""

    at: datetime
    label: str                    # "2024-03" for a month end, the local date otherwise
    value: Decimal
    cost_basis: Decimal
    missing: tuple[str, ...]
    priced_cost_basis: Decimal = ZERO   # of the priced holdings: value - priced_cost_basis is unrealized

    @property
    def unrealized(self) -> Decimal | None:
        """Unrealized gain of the priced holdings; None when holdings exist and none is priced."""
        if self.missing and self.value == ZERO and self.priced_cost_basis == ZERO:
            return None
        return self.value - self.priced_cost_basis


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


class _Snapshots:
    """Holdings valued at instants, each instant computed once."""

    def __init__(self, inputs: Inputs) -> None:
        self.inputs = inputs
        self.cache: dict[datetime, Point] = {}

    def at(self, moment: datetime, label: str) -> Point:
        found = self.cache.get(moment)
        if found is None:
            s = self.inputs.settings
            result = holdings_at(self.inputs, moment)
            quantity: dict[str, Decimal] = defaultdict(Decimal)
            basis: dict[str, Decimal] = defaultdict(Decimal)
            for lot in result.holdings:
                quantity[lot.asset] += lot.amount
                basis[lot.asset] += lot.cost_basis
            value, priced_basis, missing = ZERO, ZERO, []
            for asset in sorted(quantity):
                price = self.inputs.price(asset, s.currency, moment)
                if price is None:
                    if quantity[asset]:
                        missing.append(asset)
                else:
                    value += cents(quantity[asset] * price)
                    priced_basis += cents(basis[asset])
            found = self.cache[moment] = Point(moment, label, value, sum((cents(b) for b in basis.values()), ZERO),
                                               tuple(missing), priced_basis)
        return found if found.label == label else replace(found, label=label)


def history(inputs: Inputs, portfolio: Portfolio) -> History:
    """Net worth at month ends, gains per tax year and income per month, up to the portfolio's moment."""
    s, rules, at = inputs.settings, inputs.rules, portfolio.at
    txs = [tx for tx in inputs.transactions if tx.timestamp < at]
    if not txs:
        return History((), (), ())
    snaps = _Snapshots(inputs)
    zone = s.zone
    first = min(tx.timestamp for tx in txs)
    points = []
    for end in month_ends(first, at, zone):
        label = end.astimezone(zone).strftime("%Y-%m") if end != at else at.astimezone(zone).date().isoformat()
        points.append(snaps.at(end, label))

    result = portfolio.result
    gains = []
    first_year, last_year = rules.year_of(first, s.timezone), rules.year_of(at, s.timezone)
    for year in range(first_year, last_year + 1):
        start, end = rules.bounds(year, s.timezone)
        lines = form8949.lines([d for d in result.disposals if start <= d.disposed_at < end], year,
                               inputs.account_settings, rules.form_box)
        moment = min(end - _MICROSECOND, at)
        point = snaps.at(moment, rules.label(year))
        gains.append(YearGain(rules.label(year), sum((r.gain for r in lines), ZERO), point.unrealized,
                              not point.missing, moment))

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

