"""`compute`: ledger transactions in, disposals, income, holdings, transfers and warnings out. Pure: no I/O.

Each transaction kind is one small handler built from the `Books` primitives; DOMAIN.md is the rule book.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal, getcontext, localcontext
from typing import Any

from taxer.engine.allocation import SafeHarbor, Whereabouts
from taxer.engine.books import Books, Moment
from taxer.engine.events import EventBooks
from taxer.engine.exact import EXACT, ZERO
from taxer.engine.exact import quantity as q
from taxer.engine.methods import METHODS, Method
from taxer.engine.ordering import crypto, ledger_order, micros
from taxer.engine.overrides import NONE, Overrides
from taxer.engine.pools import OpenLot
from taxer.engine.records import (
    DONATION,
    GIFT,
    GIFT_SPOUSE,
    LOST,
    MARKET_VALUE,
    NO_GAIN_NO_LOSS,
    SALE,
    TRANSFER_FEE,
    EarlierRows,
    IncomeEvent,
    Lot,
    Result,
    Transfer,
)
from taxer.engine.settings import EngineSettings
from taxer.engine.transfers import match_transfers
from taxer.engine.valuation import PriceFn, Valuer
from taxer.errors import ConfigError
from taxer.model import INCOME_TYPES, Kind, Leg, Transaction

# US: per-account pools from tax year 2025 (Rev. Proc. 2024-28); a universal pool was allowed before.
PER_ACCOUNT_FROM_YEAR = 2025

# Their rules look at acquisitions up to 30 days after a disposal: the ledger is read this much past `until`
# (a day more each side, as the windows count local calendar days).
LOOK_AHEAD = timedelta(days=32)

_LAZY: Any = object()  # stands for "the event's value, worked out only if the fee needs it"
_OUTFLOW_CATEGORY = {
    Kind.SPEND: SALE, Kind.FEE: SALE, Kind.GIFT: GIFT, Kind.DONATION: DONATION, Kind.LOST: LOST,
}


def compute(transactions: Iterable[Transaction], settings: EngineSettings | None = None,
            until: datetime | None = None, price: PriceFn | None = None,
            keep_from: datetime | None = None, overrides: Overrides = NONE, earlier: EarlierRows | None = None,
            marks: Sequence[datetime] = ()) -> Result:
    """Compute lots, disposals, income and holdings from ledger transactions (only those before `until`).

    `keep_from`: the whole history is still processed (lots need it), but only disposals and income on or after
    this instant are kept in the result; a report of one year passes its start, which bounds memory.

    With a country's own matching (`settings.matcher`, e.g. taxer.engine.uk.match) the ledger is read up to
    LOOK_AHEAD past `until`, so that acquisitions after a disposal can be matched with it; rows, warnings and
    transfers from then on are dropped, and the holdings are those of the pool on `until`'s local date.

    `price(asset, currency, at)` is asked for values the ledger does not give; without it, or when it returns
    None, the value counts as 0 and the rows are flagged, with a `missing_value` warning. Ledger problems are
    warnings in the result; only bad arguments raise (`ConfigError`).

    `overrides` carries the user's decisions the transactions cannot (forced or forbidden transfer pairs,
    withdrawals to their own wallets, supplied cost basis), keyed by transaction id.

    `earlier` (with `keep_from`) is handed the disposal and income rows dated before `keep_from` as they are
    made, instead of dropping them; `earlier.reached(mark)` is called for each of `marks` (instants up to
    `keep_from`, e.g. where each earlier tax year ends) once every row dated before it has been handed on, so the
    receiver can finish a year as soon as it is complete.
    """
    settings = settings if settings is not None else EngineSettings()
    for name, value in (("until", until), ("keep_from", keep_from), *(("marks", mark) for mark in marks)):
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise ConfigError(f"{name} must be a timezone-aware datetime, not {value!r}")
    if earlier is not None and keep_from is None:
        raise ConfigError("earlier rows need keep_from: without it every row is kept in the result")
    valuer = Valuer(settings.currency, price, getcontext().copy())
    with localcontext(EXACT):
        computation = _Computation(settings, valuer, overrides)
        computation.books.keep_from = micros(keep_from) if keep_from is not None else None
        if earlier is not None:
            computation.hand_to(earlier, marks)
        return computation.run(transactions, until)


class _Computation:
    """One run of the engine over one ledger."""

    def __init__(self, settings: EngineSettings, valuer: Valuer, overrides: Overrides = NONE) -> None:
        self.settings = settings
        self.overrides = overrides
        self.valuer = valuer
        self.zone = settings.zone
        self.matcher = settings.matcher
        if self.matcher is None:
            self.books = Books(per_account=settings.pool == "per_account", long_after=settings.long_after)
        else:
            self.books = EventBooks(None, settings.long_after)
        switch = datetime(PER_ACCOUNT_FROM_YEAR, 1, 1, tzinfo=self.zone)
        self.switch_label = f"{switch:%Y-%m-%d %H:%M} {settings.timezone}"
        self.switch_at = micros(switch) if settings.pool == "auto" else None
        if self.switch_at is not None and self.matcher is None:
            self.books.whereabouts = Whereabouts()  # so the split knows which account holds which lot
        self.allocation: tuple[Lot, ...] = ()
        # deposit index -> (lots on their way, quantity the sender lacked); None when nothing moves (one pool)
        self.transit: dict[int, tuple[list[OpenLot], Decimal] | None] = {}
        self._methods: dict[int, Method] = {}
        self.marks: list[tuple[int, datetime]] = []  # (micros, instant) of compute's `marks`, in time order
        self._told = 0  # how many marks `earlier` has been told of

    def hand_to(self, earlier: EarlierRows, marks: Sequence[datetime]) -> None:
        """Make the rows before `keep_from` and hand them to `earlier` (see `compute`): the books keep it."""
        self.marks = sorted((micros(mark), mark) for mark in marks)
        self.books.earlier = earlier

    def _reach(self, upto: int) -> None:
        """Hand on the rows so far and tell `earlier` of the marks up to index `upto` (exclusive) not yet told."""
        earlier = self.books.earlier
        assert earlier is not None  # only called when handing on
        self.books.hand_on()
        while self._told < upto:
            earlier.reached(self.marks[self._told][1])
            self._told += 1

    def _mark_positions(self, order: Sequence[int], times: list[int], end: int) -> list[int]:
        """For each mark, the position in `order` after which every transaction dated before it is processed
        (-1: before the first). A deposit waiting for its withdrawal is processed later than its time says."""
        marks = [t for t, _ in self.marks]
        if isinstance(order, range):
            return [bisect_left(times, t, 0, end) - 1 for t in marks]
        last = [-1] * len(marks)
        for p, i in enumerate(order):
            k = bisect_right(marks, times[i])  # the first mark after this transaction
            if k < len(marks):
                last[k] = p
        for k in range(1, len(marks)):
            last[k] = max(last[k], last[k - 1])
        return last

    def run(self, transactions: Iterable[Transaction], until: datetime | None) -> Result:
        ledger, times = ledger_order(transactions)
        self.ledger = ledger
        self.ids = ids = [tx.id if tx.id is not None else i for i, tx in enumerate(ledger)]
        horizon = until
        if until is not None and self.matcher is not None:
            assert isinstance(self.books, EventBooks)  # a matcher's books
            self.books.until = micros(until)
            horizon = until + LOOK_AHEAD
        end = len(ledger) if horizon is None else bisect_left(times, micros(horizon))
        window = self.settings.transfer_window // timedelta(microseconds=1)
        # Matching sees the whole ledger, so a transfer still in transit at `until` is not mistaken for a
        # withdrawal to outside; a pair counts only when its withdrawal falls before `until`.
        forced, excluded = self._decided(ids)
        self.deposit_of = {w: d for w, d in match_transfers(ledger, times, window, forced, excluded).items()
                           if w < end}
        self.withdrawal_of = {d: w for w, d in self.deposit_of.items()}
        # A deposit sorted before its own withdrawal (same timestamp, or exchange clocks apart) waits for it.
        waits = {d: w for d, w in self.withdrawal_of.items() if d < w and d < end}
        order: Sequence[int] = range(end)
        if waits:
            order = sorted(order, key=lambda i: (waits[i], 1) if i in waits else (i, 0))

        books, zone, switch_at, handlers = self.books, self.zone, self.switch_at, _HANDLERS
        tracking = switch_at is not None
        # Under lot methods rows are made as the ledger is read: each mark is reached at its position.
        self._told = 0
        due = self._mark_positions(order, times, end) if books.earlier is not None and self.matcher is None else []
        due.append(len(order))  # a sentinel: past the last position
        if due[0] < 0:
            self._reach(bisect_right(due, -1))
        next_due = due[self._told]
        for p, i in enumerate(order):
            tx = ledger[i]
            t = times[i]
            if tracking and switch_at is not None and times[waits.get(i, i)] >= switch_at:
                self._split(order, i)
                tracking = False
            local = tx.timestamp.astimezone(zone).date()
            m = Moment(tx, ids[i], t, local, self._method(local.year))
            if tracking:
                books.track(tx)
            handlers[tx.kind](self, i, m)
            if p == next_due:
                self._reach(bisect_right(due, p))
                next_due = due[self._told]
        if tracking and until is not None and switch_at is not None and micros(until) > switch_at:
            self._split((), None)  # a period reaching into 2025 ends in per-account pools, even with no 2025 activity

        if self.matcher is not None:
            assert isinstance(books, EventBooks)  # a matcher's books
            stop = until.astimezone(zone).date() if until is not None else None
            disposals, holdings = self.matcher(books, stop)
            if books.earlier is not None:
                self._reach(len(self.marks))
            transfers = [t for t in books.transfers if until is None or t.sent_at < until]
            return Result(disposals=tuple(disposals), income=tuple(books.income), holdings=tuple(holdings),
                          warnings=tuple(books.warnings), transfers=tuple(transfers))
        if books.earlier is not None:
            self._reach(len(self.marks))
        in_transit = [lot for entry in self.transit.values() if entry for lot in entry[0]]
        return Result(disposals=tuple(books.disposals), income=tuple(books.income),
                      holdings=books.holdings(in_transit), warnings=tuple(books.warnings),
                      transfers=tuple(books.transfers), allocation_2025=self.allocation)

    def _decided(self, ids: list[int]) -> tuple[dict[int, int], set[int]]:
        """The user's transfer decisions as ledger indices: forced pairs, and transactions never auto-matched."""
        o = self.overrides
        if not o.pairs and not o.unpaired:
            return {}, set()
        index: dict[int, int] = {}
        for i, tx_id in enumerate(ids):
            index.setdefault(tx_id, i)
        forced = {index[w]: index[d] for w, d in o.pairs.items() if w in index and d in index}
        return forced, {index[t] for t in o.unpaired if t in index}

    def _method(self, year: int) -> Method:
        method = self._methods.get(year)
        if method is None:
            method = self._methods[year] = METHODS[self.settings.method_for(year)]
        return method

    def _split(self, order: Iterable[int], first: int | None) -> None:
        # Coins withdrawn under the universal pool and not yet deposited belong to their destination account.
        arriving: dict[tuple[str, str], Decimal] = {}
        for d, entry in self.transit.items():
            if entry is None:
                received = self.ledger[d].received
                assert received is not None  # a matched deposit
                key = (self.ledger[d].account, received.asset)
                arriving[key] = arriving.get(key, ZERO) + received.amount
        election = self.settings.allocation_2025
        self.allocation = self.books.split_by_account(self.switch_label, arriving, election)
        if election is not None and election.recorded_on is not None and first is not None:
            self._check_election_date(order, first, election)

    def _check_election_date(self, order: Iterable[int], first: int, election: SafeHarbor) -> None:
        """Rev. Proc. 2024-28 section 5.02(4): the allocation is made before the first 2025 disposal or transfer."""
        assert election.recorded_on is not None  # checked by the caller
        ordered = list(order)
        for i in ordered[ordered.index(first):]:
            tx = self.ledger[i]
            if tx.kind is Kind.TRADE and crypto(tx.sent) is None:
                continue  # a purchase for fiat disposes of nothing
            if tx.kind in (Kind.INCOME, Kind.DEPOSIT):
                continue
            day = tx.timestamp.astimezone(self.zone).date()
            if election.recorded_on > day:
                self.books.warn("safe_harbor_late", f"The safe-harbor allocation was recorded on "
                                f"{election.recorded_on.isoformat()}, after the first 2025 disposal or transfer "
                                f"({day.isoformat()}, transaction {self.ids[i]}); Rev. Proc. 2024-28 section "
                                "5.02(4) requires it before then. It is applied as recorded.", (self.ids[i],))
            return

    # --- one handler per kind -----------------------------------------------------------------------------

    def _trade(self, i: int, m: Moment) -> None:
        """Buy, sell or crypto-to-crypto: dispose of what was sent at its value, acquire what came at it."""
        tx = m.tx
        sent, received = crypto(tx.sent), crypto(tx.received)
        missing: list[Leg] = []
        value = None
        first = sent or received
        if first:
            value = self.valuer.event(tx, tx.sent, tx.received)
            if value is None:
                missing.append(first)
        fee_value, fee_missing = self._fee_value(m, tx.fee, value, missing)
        # The fee is a selling expense when the trade disposes of crypto, else an acquisition cost.
        if sent:
            self.books.dispose(m, tx.account, sent.asset, sent.amount, (value or ZERO) - fee_value, SALE,
                               value is None or fee_missing, fee=fee_value)
        if received:
            cost_fee = ZERO if sent else fee_value
            self.books.acquire(m, tx.account, received.asset, received.amount, (value or ZERO) + cost_fee,
                               value is None or (fee_missing and not sent))
        self._dispose_fee(m, tx.fee, fee_value, fee_missing, SALE)
        self._warn_missing(m, missing)

    def _income(self, i: int, m: Moment) -> None:
        """Staking, rewards, mining...: income at fair value, and a lot with that value as its basis."""
        tx = m.tx
        missing: list[Leg] = []
        value = None
        if tx.received is not None:
            value = self.valuer.event(tx, None, tx.received)
            if value is None:
                missing.append(tx.received)
            label = (tx.label or "").lower()
            self.books.kept(m, self.books.income).append(IncomeEvent(
                timestamp=tx.timestamp, asset=tx.received.asset, amount=tx.received.amount, fair_value=value,
                type=label if label in INCOME_TYPES else "income", account=tx.account, tx_id=m.tx_id,
                value_missing=value is None))
            if crypto(tx.received):
                self.books.acquire(m, tx.account, tx.received.asset, tx.received.amount, value or ZERO,
                                   value is None)
        self._leave_unexplained(m, crypto(tx.sent))
        # A fee on income is not deducted from the income; coins paid as the fee are still disposed of.
        self._pay_fee(m, tx.fee, value, SALE, missing)
        self._warn_missing(m, missing)

    def _deposit(self, i: int, m: Moment) -> None:
        """Coins arriving: the end of a matched transfer, or an acquisition of unknown basis."""
        tx = m.tx
        received = crypto(tx.received)
        if received and i in self.withdrawal_of:
            self._arrive(i, m)
        elif received:
            self._unknown_origin(m, received)
        self._leave_unexplained(m, crypto(tx.sent))
        self._network_fee(m)

    def _withdrawal(self, i: int, m: Moment) -> None:
        """Coins leaving: the start of a matched transfer (only its fee is taxable), or unexplained."""
        tx = m.tx
        sent = crypto(tx.sent)
        if sent and i in self.deposit_of:
            self._depart(i, self.deposit_of[i], m)
        else:
            self._leave_unexplained(m, sent, warn=m.tx_id not in self.overrides.own_wallet)
            self._network_fee(m)
        self._unknown_origin(m, crypto(tx.received))

    def _outflow(self, i: int, m: Moment) -> None:
        """Spend and fee: a sale at fair value; gift, donation, lost: reported apart, with no proceeds, or at
        market value or at no gain/no loss where the country says so (settings.gift_rules)."""
        tx = m.tx
        category = _OUTFLOW_CATEGORY[tx.kind]
        if category == GIFT and (tx.label or "").lower() == GIFT_SPOUSE:
            category = GIFT_SPOUSE
        # A record with only a fee leg (a standalone fee) disposes of that fee.
        out, fee = (tx.sent, tx.fee) if tx.sent is not None else (tx.fee, None)
        coin = crypto(out)  # `out` when it is crypto
        missing: list[Leg] = []
        rule = self.settings.gift_rule(category) if category != SALE else None
        if rule == MARKET_VALUE and coin:
            # A disposal at market value (TCGA 1992 s17(1)(a), ITA s69(1)(b), ITAA 1997 s116-30): valued as a
            # sale would be, listed apart; a fee in another coin is disposed of too.
            value = self.valuer.event(tx, out, None)
            if value is None:
                missing.append(coin)
            self.books.dispose(m, tx.account, coin.asset, coin.amount, value or ZERO, category, value is None)
            self._pay_fee(m, fee, _LAZY, SALE, missing)
        elif rule == NO_GAIN_NO_LOSS and coin:
            self.books.dispose(m, tx.account, coin.asset, coin.amount, None, category)
            self._pay_fee(m, fee, _LAZY, SALE, missing)
        elif category != SALE:
            if coin:
                self.books.dispose(m, tx.account, coin.asset, coin.amount, ZERO, category)
            self._pay_fee(m, fee, _LAZY, SALE, missing)
        elif coin:
            value = self.valuer.event(tx, out, None)
            if value is None:
                missing.append(coin)
            # As on a sale, the fee is a selling expense.
            fee_value, fee_missing = self._fee_value(m, fee, value, missing)
            self.books.dispose(m, tx.account, coin.asset, coin.amount, (value or ZERO) - fee_value, category,
                               value is None or fee_missing, fee=fee_value)
            self._dispose_fee(m, fee, fee_value, fee_missing, SALE)
        else:
            self._pay_fee(m, fee, _LAZY, SALE, missing)  # paid in fiat: only crypto fee coins are disposed of
        self._unknown_origin(m, crypto(tx.received))
        self._warn_missing(m, missing)

    # --- transfers -----------------------------------------------------------------------------------------

    def _depart(self, w: int, d: int, m: Moment) -> None:
        tx, dep = m.tx, self.ledger[d]
        sent, received = tx.sent, dep.received
        assert sent is not None and received is not None  # a matched withdrawal sends, its deposit receives
        missing: list[Leg] = []
        # What does not arrive, plus a fee in the same coin, is the network fee: a disposal listed apart.
        lost = sent.amount - received.amount
        if tx.fee is not None and tx.fee.asset == sent.asset:
            lost += tx.fee.amount
        if lost:
            leg = Leg(sent.asset, lost)
            value = self.valuer.leg(tx, leg, self.valuer.event(tx, sent, None))
            if value is None:
                value = self.valuer.leg(dep, leg, self.valuer.event(dep, None, received))
            if value is None:
                missing.append(leg)
            self.books.dispose(m, tx.account, sent.asset, lost, value or ZERO, TRANSFER_FEE, value is None)
        if tx.fee is not None and tx.fee.asset != sent.asset:
            self._pay_fee(m, tx.fee, _LAZY, TRANSFER_FEE, missing)  # e.g. gas paid in ETH for a token
        self.books.transfers.append(Transfer(
            withdrawal_tx_id=m.tx_id, deposit_tx_id=self.ids[d], asset=sent.asset, amount_sent=sent.amount,
            amount_received=received.amount, from_account=tx.account, to_account=dep.account,
            sent_at=tx.timestamp, received_at=dep.timestamp))
        if not self.books.per_account:
            self.transit[d] = None  # one universal pool: nothing moves
            if self.books.whereabouts is not None:  # but the units change accounts
                self.books.whereabouts.move(tx.account, dep.account, sent.asset, received.amount)
        else:
            lots, short = self.books.remove(m, tx.account, sent.asset, received.amount)
            for lot in lots:
                lot.account = dep.account
            self.transit[d] = (lots, short)
            if short:
                self.books.warn(
                    "oversold", f"{m.where()}: moves {q(received.amount)} {sent.asset} to account "
                    f"{dep.account!r} but only {q(received.amount - short)} were held in account "
                    f"{tx.account!r}; the missing {q(short)} arrive with unknown basis.", m, tx.account,
                    sent.asset, short)
        self._warn_missing(m, missing)

    def _arrive(self, d: int, m: Moment) -> None:
        entry = self.transit.pop(d, None)
        if entry is None:
            return  # universal pool, or lots already given to this account when the pools were split
        lots, short = entry
        tx = m.tx
        assert tx.received is not None  # a matched deposit
        self.books.receive(tx.account, tx.received.asset, lots, m.method)
        if short:
            # Warned at the withdrawal; what was not there arrives with unknown basis, never a silent zero.
            self.books.acquire(m, tx.account, tx.received.asset, short, ZERO, basis_missing=True)

    # --- shared pieces -------------------------------------------------------------------------------------

    def _unknown_origin(self, m: Moment, leg: Leg | None) -> None:
        if leg is None:
            return
        supplied = self.overrides.basis.get(m.tx_id)
        if supplied is not None:
            # The user stated what these coins cost and when: an ordinary lot, dated at its real acquisition
            # (the pool puts it among older lots by that date).
            at = supplied.acquired_at
            self.books.acquire(m, m.tx.account, leg.asset, leg.amount, supplied.cost,
                               acquired=(at, at.astimezone(self.zone).date(), micros(at)))
            return
        self.books.acquire(m, m.tx.account, leg.asset, leg.amount, ZERO, basis_missing=True)
        self.books.warn("unknown_origin", f"{m.where()}: {q(leg.amount)} {leg.asset} arrived from no "
                        "matching withdrawal of another account; their cost basis is unknown (0 and flagged "
                        "until you supply it).", m, m.tx.account, leg.asset, leg.amount)

    def _leave_unexplained(self, m: Moment, leg: Leg | None, warn: bool = True) -> None:
        if leg is None:
            return
        tx = m.tx
        _, short = self.books.remove(m, tx.account, leg.asset, leg.amount)
        if warn:
            self.books.warn("unmatched_withdrawal", f"{m.where()}: {q(leg.amount)} {leg.asset} left to no "
                            "matching deposit in another account; they left the books without a disposal (is "
                            "it a transfer, a gift, a payment?).", m, tx.account, leg.asset, leg.amount)
        if short:
            self.books.warn("oversold", f"{m.where()}: withdraws {q(leg.amount)} {leg.asset} but only "
                            f"{q(leg.amount - short)} were held{self.books.where_held(tx.account)}.", m,
                            tx.account, leg.asset, short)

    def _network_fee(self, m: Moment) -> None:
        missing: list[Leg] = []
        self._pay_fee(m, m.tx.fee, _LAZY, TRANSFER_FEE, missing)
        self._warn_missing(m, missing)

    def _pay_fee(self, m: Moment, fee: Leg | None, value: Decimal | None, category: str,
                 missing: list[Leg]) -> None:
        """Dispose of the coins paid as a fee that is no expense or cost of anything (fiat: nothing to do)."""
        if crypto(fee):
            fee_value, fee_missing = self._fee_value(m, fee, value, missing)
            self._dispose_fee(m, fee, fee_value, fee_missing, category)

    def _fee_value(self, m: Moment, fee: Leg | None, value: Decimal | None,
                   missing: list[Leg]) -> tuple[Decimal, bool]:
        """The fee's value (0 without a fee) and whether it is unknown; `value` is the event's, or _LAZY."""
        if fee is None:
            return ZERO, False
        tx = m.tx
        if value is _LAZY:
            value = None
            if fee.asset != self.valuer.currency and any(
                    leg is not None and leg.asset == fee.asset for leg in (tx.sent, tx.received)):
                value = self.valuer.event(tx, tx.sent, tx.received)
        fee_value = self.valuer.leg(tx, fee, value)
        if fee_value is None:
            missing.append(fee)
            return ZERO, True
        return fee_value, False

    def _dispose_fee(self, m: Moment, fee: Leg | None, fee_value: Decimal, fee_missing: bool,
                     category: str) -> None:
        coin = crypto(fee)
        if coin:
            self.books.dispose(m, m.tx.account, coin.asset, coin.amount, fee_value, category, fee_missing)

    def _warn_missing(self, m: Moment, missing: list[Leg]) -> None:
        if missing:
            what = ", ".join(f"{q(leg.amount)} {leg.asset}" for leg in missing)
            self.books.warn("missing_value", f"{m.where()}: no {self.valuer.currency} value for {what}; "
                            "counted as 0 and flagged.", m, m.tx.account, missing[0].asset, missing[0].amount)


# One handler per kind, as plain functions: bound methods kept on the computation would make a reference cycle
# that holds its whole state (the ledger's order, the pools) until a garbage collection, which a report pauses.
_HANDLERS: dict[Kind, Callable[[_Computation, int, Moment], None]] = {
    Kind.TRADE: _Computation._trade, Kind.INCOME: _Computation._income, Kind.DEPOSIT: _Computation._deposit,
    Kind.WITHDRAWAL: _Computation._withdrawal, **{kind: _Computation._outflow for kind in _OUTFLOW_CATEGORY},
}
