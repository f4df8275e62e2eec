"""Canada's adjusted cost base (ITA s.38, s.40, s.54): one average cost per identical property across all
accounts, and the superficial-loss rule.

A loss is superficial (ITA s.54, denied by s.40(2)(g)(i)) when the same property was acquired in the period from
30 days before to 30 days after the disposal and is still held at the end of that period. The part denied is the
loss times the least of (the quantity disposed of, the quantity acquired in the period, the quantity held at its
end) over the quantity disposed of; it is added to the adjusted cost base of the property still held (s.53(1)(f)),
or of the next acquisition when none is held right after the disposal. The denial is an adjustment on the
disposal (code "SL"): its gain stays proceeds - cost, and the reported gain is gain + adjustment.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date, timedelta
from decimal import Decimal

from taxer.engine.events import ACQUIRE, REMOVE, Event, EventBooks, match_assets
from taxer.engine.exact import ZERO, allocate, share
from taxer.engine.records import ACB, SALE, SHORT, Disposal, Lot

WINDOW = timedelta(days=30)
SUPERFICIAL_LOSS = "SL"
POOL_ACCOUNT = "all accounts"  # the account holdings are shown under: the ACB spans all accounts


def match(books: EventBooks, stop: date | None) -> tuple[list[Disposal], list[Lot]]:
    """The disposals kept by `books` (its keep_from..until), and the ACB pools held on local day `stop`."""
    return match_assets(books, stop, _match_asset)


def _timeline(events: list[Event]) -> tuple[list[date], list[Decimal], list[Decimal]]:
    """Per event (in ledger order, so dates ascend): its local date, the quantity held and acquired so far."""
    dates, held, acquired = [], [], []
    balance = bought = ZERO
    for e in events:
        if e.kind == ACQUIRE:
            balance += e.amount
            bought += e.amount
        else:
            balance = max(balance - e.amount, ZERO)
        dates.append(e.m.date)
        held.append(balance)
        acquired.append(bought)
    return dates, held, acquired


def _denied(e: Event, loss: Decimal, dates: list[date], held: list[Decimal], acquired: list[Decimal]) -> Decimal:
    """The part of `loss` (positive) the superficial-loss rule denies on disposal `e`."""
    day = e.m.date
    first = bisect_left(dates, day - WINDOW)
    last = bisect_right(dates, day + WINDOW) - 1
    bought = acquired[last] - (acquired[first - 1] if first else ZERO)
    still_held = held[last]
    if bought <= 0 or still_held <= 0:
        return ZERO
    return share(loss, min(e.amount, bought, still_held), e.amount)


def _match_asset(asset: str, events: list[Event], books: EventBooks, stop: date | None,
                 out: list[Disposal]) -> Lot | None:
    dates, held, acquired = _timeline(events)
    amount = cost = pending = ZERO  # pending: a denied loss waiting for the next acquisition
    flagged = False
    snapshot = None
    first_at = None
    for e in events:
        if snapshot is None and stop is not None and e.m.date >= stop:
            snapshot = (amount, cost, flagged)
        if e.kind == ACQUIRE:
            amount += e.amount
            assert e.value is not None  # an acquisition's value is its cost
            cost += e.value + pending
            pending = ZERO
            flagged = flagged or e.flagged
            first_at = first_at or e.m.tx.timestamp
            continue
        take = min(e.amount, amount)
        taken = share(cost, take, amount) if take > 0 else ZERO
        amount -= take
        cost -= taken
        was_flagged = flagged
        if amount == 0:
            cost, flagged = ZERO, False
        if e.kind == REMOVE:
            continue
        parts = [(take, taken, was_flagged)] if take > 0 else []
        if e.amount > take:
            parts.append((e.amount - take, ZERO, True))  # sold beyond the holdings (warned as oversold)
        at_cost = e.value is None  # no gain, no loss (ITA s73(1)): the proceeds are the ACB taken
        value = taken if e.value is None else e.value
        loss = taken - value
        denied = _denied(e, loss, dates, held, acquired) if e.category == SALE and loss > 0 else ZERO
        if denied:
            if amount > 0:
                cost += denied
            else:
                pending += denied
        rows = books.rows_for(e.m, out)
        if rows is None:
            continue
        quantities = [part for part, _, _ in parts]
        m = e.m
        proceeds_parts = [basis for _, basis, _ in parts] if at_cost else allocate(value, quantities, e.amount)
        for (part, basis, missing), proceeds, adjustment in zip(
                parts, proceeds_parts, allocate(denied, quantities, e.amount)):
            rows.append(Disposal(
                asset=asset, amount=part, account=e.account, acquired_at=m.tx.timestamp,
                disposed_at=m.tx.timestamp, proceeds=proceeds, cost_basis=basis, gain=proceeds - basis,
                term=SHORT, acquire_tx_id=None, dispose_tx_id=m.tx_id, category=e.category, method="acb",
                basis_missing=missing, value_missing=e.flagged, acquired_date=None, disposed_date=m.date,
                rule=ACB, adjustment=adjustment, adjustment_code=SUPERFICIAL_LOSS if adjustment else ""))
    if snapshot is None:
        snapshot = (amount, cost, flagged)
    amount, cost, flagged = snapshot
    if amount <= 0:
        return None
    assert first_at is not None  # something is held, so something was acquired
    return Lot(asset=asset, amount=amount, acquired_at=first_at, cost_basis=cost, account=POOL_ACCOUNT,
               acquire_tx_id=None, basis_missing=flagged)
