"""The engine's working state for one computation: pools of open lots, account balances, the rows produced.

`Books` offers the few primitives every transaction kind is built from: acquire, dispose, remove (coins
leaving without a disposal), receive (moved lots arriving), warn; and the one-time split of universal pools
per account.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import count
from typing import TypeVar, cast

from taxer.engine.allocation import SafeHarbor, Whereabouts, rule_key
from taxer.engine.exact import ZERO, allocate
from taxer.engine.exact import quantity as q
from taxer.engine.methods import Method
from taxer.engine.pools import OpenLot, Pool
from taxer.engine.records import LONG, SHORT, Disposal, EarlierRows, IncomeEvent, LedgerWarning, Lot, Transfer
from taxer.engine.taxyear import anniversary
from taxer.model import FIAT, Transaction

Row = TypeVar("Row")
PoolKey = str | tuple[str, str]  # asset (one universal pool), or account and asset


class Moment:
    """The transaction being processed, with what its rows need: id, instant, local date, method in force."""

    __slots__ = ("date", "method", "t", "tx", "tx_id")

    def __init__(self, tx: Transaction, tx_id: int, t: int, local_date: date, method: Method) -> None:
        self.tx = tx
        self.tx_id = tx_id
        self.t = t
        self.date = local_date
        self.method = method

    def where(self) -> str:
        """How a warning names this transaction."""
        tx = self.tx
        when = tx.timestamp.astimezone(UTC)
        return f"transaction {self.tx_id} ({when:%Y-%m-%d %H:%M:%S} UTC, account {tx.account!r})"


class Books:
    """Open lots by pool (per asset, or per account and asset), balances per account, the results so far."""

    def __init__(self, per_account: bool, long_after: Callable[[date], date] = anniversary) -> None:
        self.per_account = per_account
        self.long_after = long_after  # the holding-period rule: acquisition date -> last short-term date
        self.pools: dict[PoolKey, Pool] = {}
        self.balances: dict[tuple[str, str], Decimal] = {}  # what the ledger says each account holds
        self.disposals: list[Disposal] = []
        self.income: list[IncomeEvent] = []
        self.warnings: list[LedgerWarning] = []
        self.transfers: list[Transfer] = []
        self.keep_from: int | None = None  # micros; results before it are computed but not kept
        # With `earlier` (compute's), rows before `keep_from` are made after all, into these lists, which
        # `hand_on` hands to it and empties: a report's carryover reads the earlier years.
        self.earlier: EarlierRows | None = None
        self.early_disposals: list[Disposal] = []
        self.early_income: list[IncomeEvent] = []
        # While a universal pool will later be split per account: which lots' units each account holds.
        self.whereabouts: Whereabouts | None = None
        self._seq = count()

    def kept(self, m: Moment, rows: list[Row]) -> list[Row]:
        """`rows` when results at `m` are kept; else the list of earlier rows (`earlier`) or a throw-away list."""
        if self.keep_from is None or m.t >= self.keep_from:
            return rows
        if self.earlier is None:
            return []
        early = self.early_disposals if rows is self.disposals else self.early_income
        return cast("list[Row]", early)

    def hand_on(self) -> None:
        """Hand the earlier rows made so far to `earlier` (none is kept here)."""
        earlier = self.earlier
        assert earlier is not None  # only called when handing on
        if self.early_disposals:
            earlier.disposals(self.early_disposals)
            self.early_disposals = []
        if self.early_income:
            earlier.income(self.early_income)
            self.early_income = []

    def pool(self, account: str, asset: str, method: Method) -> Pool:
        """The pool `account`'s `asset` belongs to (created ordered for `method`)."""
        key: PoolKey = (account, asset) if self.per_account else asset
        pool = self.pools.get(key)
        if pool is None:
            pool = self.pools[key] = Pool(method)
        return pool

    def acquire(self, m: Moment, account: str, asset: str, amount: Decimal, cost: Decimal,
                basis_missing: bool = False, acquired: tuple[datetime, date, int] | None = None) -> None:
        """A new lot acquired at `m` for `cost`; `acquired` (instant, local date, micros) dates it otherwise."""
        at, local, t = acquired if acquired is not None else (m.tx.timestamp, m.date, m.t)
        lot = OpenLot(asset, amount, cost, at, local, t, next(self._seq), account, m.tx_id, basis_missing,
                      self.long_after(local))
        self.pool(account, asset, m.method).add(lot)
        if self.whereabouts is not None:
            self.whereabouts.add(account, asset, t, lot.seq, amount)

    def receive(self, account: str, asset: str, lots: list[OpenLot], method: Method) -> None:
        """Lots moved in from another pool; they keep their acquisition time and basis."""
        pool = self.pool(account, asset, method)
        for lot in lots:
            lot.account = account
            pool.add(lot)

    def remove(self, m: Moment, account: str, asset: str, amount: Decimal) -> tuple[list[OpenLot], Decimal]:
        """Take `amount` out of the pool without a disposal (a transfer or an unexplained withdrawal)."""
        pool = self.pool(account, asset, m.method)
        pool.use(m.method)
        if self.whereabouts is not None:
            self.whereabouts.take(account, asset, amount)
        return pool.take(amount)

    def dispose(self, m: Moment, account: str, asset: str, amount: Decimal, proceeds: Decimal | None,
                category: str, value_missing: bool = False, fee: Decimal = ZERO) -> None:
        """Dispose of `amount` for `proceeds`: a row per lot used, a zero-basis row for what was lacking.

        `proceeds` are net of the selling expense `fee`, which lot methods need no further (UK matching shows
        gross proceeds and the fee among allowable costs). None: at the cost of what is disposed of, so neither
        gain nor loss (a no-gain/no-loss transfer to a spouse).
        """
        lots, short = self.remove(m, account, asset, amount)
        rows = self.kept(m, self.disposals)
        # rows of years before the report's are built only when asked for (`earlier`): most of a long history
        if rows is self.disposals or rows is self.early_disposals:
            self._rows(m, account, asset, amount, proceeds, category, value_missing, lots, short, rows)
        if short:
            self.warn("oversold", f"{m.where()}: disposes of {q(amount)} {asset} but only "
                      f"{q(amount - short)} were held{self.where_held(account)}; the missing {q(short)} "
                      f"{asset} are counted with zero cost basis and flagged.", m, account, asset, short)

    def _rows(self, m: Moment, account: str, asset: str, amount: Decimal, proceeds: Decimal | None, category: str,
              value_missing: bool, lots: list[OpenLot], short: Decimal, rows: list[Disposal]) -> None:
        """The disposal rows, appended to `rows`: one per lot used, a zero-basis one for what was lacking."""
        parts = [lot.amount for lot in lots]
        if short:
            parts.append(short)
        if proceeds is None:  # no gain, no loss: each piece's proceeds are its cost
            shares = [lot.cost for lot in lots] + ([ZERO] if short else [])
        else:
            shares = allocate(proceeds, parts, amount)
        at, sold, method = m.tx.timestamp, m.date, m.method.name
        for lot, proceeds_part in zip(lots, shares):
            rows.append(Disposal(
                asset=asset, amount=lot.amount, account=account, acquired_at=lot.acquired_at, disposed_at=at,
                proceeds=proceeds_part, cost_basis=lot.cost, gain=proceeds_part - lot.cost,
                term=LONG if sold > lot.long_after else SHORT, acquire_tx_id=lot.tx_id,
                dispose_tx_id=m.tx_id, category=category, method=method, basis_missing=lot.basis_missing,
                value_missing=value_missing, acquired_date=lot.acquired_date, disposed_date=sold))
        if short:
            proceeds_part = shares[-1]
            rows.append(Disposal(
                asset=asset, amount=short, account=account, acquired_at=at, disposed_at=at,
                proceeds=proceeds_part, cost_basis=ZERO, gain=proceeds_part, term=SHORT, acquire_tx_id=None,
                dispose_tx_id=m.tx_id, category=category, method=method, basis_missing=True,
                value_missing=value_missing, acquired_date=sold, disposed_date=sold))

    def warn(self, code: str, message: str, m: Moment | tuple[int | None, ...], account: str | None = None,
             asset: str | None = None, amount: Decimal | None = None) -> None:
        """Record a ledger problem (`m` is the transaction it is about, or a tuple of transaction ids)."""
        tx_ids = (m.tx_id,) if isinstance(m, Moment) else m
        self.warnings.append(LedgerWarning(code, message, tx_ids, account, asset, amount))

    def track(self, tx: Transaction) -> None:
        """Follow the balance each account holds (needed to split universal pools per account)."""
        balances = self.balances
        for leg, sign in ((tx.received, 1), (tx.sent, -1), (tx.fee, -1)):
            if leg is not None and leg.asset not in FIAT:
                key = (tx.account, leg.asset)
                balances[key] = balances.get(key, ZERO) + sign * leg.amount

    def split_by_account(self, when: str, in_transit: dict[tuple[str, str], Decimal],
                         election: SafeHarbor | None = None) -> tuple[Lot, ...]:
        """Turn each universal pool into per-account pools (Rev. Proc. 2024-28's switch from 2025 on).

        Each account receives lots up to what it holds (its balance, plus coins on their way to it). Without an
        `election`, a lot goes to the account whose history holds its units (`whereabouts`); what history cannot
        place (the universal pool used other lots than those that left an account) fills the accounts still
        short, the lot's own account first, then in name order. With a safe-harbor `election`, its specific units
        or its global rule decide. A pool that does not match the balances gets a warning. Returns the lots each
        account holds after the split (the 31 December 2024 snapshot).
        """
        # Until now the pools were universal, keyed by asset alone.
        universal, self.pools, self.per_account = cast("dict[str, Pool]", self.pools), {}, True
        whereabouts, self.whereabouts = self.whereabouts, None
        wanted: dict[str, dict[str, Decimal]] = {}
        for (account, asset), amount in list(self.balances.items()) + list(in_transit.items()):
            if amount > 0:
                held = wanted.setdefault(asset, {})
                held[account] = held.get(account, ZERO) + amount
        for asset in sorted(set(universal) | set(wanted)):
            pool = universal.get(asset)
            method = pool.method if pool is not None else None
            lots = list(pool.drain_oldest_first()) if pool is not None else []
            need = dict(wanted.get(asset, {}))
            given: dict[str, list[OpenLot]] = {}
            history = whereabouts.held(asset) if whereabouts else {}
            if election is not None and election.units:
                lots = self._give_specific(asset, lots, need, given, election)
                lots = _give_by_history(lots, need, given, history)  # units the election does not name
            elif election is not None:
                assert election.rule is not None  # a SafeHarbor without units has a rule
                lots.sort(key=rule_key(election.rule))
                order = list(election.account_order) + sorted(a for a in need if a not in election.account_order)
                lots = _fill(lots, need, given, order)
            else:
                lots = _give_by_history(lots, need, given, history)
            lots.sort(key=lambda lot: (lot.t, lot.seq))
            # What history could not place: the lot's own account first, then the others in name order.
            for account in sorted(need):
                lots = _fill(lots, need, given, [account], only=account)
            lots = _fill(lots, need, given, sorted(need))
            for account, portions in given.items():
                assert method is not None  # lots were given, so there was a pool
                self.receive(account, asset, portions, method)
            # Lots no balance accounts for stay with the accounts that acquired them: basis is never dropped.
            for lot in lots:
                assert method is not None  # lots are left, so there was a pool
                self.receive(lot.account, asset, [lot], method)
            extra = sum((lot.amount for lot in lots), ZERO)
            short = sorted((account, amount) for account, amount in need.items() if amount > 0)
            if short or extra:
                self._warn_split(when, asset, short, extra)
        return tuple(lot.public() for key in sorted(self.pools, key=str) for lot in self.pools[key].lots())

    def _give_specific(self, asset: str, lots: list[OpenLot], need: dict[str, Decimal],
                       given: dict[str, list[OpenLot]], election: SafeHarbor) -> list[OpenLot]:
        """A specific safe-harbor allocation: the stated units of the stated lots to each account."""
        for units in election.units:
            if units.asset != asset:
                continue
            want = min(units.amount, need.get(units.account, ZERO))
            for lot in [lot for lot in lots if lot.tx_id == units.acquire_tx_id]:
                if want <= 0:
                    break
                part = lot if lot.amount <= want else lot.split(want)
                if part is lot:
                    lots.remove(lot)
                given.setdefault(units.account, []).append(part)
                need[units.account] -= part.amount
                want -= part.amount
            if want > 0:
                self.warn("safe_harbor_units", f"The safe-harbor allocation gives {q(units.amount)} {asset} of "
                          f"the lot of transaction {units.acquire_tx_id} to account {units.account!r}, but only "
                          f"{q(units.amount - want)} could be given (the lot or the account's balance is smaller); "
                          "the rest of the account's units are placed by their history.", (units.acquire_tx_id,),
                          units.account, asset, want)
        return lots

    def _warn_split(self, when: str, asset: str, short: list[tuple[str, Decimal]], extra: Decimal) -> None:
        parts = [f"{q(amount)} {asset} held in account {account!r} had no lot to take (disposals there will "
                 "show as oversold)" for account, amount in short]
        if extra:
            parts.append(f"{q(extra)} {asset} of lots matched no account balance and stay with the accounts "
                         "that acquired them")
        missing = sum((amount for _, amount in short), ZERO)
        self.warn("pool_allocation", f"At the switch to per-account pools ({when}) the universal {asset} "
                  f"pool did not match the accounts' balances: {'; '.join(parts)}.", (), None, asset,
                  missing + extra)

    def holdings(self, in_transit: list[OpenLot]) -> tuple[Lot, ...]:
        """The lots held at the end (coins still in transit count at their destination), sorted."""
        lots = [lot for pool in self.pools.values() for lot in pool.lots()]
        lots.extend(in_transit)
        lots.sort(key=lambda lot: (lot.asset, lot.account, lot.t, lot.seq))
        return tuple(lot.public() for lot in lots)

    def where_held(self, account: str) -> str:
        """How a message names the pool `account`'s coins are in."""
        return f" in account {account!r}" if self.per_account else " in the universal pool"


def _give_by_history(lots: list[OpenLot], need: dict[str, Decimal], given: dict[str, list[OpenLot]],
                     held: dict[str, dict[int, Decimal]]) -> list[OpenLot]:
    """Give each account the units of the lots its history says it holds (by lot seq); the lots left over."""
    left: list[OpenLot] = []
    accounts = sorted(held)
    for lot in lots:
        for account in accounts:
            units = min(held[account].get(lot.seq, ZERO), need.get(account, ZERO), lot.amount)
            if units <= 0:
                continue
            part = lot if units == lot.amount else lot.split(units)
            given.setdefault(account, []).append(part)
            need[account] -= units
            held[account][lot.seq] -= units
            if part is lot:
                break
        else:
            left.append(lot)
    return left


def _fill(lots: list[OpenLot], need: dict[str, Decimal], given: dict[str, list[OpenLot]], order: list[str],
          only: str | None = None) -> list[OpenLot]:
    """Give `lots` in their order to the accounts in `order`, each up to its need (`only`: lots acquired in
    that account); the lots left over."""
    left: list[OpenLot] = []
    for lot in lots:
        if only is not None and lot.account != only:
            left.append(lot)
            continue
        for account in order:
            amount = need.get(account, ZERO)
            if amount <= 0:
                continue
            part = lot if lot.amount <= amount else lot.split(amount)
            given.setdefault(account, []).append(part)
            need[account] -= part.amount
            if part is lot:
                break
        else:
            left.append(lot)
    return left
