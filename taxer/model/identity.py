"""What makes a ledger transaction itself, written once: its key, its content text and its canonical text.

The importers hash the content text to give a row without an id a stable one; the fingerprint hashes the
canonical text of every transaction a report used; the engine orders by the key; the store matches a file row to
an API record by the content key. Each of these must agree with the others, so they all live here.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal

from taxer.model import Kind, Leg, Transaction
from taxer.money import exact_text

# External ids of rows from formats matched by content (no exchange id in the file): a sync that later fetches
# the same record finds them by content and gives them the exchange's id (taxer.store.matching).
CONTENT_PREFIX = "content:"
LegKey = tuple[str, Decimal]  # a leg in `content_key`: asset and exact amount


def amount_text(value: Decimal) -> str:
    """An exact amount without exponent or trailing zeros: '0.5', '12', whatever its number of digits.

    It feeds content hashes and the ledger fingerprint: the text is the one `format(value.normalize(), "f")` gave
    for every amount of up to 28 significant digits (so no stored id changes); longer ones are no longer rounded.
    """
    return exact_text(value)


def leg_text(leg: Leg | None) -> str:
    """'0.5 BTC', or '' for no leg."""
    return f"{amount_text(leg.amount)} {leg.asset}" if leg else ""


def record_key(tx: Transaction) -> tuple[str, str, str]:
    """The ledger's identity of a record: (account, source, external id), unique in the ledger."""
    return tx.account, tx.source, tx.external_id


def content_text(timestamp: datetime, kind: Kind, sent: Leg | None, received: Leg | None, fee: Leg | None,
                 label: str | None, tx_hash: str | None) -> str:
    """What makes a transaction itself when no id says so (not its description), stable across re-exports."""
    return "|".join((timestamp.isoformat(), kind.value, leg_text(sent), leg_text(received), leg_text(fee),
                     label or "", tx_hash or ""))


def content_digest(timestamp: datetime, kind: Kind, sent: Leg | None = None, received: Leg | None = None,
                   fee: Leg | None = None, label: str | None = None, tx_hash: str | None = None) -> str:
    """A 32-hex-digit hash of `content_text`: the base of an id-less row's external id."""
    text = content_text(timestamp, kind, sent, received, fee, label, tx_hash)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def content_key(tx: Transaction) -> tuple[str, datetime, LegKey | None, LegKey | None, LegKey | None]:
    """Kind, whole second and legs: how a file row without ids is recognized in an API record."""
    return (tx.kind.value, tx.timestamp.replace(microsecond=0), _leg_key(tx.sent), _leg_key(tx.received),
            _leg_key(tx.fee))


def _leg_key(leg: Leg | None) -> LegKey | None:
    return (leg.asset, Decimal(exact_text(leg.amount))) if leg else None  # exact: no 28-digit rounding


def canonical_text(tx: Transaction) -> str:
    """A transaction's whole identity and content as one line: what the ledger fingerprint hashes."""
    value = "" if tx.fair_value is None else f"{amount_text(tx.fair_value)} {tx.fair_value_currency}"
    return "|".join((tx.account, tx.source, tx.external_id, tx.timestamp.isoformat(), tx.kind.value,
                     leg_text(tx.sent), leg_text(tx.received), leg_text(tx.fee), value, tx.label or "",
                     tx.tx_hash or ""))
