"""Books that record the valued acquisitions and disposals instead of matching them lot by lot.

Countries whose rules match a disposal with acquisitions made after it (the UK's 30-day rule, Canada's
superficial-loss rule) cannot match as the ledger is read. The engine's handlers still classify and value every
transaction exactly as for lot methods; `EventBooks` keeps what they decide as `Event`s per asset, and a
country's matching function (taxer.engine.uk, taxer.engine.acb) turns them into the same `Disposal` records.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

from taxer.engine.books import Books, Moment, Row
from taxer.engine.exact import ZERO
from taxer.engine.exact import quantity as q
from taxer.engine.pools import OpenLot
from taxer.engine.records import Disposal, Lot

ACQUIRE, DISPOSE, REMOVE = 0, 1, 2


class Event:
    """One valued movement of an asset: an acquisition (cost), a disposal (net proceeds and selling fee), or
    coins leaving the books without a disposal (an unexplained withdrawal).

    `flagged` marks an unknown basis (acquisition) or an unknown value (disposal). A disposal's `value` is None
    when it is made at no gain and no loss (its proceeds are whatever cost the matching gives it).
    """

    __slots__ = ("account", "amount", "category", "fee", "flagged", "kind", "m", "value")

    def __init__(self, kind: int, m: Moment, account: str, amount: Decimal, value: Decimal | None, fee: Decimal,
                 category: str, flagged: bool) -> None:
        self.kind = kind
        self.m = m
        self.account = account
        self.amount = amount
        self.value = value
        self.fee = fee
        self.category = category
        self.flagged = flagged

    @property
    def date(self) -> date:
        """The calendar date in the taxpayer's time zone."""
        return self.m.date


class EventBooks(Books):
    """`Books` over one universal pool that keep events for a country's matching, run once the ledger is read.

    It follows the quantity held per asset, so a disposal or withdrawal beyond it raises the same `oversold`
    warning as under lot methods. Rows and warnings at or after `until` (microseconds) are dropped: the ledger
    is read up to 30 days further only so that later acquisitions can be matched.
    """

    def __init__(self, until: int | None, long_after: Callable[[date], date]) -> None:
        super().__init__(per_account=False, long_after=long_after)
        self.until = until
        self.events: dict[str, list[Event]] = {}
        self.held: dict[str, Decimal] = {}

    def kept(self, m: Moment, rows: list[Row]) -> list[Row]:
        if self.until is not None and m.t >= self.until:
            return []
        return super().kept(m, rows)

    def warn(self, code: str, message: str, m: Moment | tuple[int | None, ...], account: str | None = None,
             asset: str | None = None, amount: Decimal | None = None) -> None:
        if isinstance(m, Moment) and self.until is not None and m.t >= self.until:
            return
        super().warn(code, message, m, account, asset, amount)

    def _event(self, asset: str, event: Event) -> None:
        events = self.events.get(asset)
        if events is None:
            events = self.events[asset] = []
        events.append(event)

    # No `acquired`: a supplied basis (Overrides.basis) under a country's matching raises TypeError here. A
    # known gap, kept as it is while only types are checked (mypy reports it as this override).
    def acquire(self, m: Moment, account: str, asset: str, amount: Decimal, cost: Decimal,
                basis_missing: bool = False, acquired: tuple[datetime, date, int] | None = None) -> None:
        """An acquisition into the asset's pool at `m`. A user-supplied earlier acquisition date (`acquired`, for
        coins that arrived by deposit) does not move the event: the pool (Section 104, ACB) takes the cost when the
        coins arrive in the ledger, which is also where the same-day and 30-day windows look for them."""
        self._event(asset, Event(ACQUIRE, m, account, amount, cost, ZERO, "", basis_missing))
        self.held[asset] = self.held.get(asset, ZERO) + amount

    def _take(self, asset: str, amount: Decimal) -> Decimal:
        """Lower the quantity held by `amount`; the quantity that was lacking."""
        held = self.held.get(asset, ZERO)
        if held >= amount:
            self.held[asset] = held - amount
            return ZERO
        self.held[asset] = ZERO
        return amount - held

    def remove(self, m: Moment, account: str, asset: str, amount: Decimal) -> tuple[list[OpenLot], Decimal]:
        self._event(asset, Event(REMOVE, m, account, amount, ZERO, ZERO, "", False))
        return [], self._take(asset, amount)

    def dispose(self, m: Moment, account: str, asset: str, amount: Decimal, proceeds: Decimal | None,
                category: str, value_missing: bool = False, fee: Decimal = ZERO) -> None:
        self._event(asset, Event(DISPOSE, m, account, amount, proceeds, fee, category, value_missing))
        short = self._take(asset, amount)
        if short:
            self.warn("oversold", f"{m.where()}: disposes of {q(amount)} {asset} but only "
                      f"{q(amount - short)} were held{self.where_held(account)}; the missing {q(short)} "
                      f"{asset} are counted with zero cost basis and flagged.", m, account, asset, short)

    def rows_for(self, m: Moment, out: list[Disposal]) -> list[Disposal] | None:
        """Where a disposal row at `m` goes: `out` when it belongs in the result (from `keep_from`, before
        `until`), the earlier rows when it comes before `keep_from` and they are asked for (`earlier`), else
        nowhere (None)."""
        t = m.t
        if self.until is not None and t >= self.until:
            return None
        if self.keep_from is None or t >= self.keep_from:
            return out
        return self.early_disposals if self.earlier is not None else None


def match_assets(books: EventBooks, stop: date | None,
                 match_asset: Callable[..., Lot | None]) -> tuple[list[Disposal], list[Lot]]:
    """A country's matching run asset by asset: `match_asset(asset, events, books, stop, out)` appends the
    asset's kept disposals to `out` and returns what is held on local day `stop`. Holdings sorted by asset."""
    disposals: list[Disposal] = []
    holdings: list[Lot] = []
    for asset, events in books.events.items():
        held = match_asset(asset, events, books, stop, disposals)
        if held is not None:
            holdings.append(held)
        if books.earlier is not None:
            books.hand_on()  # the asset's earlier rows out at once, not the whole history's at the end
    return disposals, sorted(holdings, key=lambda lot: lot.asset)
