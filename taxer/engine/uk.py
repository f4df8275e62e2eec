"""UK matching of disposals with acquisitions (HMRC Cryptoassets Manual CRYPTO22200 series, TCGA 1992 s104-106A).

Per asset, and per calendar day in UK local time, all acquisitions are one acquisition and all disposals one
disposal. A day's disposal is matched first with that day's acquisitions (same-day rule, s105(1)), then with
acquisitions in the 30 days after it, earliest first (the "bed and breakfast" rule, s106A(5)), then with the
Section 104 pool at its average cost (s104). The same-day rule has priority over the 30-day rule, so every day's
same-day matches are made before any 30-day match; 30-day matches go in the order of the disposals.

A day's matched pieces are shared among its disposal transactions pro rata to quantity, so every row still names
its transaction. Proceeds are gross and the selling fee is an allowable cost, as HMRC's summary takes them.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal

from taxer.engine.events import ACQUIRE, DISPOSE, Event, EventBooks, match_assets
from taxer.engine.exact import ZERO, allocate, share
from taxer.engine.records import POOL, SAME_DAY, SHORT, THIRTY_DAY, Disposal, Lot

WINDOW = timedelta(days=30)
POOL_ACCOUNT = "section 104 pool"  # the account holdings are shown under: the pool spans all accounts


class _Acquired:
    """All acquisitions of one asset on one day; `left`/`cost_left` is what no disposal matched yet."""

    __slots__ = ("cost", "cost_left", "first", "flagged", "left")

    def __init__(self, first: Event) -> None:
        self.first = first
        self.left = ZERO
        self.cost = ZERO
        self.cost_left = ZERO
        self.flagged = False


class _Disposed:
    """All disposals (and withdrawals leaving the books) of one asset on one day, and the pieces matched."""

    __slots__ = ("events", "left", "pieces", "total")

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.total = ZERO
        self.left = ZERO
        self.pieces: list[tuple[str, Decimal, Decimal, _Acquired | None, bool]] = []


def _match(disposed: _Disposed, acquired: _Acquired, rule: str) -> None:
    amount = min(disposed.left, acquired.left)
    if amount <= 0:
        return
    cost = share(acquired.cost_left, amount, acquired.left)
    acquired.left -= amount
    acquired.cost_left -= cost
    disposed.left -= amount
    disposed.pieces.append((rule, amount, cost, acquired, acquired.flagged))


def match(books: EventBooks, stop: date | None) -> tuple[list[Disposal], list[Lot]]:
    """The disposals kept by `books` (its keep_from..until), and the pools held on local day `stop`."""
    return match_assets(books, stop, _match_asset)


def _match_asset(asset: str, events: Iterable[Event], books: EventBooks, stop: date | None,
                 out: list[Disposal]) -> Lot | None:
    acquired: dict[date, _Acquired] = {}
    disposed: dict[date, _Disposed] = {}
    for e in events:
        day = e.m.date
        if e.kind == ACQUIRE:
            a = acquired.get(day)
            if a is None:
                a = acquired[day] = _Acquired(e)
            a.left += e.amount
            assert e.value is not None  # an acquisition's value is its cost
            a.cost += e.value
            a.flagged = a.flagged or e.flagged
        else:
            d = disposed.get(day)
            if d is None:
                d = disposed[day] = _Disposed()
            d.events.append(e)
            d.total += e.amount
    for a in acquired.values():
        a.cost_left = a.cost
    for d in disposed.values():
        d.left = d.total
    acquired_days = sorted(acquired)
    disposed_days = sorted(disposed)

    for day in disposed_days:
        if day in acquired:
            _match(disposed[day], acquired[day], SAME_DAY)
    ahead = ZERO  # quantity disposed of before `stop` and matched with acquisitions from `stop` on
    for day in disposed_days:
        d = disposed[day]
        i = bisect_right(acquired_days, day)
        last = day + WINDOW
        while d.left > 0 and i < len(acquired_days) and acquired_days[i] <= last:
            before = d.left
            _match(d, acquired[acquired_days[i]], THIRTY_DAY)
            if stop is not None and day < stop <= acquired_days[i]:
                ahead += before - d.left
            i += 1

    amount, cost, flagged = ZERO, ZERO, False
    snapshot = None
    for day in sorted(acquired.keys() | disposed.keys()):
        if snapshot is None and stop is not None and day >= stop:
            snapshot = (amount, cost, flagged)
        a = acquired.get(day)
        if a is not None and a.left > 0:
            amount += a.left
            cost += a.cost_left
            flagged = flagged or a.flagged
        d = disposed.get(day)
        if d is None:
            continue
        if d.left > 0:
            take = min(d.left, amount)
            if take > 0:
                taken = share(cost, take, amount)
                amount -= take
                cost -= taken
                d.pieces.append((POOL, take, taken, None, flagged))
            if d.left > take:
                # Sold beyond every acquisition the rules can reach: zero basis, flagged (warned as oversold).
                d.pieces.append((POOL, d.left - take, ZERO, None, True))
            d.left = ZERO
            if amount == 0:
                cost, flagged = ZERO, False  # an emptied pool starts afresh
        _rows(asset, day, d, books, out)
    if snapshot is None:
        snapshot = (amount, cost, flagged)
    amount, cost, flagged = snapshot
    amount -= ahead  # those coins were sold already; the pool learns it only when their match arrives
    if amount <= 0:
        return None
    cost = share(snapshot[1], amount, snapshot[0])
    return Lot(asset=asset, amount=amount, acquired_at=acquired[acquired_days[0]].first.m.tx.timestamp,
               cost_basis=cost, account=POOL_ACCOUNT, acquire_tx_id=None, basis_missing=flagged)


def _rows(asset: str, day: date, d: _Disposed, books: EventBooks, out: list[Disposal]) -> None:
    """The day's pieces shared among its disposal transactions, as Disposal rows (those kept)."""
    events = d.events
    if len(events) == 1:  # the common case: nothing to share
        split = [([amount], [cost]) for _, amount, cost, _, _ in d.pieces]
    else:
        amounts = [e.amount for e in events]
        # per piece: its quantity and cost for each event of the day
        split = [(allocate(amount, amounts, d.total), allocate(cost, amounts, d.total))
                 for _, amount, cost, _, _ in d.pieces]
    for n, e in enumerate(events):
        rows = books.rows_for(e.m, out) if e.kind == DISPOSE else None
        if rows is None:
            continue
        mine = [(piece, quantities[n], costs[n]) for piece, (quantities, costs) in zip(d.pieces, split)
                if quantities[n] > 0]
        if not mine:
            continue
        gross: Sequence[Decimal]
        fees: Sequence[Decimal]
        if e.value is None:  # no gain, no loss (TCGA s58): the proceeds are the allowable cost of each piece
            fees = [ZERO] * len(mine)
            gross = [cost for _, _, cost in mine]
        elif len(mine) == 1:
            parts, gross, fees = None, (e.value + e.fee,), (e.fee,)
        else:
            parts = [part for _, part, _ in mine]
            gross = allocate(e.value + e.fee, parts)
            fees = allocate(e.fee, parts)
        tx, m = e.m.tx, e.m
        for ((rule, _, _, a, flagged), part, cost), proceeds, fee in zip(mine, gross, fees):
            allowable = cost + fee
            first = a.first.m if a is not None else m
            rows.append(Disposal(
                asset=asset, amount=part, account=e.account, acquired_at=first.tx.timestamp,
                disposed_at=tx.timestamp, proceeds=proceeds, cost_basis=allowable, gain=proceeds - allowable,
                term=SHORT, acquire_tx_id=first.tx_id if a is not None else None, dispose_tx_id=m.tx_id,
                category=e.category, method="uk", basis_missing=flagged, value_missing=e.flagged,
                acquired_date=first.date if a is not None else None, disposed_date=day, rule=rule))
