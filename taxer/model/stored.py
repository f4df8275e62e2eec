"""A transaction as the ledger stores it: plain text values, cheap to build in an importer's worker process.

Amounts are exact text without exponent; the time is UTC in the sortable form SQLite keeps (exactly what the
store's ExactDecimal and UTCDateTime columns write; PostgreSQL casts the text exactly). Importers build these
tuples for the bulk path; the store writes them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from taxer.model import Kind, Leg, Transaction

# time, kind, sent asset and amount, received..., fee..., fair value and currency, label, description, hash,
# source, external id: plain text, None where the record has no value
StoredRow = tuple[str | None, ...]


def _text(d: Decimal | None) -> str | None:
    if d is None:
        return None
    if not d.is_finite():
        raise ValueError(f"not a finite number: {d}")
    return format(d, "f")


def stored_row(tx: Transaction) -> StoredRow:
    """A transaction as the bulk path writes it (without account and run): plain text values, cheap to send
    between processes. Amounts are `decimal_text`; the time is UTC in the sortable `sqlite_timestamp` form
    (exactly what ExactDecimal and UTCDateTime write on SQLite; PostgreSQL casts the text exactly)."""
    return stored_values(tx.timestamp, tx.kind, tx.sent, tx.received, tx.fee, tx.fair_value,
                         tx.fair_value_currency, tx.label, tx.description, tx.tx_hash, tx.source, tx.external_id)


def stored_values(timestamp: datetime, kind: Kind, sent: Leg | None = None, received: Leg | None = None,
                  fee: Leg | None = None, fair_value: Decimal | None = None, fair_value_currency: str | None = None,
                  label: str | None = None, description: str | None = None, tx_hash: str | None = None,
                  source: str = "", external_id: str = "") -> StoredRow:
    """`stored_row` from a transaction's fields (an importer's parsed row, without building the record)."""
    when = timestamp
    if when.tzinfo is not UTC:
        if when.tzinfo is None or when.utcoffset() is None:
            raise ValueError(f"naive timestamp {when!r} in transaction {external_id!r}")
        when = when.astimezone(UTC)
    return (when.isoformat(" ", "microseconds")[:26], kind.value,
            sent.asset if sent else None, _text(sent.amount) if sent else None,
            received.asset if received else None, _text(received.amount) if received else None,
            fee.asset if fee else None, _text(fee.amount) if fee else None,
            _text(fair_value), fair_value_currency, label, description, tx_hash, source, external_id)
