"""ccxt's unified records -> ledger transactions, exactly.

ccxt's unified numbers are floats; amounts are read from the exchange's own strings in `info` where the exchange
spec names them (`RawFields`), else from the float's shortest repr via `Decimal(str(x))`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from taxer.model import UTC, Kind, Leg, Transaction


@dataclass(frozen=True)
class RawFields:
    """Where an exchange puts exact amount strings in a record's `info` (dotted paths), per record kind."""

    trade_amount: tuple[str, ...] = ()
    trade_cost: tuple[str, ...] = ()
    trade_fee: tuple[str, ...] = ()
    transfer_amount: tuple[str, ...] = ()
    transfer_fee: tuple[str, ...] = ()


def _dig(info: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(info, dict):
            return None
        info = info.get(part)
    return info


def exact(record: dict, paths: tuple[str, ...], unified: Any) -> Decimal | None:
    """The first raw string found at `paths` in record['info'] (absolute value), else the unified number."""
    info = record.get("info") or {}
    for path in paths:
        value = _dig(info, path)
        if value not in (None, ""):
            return abs(Decimal(str(value)))
    if unified is None:
        return None
    return abs(Decimal(str(unified)))


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def from_ms(ms: int) -> datetime:
    """Milliseconds since the epoch as an aware UTC datetime, exactly (no float division)."""
    return EPOCH + timedelta(milliseconds=int(ms))


def _when(record: dict) -> datetime:
    return from_ms(record["timestamp"])


def _payload(record: dict) -> str:
    return json.dumps(record.get("info", record), sort_keys=True, default=str)


def _fee(record: dict, paths: tuple[str, ...]) -> Leg | None:
    fee = record.get("fee") or {}
    currency = fee.get("currency")
    amount = exact(record, paths, fee.get("cost"))
    if not currency or amount is None or amount == 0:
        return None
    return Leg(currency, amount)


def trade(record: dict, *, account: str, source: str, raw: RawFields) -> Transaction:
    base, quote = record["symbol"].split("/")[0], record["symbol"].split("/")[1].split(":")[0]
    amount = exact(record, raw.trade_amount, record.get("amount"))
    cost = exact(record, raw.trade_cost, record.get("cost"))
    base_leg, quote_leg = Leg(base, amount), Leg(quote, cost)
    buy = record["side"] == "buy"
    return Transaction(
        account=account, timestamp=_when(record), kind=Kind.TRADE,
        sent=quote_leg if buy else base_leg, received=base_leg if buy else quote_leg, fee=_fee(record, raw.trade_fee),
        description=f"{record['side']} {record['symbol']}", source=source,
        external_id=f"trade:{record['symbol']}:{record['id']}",
    )


def transfer(record: dict, *, account: str, source: str, raw: RawFields, direction: str) -> Transaction:
    """A deposit or withdrawal (direction 'deposit' / 'withdrawal')."""
    leg = Leg(record["currency"], exact(record, raw.transfer_amount, record.get("amount")))
    deposit = direction == "deposit"
    return Transaction(
        account=account, timestamp=_when(record), kind=Kind.DEPOSIT if deposit else Kind.WITHDRAWAL,
        sent=None if deposit else leg, received=leg if deposit else None, fee=_fee(record, raw.transfer_fee),
        tx_hash=record.get("txid") or None, description=direction, source=source,
        external_id=f"{direction}:{record['id']}",
    )


def income(*, account: str, source: str, when_ms: int, asset: str, amount: Decimal, label: str, record_id: str,
           description: str) -> Transaction:
    """A reward, staking payout or other income credited by the exchange."""
    return Transaction(
        account=account, timestamp=from_ms(when_ms), kind=Kind.INCOME,
        received=Leg(asset, amount), label=label, description=description, source=source,
        external_id=f"income:{record_id}",
    )


payload = _payload


def as_trade(raw: RawFields):
    """A stream converter: unified trade -> Transaction."""
    return lambda record, account, source: trade(record, account=account, source=source, raw=raw)


def as_transfer(raw: RawFields, direction: str):
    """A stream converter: unified deposit or withdrawal -> Transaction."""
    return lambda record, account, source: transfer(record, account=account, source=source, raw=raw,
                                                    direction=direction)
