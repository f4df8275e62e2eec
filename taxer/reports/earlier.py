"""The earlier tax years a report's loss carryover reads, finished one at a time as the engine hands their rows on.

The carryover takes each earlier year's figures as that year's own report prints them (`Country.loss_basis` of its
sale lines, income by type and other disposals), so the rounding is the printed lines': each piece rounded to cents
half-up, its gain the difference of the rounded figures. Those figures need only a few fields of a line, so each
piece becomes a small `Piece` with exactly them instead of a whole `Form8949Line` (its text, box, flags, sorting):
the same sums, a fraction of the work. A year's pieces are dropped as soon as its figures are made, so a long
history holds one earlier year's pieces at a time (under lot methods; a country's own matching hands its rows on
per asset, so its years finish once every asset is matched).

tests/reports/test_earlier.py checks that the figures equal those of each earlier year's own view (`build_view`
over a run of the whole history, the way reports took them before).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any, NamedTuple

from taxer.engine import Disposal, IncomeEvent
from taxer.engine.records import SALE
from taxer.money import CENT, WIDE, cents

ZERO = Decimal("0.00")
NO_ADJUSTMENT = Disposal.__dataclass_fields__["adjustment"].default  # the engine's zero, shared by most rows
# (year, sale pieces, income by type, other pieces) -> the figures the carryover reads (Country.loss_basis)
LossBasis = Callable[..., Mapping[str, Any]]


class Piece(NamedTuple):
    """The fields of a printed line the countries' totals read: a sale line's (date_sold set) or an other
    disposal's (date_sold empty, so `taxer.countries.tables.sold_on` reads date_disposed; no matching rule)."""

    term: str
    asset: str
    proceeds: Decimal      # cents
    cost_basis: Decimal    # cents
    adjustment: Decimal    # cents
    gain: Decimal          # proceeds - cost_basis + adjustment, of the rounded figures
    date_sold: str
    date_disposed: str
    rule: str
    category: str


class EarlierYears:
    """Receives the rows before the report's year (taxer.engine.EarlierRows) and keeps, per earlier tax year,
    only its figures (`loss_basis`). `periods` are the years' (year, start, end), oldest first and contiguous."""

    def __init__(self, periods: Sequence[tuple[int, datetime, datetime]], loss_basis: LossBasis) -> None:
        self.periods = list(periods)
        self.starts = [start for _, start, _ in self.periods]
        self.loss_basis = loss_basis
        self.sales: list[list[Piece]] = [[] for _ in self.periods]
        self.other: list[list[Piece]] = [[] for _ in self.periods]
        self.income_by_type: list[dict[str, Decimal]] = [{} for _ in self.periods]
        self.done: list[Mapping[str, Any] | None] = [None] * len(self.periods)
        self._days: dict[date, str] = {}

    def marks(self) -> list[datetime]:
        """The instants after which a year is complete: each earlier year's end."""
        return [end for _, _, end in self.periods]

    def _index(self, at: datetime) -> int:
        """The period holding `at`, or -1 when it is before the first or at or after the last one's end."""
        if not self.periods or at < self.starts[0] or at >= self.periods[-1][2]:
            return -1
        return bisect_right(self.starts, at) - 1

    def _open(self, n: int) -> None:
        if self.done[n] is not None:
            raise RuntimeError(f"a row of tax year {self.periods[n][0]} came after that year was finished")

    def disposals(self, rows: list[Disposal]) -> None:
        # The hot loop of a long history's report (every earlier row passes here): rows come in time order
        # mostly, so the period found last is tried first, and cents are rounded inline (taxer.money.cents).
        days = self._days
        quantize, new = Decimal.quantize, tuple.__new__
        n, start, end = -1, None, None
        sales: list[Piece] = []
        other: list[Piece] = []
        with localcontext(WIDE):
            for d in rows:
                at = d.disposed_at
                if start is None or end is None or not start <= at < end:
                    n = self._index(at)
                    if n < 0:
                        start = end = None
                        continue
                    self._open(n)
                    _, start, end = self.periods[n]
                    sales, other = self.sales[n], self.other[n]
                day = d.disposed_date or at.date()
                text = days.get(day)
                if text is None:
                    text = days[day] = day.isoformat()
                proceeds = quantize(d.proceeds, CENT, ROUND_HALF_UP, WIDE)
                basis = quantize(d.cost_basis, CENT, ROUND_HALF_UP, WIDE)
                # tuple.__new__: a third of the cost of Piece(...), which goes through a Python-level __new__
                if d.category == SALE:
                    if d.adjustment is NO_ADJUSTMENT:  # most pieces: the default, which rounds to 0.00
                        adjustment, gain = ZERO, proceeds - basis
                    else:
                        adjustment = quantize(d.adjustment, CENT, ROUND_HALF_UP, WIDE)
                        gain = proceeds - basis + adjustment
                    sales.append(new(Piece, (d.term, d.asset, proceeds, basis, adjustment, gain, text, text, d.rule,
                                             SALE)))
                else:
                    other.append(new(Piece, (d.term, d.asset, proceeds, basis, ZERO, proceeds - basis, "", text, "",
                                             d.category)))

    def income(self, rows: list[IncomeEvent]) -> None:
        with localcontext(WIDE):
            for i in rows:
                n = self._index(i.timestamp)
                if n < 0:
                    continue
                self._open(n)
                by_type = self.income_by_type[n]
                by_type[i.type] = by_type.get(i.type, ZERO) + (ZERO if i.fair_value is None else cents(i.fair_value))

    def reached(self, at: datetime) -> None:
        for n, (_, _, end) in enumerate(self.periods):
            if end <= at and self.done[n] is None:
                self._finish(n)

    def _finish(self, n: int) -> None:
        year = self.periods[n][0]
        income = dict(sorted(self.income_by_type[n].items()))
        self.done[n] = self.loss_basis(year, tuple(self.sales[n]), income, other=tuple(self.other[n]))
        self.sales[n], self.other[n], self.income_by_type[n] = [], [], {}

    def figures(self) -> tuple[tuple[int, Mapping[str, Any]], ...]:
        """(year, its loss_basis) of every earlier year, oldest first (finishing any not yet reached)."""
        for n, figures in enumerate(self.done):
            if figures is None:
                self._finish(n)
        return tuple((year, figures) for (year, _, _), figures in zip(self.periods, self.done)
                     if figures is not None)
