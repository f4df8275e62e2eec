"""What the engine returns: small immutable records, exact Decimals, aware datetimes.

Reports format them; they never recompute them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from taxer.engine.exact import EXACT, ZERO

# Disposal categories. Only "sale" rows go on Form 8949; the others are reported apart as "other disposals".
SALE = "sale"
TRANSFER_FEE = "transfer_fee"
GIFT = "gift"
GIFT_SPOUSE = "gift_spouse"  # a gift to a spouse or civil partner (Kind.GIFT labelled "gift_spouse")
DONATION = "donation"
LOST = "lost"
CATEGORIES = (SALE, TRANSFER_FEE, GIFT, GIFT_SPOUSE, DONATION, LOST)

# How a country treats a gift, a gift to a spouse, a donation (EngineSettings.gift_rules, per category):
# no proceeds, listed apart (US, Germany); a disposal at market value (UK TCGA 1992 s17(1)(a), Canada ITA
# s69(1)(b), Australia ITAA 1997 s116-30); or at the cost that gives neither gain nor loss (UK TCGA s58 spouses
# and s257 charities, Canada ITA s73(1) spouse rollover at the adjusted cost base).
NO_PROCEEDS = "no_proceeds"
MARKET_VALUE = "market_value"
NO_GAIN_NO_LOSS = "no_gain_no_loss"
GIFT_RULES = (NO_PROCEEDS, MARKET_VALUE, NO_GAIN_NO_LOSS)

SHORT = "short"
LONG = "long"

# How a piece was matched, where a country's rules name it: UK same-day, 30-day (bed and breakfast) and
# Section 104 pool matching (TCGA 1992 s104-106A); Canada's adjusted cost base ("acb"). Empty for lot methods.
SAME_DAY = "same_day"
THIRTY_DAY = "thirty_day"
POOL = "pool"
ACB = "acb"
POOLED_RULES = (POOL, ACB)  # pieces priced at a pool's average cost: no single acquisition date


@dataclass(frozen=True, slots=True)
class Disposal:
    """One lot-matched piece of a disposal: a Form 8949 line when `category` is "sale".

    `gain` is exactly `proceeds - cost_basis`; `adjustment` (with its `adjustment_code`) is added to it on the
    return, as Form 8949 column (g) does: a Canadian superficial loss denied is a positive adjustment. `rule`
    names how the piece was matched where a country's rules say so (SAME_DAY, THIRTY_DAY, POOL, ACB).
    `basis_missing` marks a piece whose basis is unknown (an
    oversold part, or coins of unknown origin); `value_missing` a piece whose proceeds had no known value.
    `acquired_date` and `disposed_date` are the calendar dates in the taxpayer's time zone that decided
    `term`.
    """

    asset: str
    amount: Decimal
    account: str
    acquired_at: datetime
    disposed_at: datetime
    proceeds: Decimal
    cost_basis: Decimal
    gain: Decimal
    term: str
    acquire_tx_id: int | None
    dispose_tx_id: int | None
    category: str
    method: str
    basis_missing: bool = False
    value_missing: bool = False
    acquired_date: date | None = None
    disposed_date: date | None = None
    rule: str = ""
    adjustment: Decimal = ZERO
    adjustment_code: str = ""

    @property
    def is_sale(self) -> bool:
        """True for rows that go on Form 8949 (sales, trades, spends, fees); False for "other disposals"."""
        return self.category == SALE


@dataclass(frozen=True, slots=True)
class IncomeEvent:
    """Ordinary income received (Schedule 1 / C): `fair_value` in the report currency, None when unknown."""

    timestamp: datetime
    asset: str
    amount: Decimal
    fair_value: Decimal | None
    type: str
    account: str
    tx_id: int | None
    value_missing: bool = False


@dataclass(frozen=True, slots=True)
class Lot:
    """Coins held at the end of the computation, with their original acquisition time and remaining basis.

    `account` is the account holding the lot in per-account pools; in a universal pool (transfers move
    nothing) it is the account where the lot was acquired.
    """

    asset: str
    amount: Decimal
    acquired_at: datetime
    cost_basis: Decimal
    account: str
    acquire_tx_id: int | None
    basis_missing: bool = False


@dataclass(frozen=True, slots=True)
class LedgerWarning:
    """A ledger problem the user should look at; returned, never raised, and listed in every report."""

    code: str
    message: str
    tx_ids: tuple[int | None, ...] = ()
    account: str | None = None
    asset: str | None = None
    amount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Transfer:
    """A withdrawal matched with a deposit in another of the user's accounts: not taxable, only its fee is."""

    withdrawal_tx_id: int | None
    deposit_tx_id: int | None
    asset: str
    amount_sent: Decimal
    amount_received: Decimal
    from_account: str
    to_account: str
    sent_at: datetime
    received_at: datetime

    @property
    def fee(self) -> Decimal:
        """The quantity lost on the way (sent - received), disposed of as a network fee."""
        return self.amount_sent - self.amount_received


@dataclass(frozen=True, slots=True)
class Result:
    """Everything `compute` found, in processing order (holdings sorted by asset, account, acquisition)."""

    disposals: tuple[Disposal, ...] = ()
    income: tuple[IncomeEvent, ...] = ()
    holdings: tuple[Lot, ...] = ()
    warnings: tuple[LedgerWarning, ...] = ()
    transfers: tuple[Transfer, ...] = ()
    # US: the lots each account held when its pools became per-account (1 January 2025, Rev. Proc. 2024-28),
    # as the split allotted them; empty when no split happened in the computation.
    allocation_2025: tuple[Lot, ...] = ()

    def holdings_by_asset(self) -> dict[str, Decimal]:
        """Total quantity held per asset, sorted by asset."""
        totals: dict[str, Decimal] = {}
        for lot in self.holdings:
            totals[lot.asset] = EXACT.add(totals.get(lot.asset, ZERO), lot.amount)
        return dict(sorted(totals.items()))

    def holdings_by_account(self) -> dict[tuple[str, str], Decimal]:
        """Total quantity held per (account, asset), sorted (`Lot.account` says what account means)."""
        totals: dict[tuple[str, str], Decimal] = {}
        for lot in self.holdings:
            key = (lot.account, lot.asset)
            totals[key] = EXACT.add(totals.get(key, ZERO), lot.amount)
        return dict(sorted(totals.items()))


class EarlierRows(Protocol):
    """Where `compute(earlier=...)` hands the rows dated before `keep_from`, as they are made, instead of keeping
    them: a report's loss carryover reads each earlier year's totals without holding every earlier line."""

    def disposals(self, rows: list[Disposal]) -> None:
        """Disposal rows dated before `keep_from` (in the order made; a country's matching gives them per asset)."""

    def income(self, rows: list[IncomeEvent]) -> None:
        """Income rows dated before `keep_from`."""

    def reached(self, at: datetime) -> None:
        """Every row dated before `at` (one of compute's `marks`) has been handed on."""
