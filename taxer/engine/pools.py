"""Open lots and the pools that hold them in the order the accounting method disposes of them."""

from __future__ import annotations

from collections import deque
from datetime import date, datetime
from decimal import Decimal
from heapq import heappop, heappush
from itertools import count

from taxer.engine.exact import ZERO, allocate, share
from taxer.engine.methods import LotKey, Method
from taxer.engine.records import Lot
from taxer.engine.taxyear import anniversary

_tiebreak = count()  # heap entries never compare lots, even when two fragments of one lot share a key


class OpenLot:
    """A lot still (partly) held; mutable while the engine runs, `Lot` is its frozen public form.

    `t` is the acquisition instant in integer microseconds (fast to order by), `seq` the creation order of the
    original lot (kept by its fragments), `long_after` the date after which a disposal is long-term (the
    country's holding-period rule decides it).
    """

    __slots__ = (
        "account",
        "acquired_at",
        "acquired_date",
        "amount",
        "asset",
        "basis_missing",
        "cost",
        "key",
        "long_after",
        "seq",
        "t",
        "tx_id",
    )

    def __init__(self, asset: str, amount: Decimal, cost: Decimal, acquired_at: datetime, acquired_date: date,
                 t: int, seq: int, account: str, tx_id: int | None, basis_missing: bool,
                 long_after: date | None = None) -> None:
        self.asset = asset
        self.amount = amount
        self.cost = cost
        self.acquired_at = acquired_at
        self.acquired_date = acquired_date
        self.long_after = anniversary(acquired_date) if long_after is None else long_after
        self.t = t
        self.seq = seq
        self.account = account
        self.tx_id = tx_id
        self.basis_missing = basis_missing
        self.key: LotKey = ()

    def split(self, amount: Decimal, with_cost: bool = True) -> OpenLot:
        """Cut `amount` (less than the lot holds) off this lot with its pro-rata basis; the rest stays."""
        part = OpenLot.__new__(OpenLot)
        part.asset, part.acquired_at, part.acquired_date = self.asset, self.acquired_at, self.acquired_date
        part.long_after, part.t, part.seq, part.account = self.long_after, self.t, self.seq, self.account
        part.tx_id, part.basis_missing, part.key = self.tx_id, self.basis_missing, self.key
        part.cost = self.cost
        part.amount = amount
        if with_cost:
            part.cost = share(self.cost, amount, self.amount)
            self.cost -= part.cost
        self.amount -= amount
        return part

    def public(self) -> Lot:
        """The frozen record of this lot."""
        return Lot(asset=self.asset, amount=self.amount, acquired_at=self.acquired_at, cost_basis=self.cost,
                   account=self.account, acquire_tx_id=self.tx_id, basis_missing=self.basis_missing)


class Pool:
    """The open lots of one asset (in one account, or in all of them), ordered for `method`.

    Lots sit in a deque sorted by key; a lot that belongs at neither end (HIFO, or an old lot moved in by a
    transfer) goes to a heap. FIFO and LIFO histories thus cost O(1) per lot and anything else O(log n).
    `amount` and `basis` are running totals; under average cost `basis` is the authority and the lots' own
    costs are refreshed only when they are looked at (holdings, a switch to another method).
    """

    __slots__ = ("_heap", "_lots", "amount", "basis", "method", "missing", "tainted")

    def __init__(self, method: Method) -> None:
        self.method = method
        self._lots: deque[OpenLot] = deque()
        self._heap: list[tuple[LotKey, int, OpenLot]] = []
        self.amount = ZERO
        self.basis = ZERO
        self.missing = ZERO  # quantity of lots whose basis is unknown
        self.tainted = False  # an average basis that took in an unknown basis, until the pool empties

    def __bool__(self) -> bool:
        return bool(self._lots or self._heap)

    def add(self, lot: OpenLot) -> None:
        """Put `lot` in the pool at its place for the current method."""
        key = lot.key = self.method.order(lot)
        lots = self._lots
        if not lots or key >= lots[-1].key:
            lots.append(lot)
        elif key <= lots[0].key:
            lots.appendleft(lot)
        else:
            heappush(self._heap, (key, next(_tiebreak), lot))
        self.amount += lot.amount
        self.basis += lot.cost
        if lot.basis_missing:
            self.missing += lot.amount

    def take(self, amount: Decimal) -> tuple[list[OpenLot], Decimal]:
        """Remove `amount` in method order: the lots (or fragments) taken, and the quantity lacking."""
        average = self.method.average
        lots, heap = self._lots, self._heap
        taken: list[OpenLot] = []
        need = amount
        missing = ZERO
        while need > 0:
            if heap and (not lots or heap[0][0] < lots[0].key):
                lot, from_heap = heap[0][2], True
            elif lots:
                lot, from_heap = lots[0], False
            else:
                break
            if lot.amount <= need:
                if from_heap:
                    heappop(heap)
                else:
                    lots.popleft()
                need -= lot.amount
            else:
                # Under average cost the lot's own basis is not used, so the split need not divide it.
                lot = lot.split(need, with_cost=not average)
                need = ZERO
            if lot.basis_missing:
                missing += lot.amount
            taken.append(lot)
        got = amount - need
        if average:
            self._price_at_average(taken, got)
        else:
            for lot in taken:
                self.basis -= lot.cost
        self.amount -= got
        self.missing -= missing
        if not self:
            self.tainted = False  # an empty pool starts a fresh average
        return taken, need

    def _price_at_average(self, taken: list[OpenLot], got: Decimal) -> None:
        if not taken:
            return
        if self.missing:
            self.tainted = True
        basis = share(self.basis, got, self.amount)
        for lot, cost in zip(taken, allocate(basis, [lot.amount for lot in taken], got), strict=True):
            lot.cost = cost
            lot.basis_missing = lot.basis_missing or self.tainted
        self.basis -= basis

    def use(self, method: Method) -> None:
        """Reorder the pool for `method` (once, when the method in force changes between tax years)."""
        if method is self.method:
            return
        lots = self._drain()
        self.method = method
        for lot in lots:
            lot.key = method.order(lot)
        lots.sort(key=_key)
        self._lots = deque(lots)

    def lots(self) -> list[OpenLot]:
        """The lots held, each with its basis (its share of the average under average cost), in order."""
        lots = self._drain()
        lots.sort(key=_key)
        self._lots = deque(lots)
        return lots

    def drain_oldest_first(self) -> deque[OpenLot]:
        """Empty the pool, returning its lots oldest first with their basis."""
        lots = self._drain()
        lots.sort(key=_acquisition)
        self.amount = self.basis = self.missing = ZERO
        self.tainted = False
        return deque(lots)

    def _drain(self) -> list[OpenLot]:
        lots = list(self._lots)
        lots.extend(entry[2] for entry in self._heap)
        self._lots, self._heap = deque(), []
        if self.method.average and lots:
            # Each lot takes its share of the pool's average basis: their own costs become meaningful again.
            amounts = [lot.amount for lot in lots]
            for lot, cost in zip(lots, allocate(self.basis, amounts, self.amount), strict=True):
                lot.cost = cost
                lot.basis_missing = lot.basis_missing or self.tainted or bool(self.missing)
            self.missing = sum((lot.amount for lot in lots if lot.basis_missing), ZERO)
            self.tainted = False
        return lots


def _key(lot: OpenLot) -> LotKey:
    return lot.key


def _acquisition(lot: OpenLot) -> tuple[int, int]:
    return (lot.t, lot.seq)
