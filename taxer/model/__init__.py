"""The normalized ledger as small immutable records, shared by importers, the store and the engine.

Money and quantities are `Decimal`; timestamps are timezone-aware UTC. Records are built where data enters
(importers) and validated there; everything downstream can rely on these invariants.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

UTC = UTC

# Fiat currencies: a leg in one of these is money, not a crypto asset (stablecoins are crypto).
FIAT = frozenset({
    "USD", "EUR", "GBP", "CAD", "AUD", "NZD", "CHF", "JPY", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF",
    "SGD", "HKD", "KRW", "INR", "BRL", "MXN", "ZAR", "TRY", "AED", "ILS", "CNY", "RUB", "UAH", "ARS",
})


def is_fiat(asset: str) -> bool:
    """True for fiat currency codes (USD, EUR, ...); stablecoins such as USDT are not fiat."""
    return asset in FIAT


class Kind(StrEnum):
    """What a ledger transaction is, before any tax interpretation."""

    TRADE = "trade"            # sent one asset, received another (buy, sell, crypto-to-crypto)
    DEPOSIT = "deposit"        # received, origin unknown to the importer (may be a transfer in)
    WITHDRAWAL = "withdrawal"  # sent, destination unknown to the importer (may be a transfer out)
    INCOME = "income"          # received as income; `label` says which (staking, reward, mining, ...)
    SPEND = "spend"            # sent to pay for goods or services: a disposal at fair value
    FEE = "fee"                # a standalone fee or cost paid in an asset: a disposal at fair value
    GIFT = "gift"              # sent as a gift: reported apart from sales
    DONATION = "donation"      # sent to charity: reported apart from sales
    LOST = "lost"              # lost or stolen: reported apart from sales
    IGNORED = "ignored"        # kept for the audit trail, excluded from all computations


# Income types a transaction of kind INCOME carries in its label.
INCOME_TYPES = ("staking", "reward", "interest", "mining", "airdrop", "fork", "income")


@dataclass(frozen=True, slots=True)
class Leg:
    """One side of a transaction: an exact, positive amount of one asset."""

    asset: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Transaction:
    """One normalized ledger transaction with up to three legs (sent, received, fee).

    `fair_value` is the transaction's value in `fair_value_currency` as the source stated it (e.g. Koinly's
    "Net Worth"), or None when unknown. `source` names where the record comes from (``koinly``, ``bitget``...)
    and `external_id` is stable per account and source, so re-imports add nothing twice. `id` is the ledger's
    row id once stored (None before).
    """

    account: str
    timestamp: datetime
    kind: Kind
    sent: Leg | None = None
    received: Leg | None = None
    fee: Leg | None = None
    fair_value: Decimal | None = None
    fair_value_currency: str | None = None
    label: str | None = None
    description: str | None = None
    tx_hash: str | None = None
    source: str = ""
    external_id: str = ""
    id: int | None = None

    def __post_init__(self) -> None:
        zone = self.timestamp.tzinfo
        if zone is UTC:
            return  # the common case, checked first: millions of records are built per report
        if zone is None or self.timestamp.utcoffset() is None:
            raise ValueError(f"transaction {self.external_id!r}: naive timestamp {self.timestamp!r}; must be UTC-aware")
