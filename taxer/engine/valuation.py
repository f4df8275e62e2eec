"""The value of an event in the report currency, from the ledger itself first and from the price source last.

The engine stays pure: it only calls the `price` callable it is given (the pricing layer caches and fetches).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Context, Decimal, localcontext

from taxer.engine.exact import share
from taxer.model import Leg, Transaction, is_fiat

# price(asset, quote, at, account): `account` is whose event it values (a price source may be set per account)
PriceFn = Callable[[str, str, datetime, "str | None"], "Decimal | None"]


class Valuer:
    """Values transactions and legs in `currency`; None when nothing gives a value."""

    def __init__(self, currency: str, price: PriceFn | None, caller_context: Context) -> None:
        self.currency = currency
        self._price = price
        # The price source does its own arithmetic in the caller's decimal context, not in the engine's.
        self._caller_context = caller_context

    def event(self, tx: Transaction, sent: Leg | None, received: Leg | None) -> Decimal | None:
        """The value of what changed hands in `tx` (its `sent`/`received` legs).

        In order: a leg in the report currency; the transaction's fair value when stated in that currency; a
        leg in another fiat currency, converted; the fair value in another currency, converted; the price of
        the received asset, then of the sent asset.
        """
        currency = self.currency
        if received is not None and received.asset == currency:
            return received.amount
        if sent is not None and sent.asset == currency:
            return sent.amount
        if tx.fair_value is not None and tx.fair_value_currency == currency:
            return tx.fair_value
        if self._price is None:
            return None
        at = tx.timestamp
        for leg in (received, sent):
            if leg is not None and is_fiat(leg.asset):
                value = self.convert(leg.asset, leg.amount, at, tx.account)
                if value is not None:
                    return value
        if tx.fair_value is not None and tx.fair_value_currency and is_fiat(tx.fair_value_currency):
            value = self.convert(tx.fair_value_currency, tx.fair_value, at, tx.account)
            if value is not None:
                return value
        for leg in (received, sent):
            if leg is not None and not is_fiat(leg.asset):
                value = self.convert(leg.asset, leg.amount, at, tx.account)
                if value is not None:
                    return value
        return None

    def leg(self, tx: Transaction, leg: Leg, event_value: Decimal | None) -> Decimal | None:
        """The value of `leg` (e.g. a fee) in `tx`: at the unit value the event implies, else at its price."""
        if leg.asset == self.currency:
            return leg.amount
        if event_value is not None and not is_fiat(leg.asset):
            for other in (tx.received, tx.sent):
                if other is not None and other.asset == leg.asset:
                    return share(event_value, leg.amount, other.amount)
        return self.convert(leg.asset, leg.amount, tx.timestamp, tx.account)

    def convert(self, asset: str, amount: Decimal, at: datetime, account: str | None = None) -> Decimal | None:
        """`amount` of `asset` in the report currency at `at` (for `account`'s event), from the price source;
        None without a price."""
        if asset == self.currency:
            return amount
        if self._price is None:
            return None
        with localcontext(self._caller_context):
            price = self._price(asset, self.currency, at, account)
        if price is None:
            return None
        return price * amount
