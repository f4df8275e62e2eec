"""The one processing order of a ledger, so that the order transactions arrive in never changes the result."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from taxer.model import FIAT, Kind, Leg, Transaction

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_NO_LEG = ("", Decimal(0))

LegKey = tuple[str, Decimal]
# timestamp (micros), phase, account, source, external id
OrderKey = tuple[int, int, str, str, str]
# kind, legs, fair value, its currency, label, hash, description, id
TieKey = tuple[str, LegKey, LegKey, LegKey, tuple[bool, Decimal | int], str, str, str, str, int]


def micros(at: datetime) -> int:
    """Instant `at` as integer microseconds since the epoch: exact, and cheap to compare and subtract."""
    return (at - _EPOCH) // _MICROSECOND


def crypto(leg: Leg | None) -> Leg | None:
    """`leg` when it holds a crypto asset (stablecoins too); None for fiat or no leg: fiat is never a lot."""
    return leg if leg is not None and leg.asset not in FIAT else None


def phase(tx: Transaction) -> int:
    """0 for a pure acquisition (receives crypto, sends none), else 1: acquisitions go first at a tie."""
    received, sent = tx.received, tx.sent
    if received is not None and received.asset not in FIAT and (sent is None or sent.asset in FIAT):
        return 0
    return 1


def _leg_key(leg: Leg | None) -> LegKey:
    return _NO_LEG if leg is None else (leg.asset, leg.amount)


def _tie_key(tx: Transaction) -> TieKey:
    # Only transactions equal on (timestamp, phase, account, source, external_id) need this, e.g. test data
    # without ids: their content orders them, so even they come out in one order.
    return (tx.kind.value, _leg_key(tx.sent), _leg_key(tx.received), _leg_key(tx.fee),
            (tx.fair_value is not None, tx.fair_value or 0), tx.fair_value_currency or "", tx.label or "",
            tx.tx_hash or "", tx.description or "", -1 if tx.id is None else tx.id)


def ledger_order(transactions: Iterable[Transaction]) -> tuple[list[Transaction], list[int]]:
    """The transactions to compute (IGNORED dropped) in processing order, and their times in microseconds.

    Order: timestamp, acquisitions before disposals, account, source, external id; then content for full ties.
    """
    txs = [tx for tx in transactions if tx.kind is not Kind.IGNORED]
    times = [micros(tx.timestamp) for tx in txs]
    if any(later < earlier for earlier, later in zip(times, times[1:])):
        return _sorted(txs)
    # Already in time order (as the ledger reads them): only transactions at one instant are ordered by the rest
    # of the key, so no sort key is built for the others (a million of them at once were a big report's peak).
    end, n = 0, len(txs)
    while end < n:
        start, at = end, times[end]
        end += 1
        while end < n and times[end] == at:
            end += 1
        if end - start > 1:
            txs[start:end] = _sorted(txs[start:end])[0]
    return txs, times


def _sorted(txs: list[Transaction]) -> tuple[list[Transaction], list[int]]:
    """`txs` sorted by the whole order (see `ledger_order`), and their times."""
    keyed = [((micros(tx.timestamp), phase(tx), tx.account, tx.source, tx.external_id), tx) for tx in txs]
    keyed.sort(key=_first)
    start = 0
    for i in range(1, len(keyed) + 1):
        if i == len(keyed) or keyed[i][0] != keyed[start][0]:
            if i - start > 1:
                keyed[start:i] = sorted(keyed[start:i], key=_tie)
            start = i
    return [tx for _, tx in keyed], [key[0] for key, _ in keyed]


def _first(pair: tuple[OrderKey, Transaction]) -> OrderKey:
    return pair[0]


def _tie(pair: tuple[OrderKey, Transaction]) -> TieKey:
    return _tie_key(pair[1])
