"""Builders for engine tests: short, readable ledger transactions and a compact view of the results."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from taxer.engine import EngineSettings, Result, compute
from taxer.model import Kind, Leg, Transaction

UTC = ZoneInfo("UTC")


def at(text: str, zone: str = "UTC") -> datetime:
    """'2024-03-01' or '2024-03-01 14:05[:30]' in `zone`, as an aware UTC datetime."""
    fmt = {10: "%Y-%m-%d", 16: "%Y-%m-%d %H:%M", 19: "%Y-%m-%d %H:%M:%S"}[len(text)]
    return datetime.strptime(text, fmt).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _fee(fee: str | tuple[str, str] | None) -> Leg | None:
    """A fee as '10' (USD) or ('0.01', 'BTC')."""
    if fee is None:
        return None
    if isinstance(fee, tuple):
        return Leg(fee[1], Decimal(fee[0]))
    return Leg("USD", Decimal(fee))


def buy(when: str, asset: str, amount: str, cost: str, fee=None, account: str = "a", currency: str = "USD",
        **extra) -> Transaction:
    return Transaction(account=account, timestamp=at(when), kind=Kind.TRADE,
                       sent=Leg(currency, Decimal(cost)), received=Leg(asset, Decimal(amount)), fee=_fee(fee),
                       **extra)


def sell(when: str, asset: str, amount: str, proceeds: str, fee=None, account: str = "a",
         currency: str = "USD", **extra) -> Transaction:
    return Transaction(account=account, timestamp=at(when), kind=Kind.TRADE, sent=Leg(asset, Decimal(amount)),
                       received=Leg(currency, Decimal(proceeds)), fee=_fee(fee), **extra)


def swap(when: str, sent: tuple[str, str], received: tuple[str, str], fair_value: str | None, fee=None,
         account: str = "a", **extra) -> Transaction:
    return Transaction(account=account, timestamp=at(when), kind=Kind.TRADE,
                       sent=Leg(sent[1], Decimal(sent[0])), received=Leg(received[1], Decimal(received[0])),
                       fee=_fee(fee),
                       fair_value=None if fair_value is None else Decimal(fair_value),
                       fair_value_currency=None if fair_value is None else "USD", **extra)


def income(when: str, asset: str, amount: str, fair_value: str | None, label: str | None = "staking",
           account: str = "a", fee=None) -> Transaction:
    return Transaction(account=account, timestamp=at(when), kind=Kind.INCOME,
                       received=Leg(asset, Decimal(amount)),
                       fair_value=None if fair_value is None else Decimal(fair_value),
                       fair_value_currency=None if fair_value is None else "USD", label=label, fee=_fee(fee))


def deposit(when: str, asset: str, amount: str, account: str = "b", tx_hash: str | None = None,
            fee=None) -> Transaction:
    return Transaction(account=account, timestamp=at(when), kind=Kind.DEPOSIT,
                       received=Leg(asset, Decimal(amount)), tx_hash=tx_hash, fee=_fee(fee))


def withdrawal(when: str, asset: str, amount: str, account: str = "a", tx_hash: str | None = None,
               fair_value: str | None = None, fee=None) -> Transaction:
    return Transaction(account=account, timestamp=at(when), kind=Kind.WITHDRAWAL,
                       sent=Leg(asset, Decimal(amount)), tx_hash=tx_hash, fee=_fee(fee),
                       fair_value=None if fair_value is None else Decimal(fair_value),
                       fair_value_currency=None if fair_value is None else "USD")


def outflow(kind: Kind, when: str, asset: str, amount: str, fair_value: str | None = None, account: str = "a",
            fee=None) -> Transaction:
    return Transaction(account=account, timestamp=at(when), kind=kind, sent=Leg(asset, Decimal(amount)),
                       fee=_fee(fee),
                       fair_value=None if fair_value is None else Decimal(fair_value),
                       fair_value_currency=None if fair_value is None else "USD")


def numbered(txs) -> list[Transaction]:
    """The transactions with ids 1, 2, 3... in the order written, as ledger rows would have."""
    return [tx if tx.id is not None else dataclasses.replace(tx, id=n) for n, tx in enumerate(txs, 1)]


def run(*txs: Transaction, until: datetime | None = None, price=None, **settings) -> Result:
    """compute() over the transactions numbered 1, 2, 3... in the order written."""
    return compute(numbered(txs), EngineSettings(**settings), until=until, price=price)


def rows(result: Result) -> list[tuple]:
    """Disposals as text: (asset, amount, acquired, disposed, proceeds, basis, gain, term, category)."""
    return [(d.asset, _s(d.amount), str(d.acquired_date), str(d.disposed_date), _s(d.proceeds),
             _s(d.cost_basis), _s(d.gain), d.term, d.category) for d in result.disposals]


def lots(result: Result) -> list[tuple]:
    """Holdings as (asset, amount, acquired_at date in UTC, basis, account)."""
    return [(lot.asset, _s(lot.amount), lot.acquired_at.date().isoformat(), _s(lot.cost_basis), lot.account)
            for lot in result.holdings]


def codes(result: Result) -> list[str]:
    return [w.code for w in result.warnings]


def _s(value: Decimal) -> str:
    """A Decimal as plain text without trailing zeros, so expectations read as written ('0.5', '15000')."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text
