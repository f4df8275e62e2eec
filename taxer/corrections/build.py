"""Turning what the user typed (a command's arguments, or one line of a batch file) into a checked Correction."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, time
from zoneinfo import ZoneInfo

from taxer.corrections.records import (
    KINDS,
    PAIRED,
    RELABELS,
    Correction,
    CorrectionProblem,
    Target,
    check,
    decimal,
    parse_parts,
)
from taxer.model import FIAT, UTC, Transaction


def acquired_at(text: str, timezone: str = "UTC") -> datetime:
    """A date (midnight in the taxpayer's `timezone`) or an ISO 8601 timestamp with an offset, as UTC."""
    text = (text or "").strip()
    if not text:
        raise CorrectionProblem("a cost basis needs the date the coins were acquired (--acquired YYYY-MM-DD)",
                                "acquired")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise CorrectionProblem(f"acquired {text!r} is not a date; use YYYY-MM-DD or an ISO 8601 timestamp with "
                                "an offset", "acquired") from None
    if parsed.tzinfo is None:
        if parsed.time() != time(0):
            raise CorrectionProblem(f"acquired {text!r} has a time but no offset; add one (e.g. +00:00) or give "
                                    "a date only", "acquired")
        parsed = parsed.replace(tzinfo=ZoneInfo(timezone))
    return parsed.astimezone(UTC)


def build(kind: str, tx: Transaction, other: Transaction | None, *, value: str | None = None,
          acquired: str | None = None, currency: str = "USD", note: str = "", author: str = "",
          now: datetime, timezone: str = "UTC") -> Correction:
    """A Correction of `tx` (and `other`), checked against them; CorrectionProblem (with the field) if it is wrong."""
    kind = (kind or "").strip().lower()
    if kind not in KINDS:
        raise CorrectionProblem(f"unknown correction kind {kind!r}; use one of {', '.join(KINDS)}", "kind")
    note = (note or "").strip()
    if not note:
        raise CorrectionProblem("every correction needs a note saying why (--note \"...\")", "note")
    author = (author or "").strip()
    if not author:
        raise CorrectionProblem("a correction needs an author (--by NAME)", "by")
    if kind in PAIRED and other is None:
        raise CorrectionProblem(f"{kind} needs a second transaction id", "other")
    if kind not in PAIRED and other is not None:
        raise CorrectionProblem(f"{kind} takes one transaction, not two", "other")
    currency = (currency or "").strip().upper()
    if kind in ("basis", "value") and currency not in FIAT:
        raise CorrectionProblem(f"currency {currency!r} is not a fiat currency such as USD or EUR", "currency")
    payload: dict[str, object] = {}
    if kind == "relabel":
        label = (value or "").strip().lower()
        if label not in RELABELS:
            raise CorrectionProblem(f"relabel as {value!r}? use one of {', '.join(RELABELS)}", "value")
        payload = {"as": label}
    elif kind == "basis":
        payload = {"cost": str(decimal(value, "cost basis", positive=False)), "currency": currency,
                   "acquired": acquired_at(acquired or "", timezone).isoformat()}
    elif kind == "value":
        payload = {"value": str(decimal(value, "fair value", positive=False)), "currency": currency}
    elif kind == "split":
        payload = {"parts": [{"amount": str(p.amount), "as": p.relabel} for p in parse_parts(value or "")]}
    elif value:
        raise CorrectionProblem(f"{kind} takes no value (got {value!r})", "value")
    correction = Correction(kind=kind, target=Target.of(tx), other=Target.of(other) if other else None,
                            value=payload, note=note, author=author, created_at=now)
    check(correction, tx, other, currency if kind == "basis" else None)
    return correction


def from_row(row: Mapping[str, object], lookup: Callable[[int], Transaction | None], *, currency: str, author: str,
             now: datetime, timezone: str) -> Correction:
    """A Correction from one command's arguments or one batch line (kind, transaction, other, value, acquired,
    currency, note, by); `lookup(id)` finds a ledger transaction. CorrectionProblem (with the field) if wrong."""
    tx = _find(lookup, _int(row.get("transaction"), "transaction"), "transaction")
    other = _find(lookup, _int(row.get("other"), "other"), "other")
    return build(str(row.get("kind") or ""), tx, other, value=_text(row.get("value")),
                 acquired=_text(row.get("acquired")), currency=str(row.get("currency") or currency),
                 note=str(row.get("note") or ""), author=author, now=now, timezone=timezone)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _find(lookup: Callable[[int], Transaction | None], tx_id: int | None, field: str) -> Transaction | None:
    if tx_id is None:
        return None
    found = lookup(tx_id)
    if found is None:
        raise CorrectionProblem(f"there is no transaction {tx_id} in the ledger; take the id from `taxer ledger`",
                                field)
    return found


def _int(value: object, field: str) -> int | None:
    if value is None or str(value).strip() == "":
        if field == "transaction":
            raise CorrectionProblem("a transaction id is needed (as `taxer ledger` shows it)", field)
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        raise CorrectionProblem(f"{value!r} is not a transaction id (a whole number from `taxer ledger`)",
                                field) from None
