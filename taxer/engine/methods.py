"""Accounting methods: each one is an ordering key over open lots (the smallest key is disposed of first).

A new method is one key function plus one registry line. Keys are tuples of plain numbers so that pools can
compare them fast; `seq` (creation order) breaks every tie, so the order never depends on input order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from taxer.engine.exact import ratio

if TYPE_CHECKING:
    from taxer.engine.pools import OpenLot

# An ordering key: plain numbers (times, seqs, unit costs), compared as tuples.
LotKey = tuple[int | Decimal, ...]


@dataclass(frozen=True, slots=True)
class Method:
    """An accounting method: the order lots leave a pool, and whether the pool's basis is averaged."""

    name: str
    title: str                      # as the methodology page names it
    order: Callable[[OpenLot], LotKey]
    average: bool = False


def _oldest_first(lot: OpenLot) -> LotKey:
    return (lot.t, lot.seq)


def _newest_first(lot: OpenLot) -> LotKey:
    return (-lot.t, -lot.seq)


def _highest_unit_cost_first(lot: OpenLot) -> LotKey:
    # Unit cost includes acquisition fees (they are in the basis), not the spot price: see DOMAIN.md's peer
    # divergences. A lot of unknown basis ranks as cost 0, so known costs are used up first.
    unit = ratio(lot.cost, lot.amount) if lot.amount else lot.cost
    return (-unit, lot.t, lot.seq)


METHODS: dict[str, Method] = {
    "fifo": Method("fifo", "FIFO (first in, first out)", _oldest_first),
    "lifo": Method("lifo", "LIFO (last in, first out)", _newest_first),
    "hifo": Method("hifo", "HIFO (highest unit cost first)", _highest_unit_cost_first),
    # One average basis per pool; the lots still leave oldest first, which dates each piece for the holding
    # period.
    "average": Method("average", "Average cost", _oldest_first, average=True),
}


def register(method: Method) -> Method:
    """Add an accounting method (a new ordering key); countries list the names they allow."""
    METHODS[method.name] = method
    return method
