"""A portfolio at one moment, assembled from the engine's result: pure (no I/O; the caller loads the inputs).

What is held comes from `compute` (lots with basis and account), what it is worth from the price callable (the
cached prices: a missing price stays None, never 0), and what a sale of everything would realize from `compute`
again, over the same ledger plus one synthetic sale per (account, asset) at the moment, valued at that price.
Every money figure is rounded to cents so that the printed parts add up to the printed totals (largest remainder).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from taxer.countries import Country
from taxer.engine import EngineSettings, LedgerWarning, Lot, Overrides, Result, compute
from taxer.engine.core import PER_ACCOUNT_FROM_YEAR
from taxer.model import Kind, Leg, Transaction
from taxer.money import CENT, cents
from taxer.reports.view import ReportParams, build_view

ZERO = Decimal("0.00")
SALE_SOURCE = "taxer-portfolio"  # the synthetic sales' source, so they are never mistaken for ledger records
_MICROSECOND = timedelta(microseconds=1)

# price(asset, currency, at, account=None): the engine's price callable (taxer.engine.valuation.PriceFn); the
# account lets an event be valued from that account's own price source, as in a report.
Price = Callable[..., "Decimal | None"]


@dataclass(frozen=True)
class Inputs:
    """What a portfolio is computed from: the corrected ledger, the engine's settings, the country, the prices."""

    transactions: Sequence[Transaction]
    settings: EngineSettings
    rules: Country
    price: Price                                   # the cached price or None (never a guess)
    overrides: Overrides = field(default_factory=Overrides)
    account_settings: Mapping[str, Mapping[str, object]] = field(default_factory=dict)


@dataclass(frozen=True)
class LotLine:
    """One lot held: its basis, value and, where the country has a holding period, its term at the moment."""

    asset: str
    account: str
    quantity: Decimal
    acquired: date                 # local date in the taxpayer's zone
    cost_basis: Decimal            # cents
    value: Decimal | None          # cents; None without a price
    unrealized_gain: Decimal | None
    term: str                      # "short" | "long" | "" (no holding period in the country)
    long_from: date | None         # first local date a sale is long-term (None: already long, or no period)
    days_to_long: int | None
    basis_missing: bool
    acquire_tx_id: int | None


@dataclass(frozen=True)
class Holding:
    """One asset, in all accounts (`account` "") or in one account."""

    asset: str
    account: str
    quantity: Decimal
    price: Decimal | None
    cost_basis: Decimal
    value: Decimal | None
    unrealized_gain: Decimal | None
    short_term_gain: Decimal | None  # None without a price or without a holding period
    long_term_gain: Decimal | None
    share: Decimal | None            # of the total value (0..1); None without a price
    basis_missing: bool


@dataclass(frozen=True)
class AccountHoldings:
    """One account: its holdings and their totals (over the priced holdings; `missing_prices` names the rest)."""

    account: str
    cost_basis: Decimal
    value: Decimal
    unrealized_gain: Decimal
    share: Decimal | None
    missing_prices: tuple[str, ...]
    holdings: tuple[Holding, ...]


@dataclass(frozen=True)
class SellNow:
    """What selling everything priced at the moment would realize, computed by the engine.

    `proceeds` ... `total_gain` cover the synthetic sales alone (their printed lines); `summary_with` is the tax
    year's summary (summary.json's fields and the country's totals) with the sales, `summary_before` without.
    """

    year: str
    proceeds: Decimal
    cost_basis: Decimal
    short_term_gain: Decimal
    long_term_gain: Decimal
    total_gain: Decimal
    pieces: int
    sales: tuple[Transaction, ...]
    excluded: tuple[str, ...]          # assets held but not priced: not sold
    summary_with: dict
    summary_before: dict


@dataclass(frozen=True)
class Portfolio:
    at: datetime
    currency: str
    country: str
    timezone: str
    holding_period: bool               # whether the country's rules split gains by holding period
    total_value: Decimal               # of the priced holdings
    total_cost_basis: Decimal          # of every holding
    unrealized_gain: Decimal           # of the priced holdings
    short_term_gain: Decimal | None
    long_term_gain: Decimal | None
    assets: tuple[Holding, ...]
    accounts: tuple[AccountHoldings, ...]
    lots: tuple[LotLine, ...]
    lots_located: bool                 # a lot's account is where it is held (per-account pools), else where bought
    missing_prices: tuple[str, ...]
    sell_now: SellNow
    warnings: tuple[LedgerWarning, ...]
    result: Result                     # the engine's result at the moment (history and income read it)

    @property
    def complete(self) -> bool:
        """True when every asset held has a price."""
        return not self.missing_prices

    @property
    def priced_cost_basis(self) -> Decimal:
        """Cost basis of the priced holdings: total_value - priced_cost_basis = unrealized_gain."""
        return sum((a.cost_basis for a in self.assets if a.value is not None), ZERO)


def holding_period_matters(rules: Country) -> bool:
    """Lot countries (US, Germany, Australia) split by holding period; pooled ones (UK, Canada) have none."""
    return rules.matching is None


def apportion(total: Decimal, parts: Sequence[Decimal]) -> list[Decimal]:
    """`parts` rounded to cents so that they add up to `total` (cents): floors, then the cents left over go to the
    largest remainders (earlier parts first at a tie)."""
    floors = [p.quantize(CENT, rounding=ROUND_FLOOR) for p in parts]
    left = int((total - sum(floors, ZERO)) / CENT)
    order = sorted(range(len(parts)), key=lambda i: (floors[i] - parts[i], i))
    for i in order[:max(left, 0)]:
        floors[i] += CENT
    return floors


def end_of_day(day: date, settings: EngineSettings) -> datetime:
    """The last instant of local date `day` in the taxpayer's zone (a bare --at DATE means the end of that day)."""
    start = datetime(day.year, day.month, day.day, tzinfo=settings.zone) + timedelta(days=1)
    return start.astimezone(UTC) - _MICROSECOND


def before(transactions: Sequence[Transaction], at: datetime) -> list[Transaction]:
    """The ledger as it stood at `at`: transactions strictly before it."""
    return [tx for tx in transactions if tx.timestamp < at]


def holdings_at(inputs: Inputs, at: datetime, ledger: Sequence[Transaction] | None = None) -> Result:
    """The engine's result over the ledger before `at` (its holdings are what was held at `at`)."""
    txs = before(inputs.transactions, at) if ledger is None else ledger
    return compute(txs, inputs.settings, until=at, price=inputs.price, overrides=inputs.overrides)


def build(inputs: Inputs, at: datetime) -> Portfolio:
    """The portfolio at instant `at` (aware): holdings of the ledger before it, valued at `at`."""
    s, rules = inputs.settings, inputs.rules
    ledger = before(inputs.transactions, at)
    result = holdings_at(inputs, at, ledger)
    prices = {asset: inputs.price(asset, s.currency, at) for asset in sorted({lot.asset for lot in result.holdings})}
    period = holding_period_matters(rules)
    today = at.astimezone(s.zone).date()

    by_asset: dict[str, list[Lot]] = defaultdict(list)
    for lot in result.holdings:
        if lot.amount > 0:
            by_asset[lot.asset].append(lot)
    located = lots_are_located(s, at)
    place = None if located else locations(inputs, ledger, at)

    assets, cells, lots = [], [], []
    for asset in sorted(by_asset):
        held, price = by_asset[asset], prices[asset]
        quantity = sum((lot.amount for lot in held), Decimal(0))
        basis = cents(sum((lot.cost_basis for lot in held), Decimal(0)))
        value = None if price is None else cents(quantity * price)
        lot_basis = apportion(basis, [lot.cost_basis for lot in held])
        lot_value = None if price is None else apportion(value, [lot.amount * price for lot in held])
        asset_lots = [_lot_line(lot, lot_basis[j], None if lot_value is None else lot_value[j], rules, s, today,
                                period) for j, lot in enumerate(held)]
        lots += asset_lots
        assets.append(_holding(asset, "", quantity, price, basis, value, asset_lots, period))
        where = place.get(asset) if place is not None else None
        if not where:  # the lots' own accounts (per-account pools), or the location run found none
            groups: dict[str, list[LotLine]] = defaultdict(list)
            for line in asset_lots:
                groups[line.account].append(line)
            for name in sorted(groups):
                mine = groups[name]
                cells.append(_holding(asset, name, sum((x.quantity for x in mine), Decimal(0)), price,
                                      sum((x.cost_basis for x in mine), ZERO),
                                      None if price is None else sum((x.value for x in mine), ZERO), mine, period))
            continue
        names = sorted(where)
        parts = [where[n][1] for n in names]
        cell_basis = apportion(basis, parts if any(parts) else [where[n][0] for n in names])
        cell_value = None if price is None else apportion(value, [where[n][0] * price for n in names])
        for k, name in enumerate(names):
            cells.append(_holding(asset, name, where[name][0], price, cell_basis[k],
                                  None if cell_value is None else cell_value[k], (), False))

    total_value = sum((a.value for a in assets if a.value is not None), ZERO)
    assets = [_with_share(a, total_value) for a in assets]
    cells = [_with_share(c, total_value) for c in cells]
    accounts_out = []
    for name in sorted({c.account for c in cells}):
        mine = tuple(c for c in cells if c.account == name)
        priced = [c for c in mine if c.value is not None]
        value = sum((c.value for c in priced), ZERO)
        accounts_out.append(AccountHoldings(
            name, sum((c.cost_basis for c in mine), ZERO), value,
            sum((c.unrealized_gain for c in priced), ZERO), _share(value, total_value) if priced else None,
            tuple(c.asset for c in mine if c.value is None), mine))
    priced_assets = [a for a in assets if a.value is not None]
    missing = tuple(a.asset for a in assets if a.value is None)
    return Portfolio(
        at=at, currency=s.currency, country=rules.code, timezone=s.timezone, holding_period=period,
        total_value=total_value, total_cost_basis=sum((a.cost_basis for a in assets), ZERO),
        unrealized_gain=sum((a.unrealized_gain for a in priced_assets), ZERO),
        short_term_gain=sum((a.short_term_gain for a in priced_assets), ZERO) if period else None,
        long_term_gain=sum((a.long_term_gain for a in priced_assets), ZERO) if period else None,
        assets=tuple(assets), accounts=tuple(accounts_out),
        lots=tuple(sorted(lots, key=lambda x: (x.asset, x.account, x.acquired, x.acquire_tx_id or 0))),
        lots_located=located,
        missing_prices=missing, sell_now=sell_now(inputs, at, ledger, result, prices, _where_sold(assets, cells)),
        warnings=result.warnings, result=result)


def lots_are_located(s: EngineSettings, at: datetime) -> bool:
    """Whether the engine's lots at `at` sit in the accounts that hold them: per-account pools (US from 2025 under
    "auto"). In one universal pool a lot keeps the account it was bought in; a country's own matching pools each
    asset across all accounts."""
    if s.matcher is not None:
        return False
    return s.pool == "per_account" or (s.pool == "auto" and at >= datetime(PER_ACCOUNT_FROM_YEAR, 1, 1, tzinfo=s.zone))


def locations(inputs: Inputs, ledger: Sequence[Transaction], at: datetime) -> dict[str, dict[str, tuple]]:
    """asset -> account -> (quantity, cost basis) of what each account holds at `at`: the engine over per-account
    pools of lots (FIFO), which carry coins along transfers. It places holdings; the tax figures stay the tax
    run's (the asset's basis is shared out over the accounts in these proportions)."""
    s = inputs.settings
    settings = EngineSettings(currency=s.currency, method="fifo", pool="per_account", timezone=s.timezone,
                              transfer_window=s.transfer_window)
    found = compute(ledger, settings, until=at, price=inputs.price, overrides=inputs.overrides)
    out: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(lambda: [Decimal(0), Decimal(0)]))
    for lot in found.holdings:
        if lot.amount > 0:
            entry = out[lot.asset][lot.account]
            entry[0] += lot.amount
            entry[1] += lot.cost_basis
    return {asset: {name: tuple(v) for name, v in by.items()} for asset, by in out.items()}


def _lot_line(lot: Lot, basis: Decimal, value: Decimal | None, rules: Country, s: EngineSettings, today: date,
              period: bool) -> LotLine:
    acquired = lot.acquired_at.astimezone(s.zone).date()
    term, long_from, days = "", None, None
    if period:
        term = "long" if rules.is_long(acquired, today) else "short"
        if term == "short":
            long_from = rules.long_after(acquired) + timedelta(days=1)
            days = (long_from - today).days
    return LotLine(lot.asset, lot.account, lot.amount, acquired, basis, value,
                   None if value is None else value - basis, term, long_from, days, lot.basis_missing,
                   lot.acquire_tx_id)


def _holding(asset: str, account: str, quantity: Decimal, price: Decimal | None, basis: Decimal,
             value: Decimal | None, lots: Sequence[LotLine], period: bool) -> Holding:
    gain = None if value is None else value - basis
    short = long = None
    if value is not None and period:
        short = sum((x.unrealized_gain for x in lots if x.term == "short"), ZERO)
        long = sum((x.unrealized_gain for x in lots if x.term == "long"), ZERO)
    return Holding(asset, account, quantity, price, basis, value, gain, short, long, None,
                   any(x.basis_missing for x in lots))


def _share(value: Decimal, total: Decimal) -> Decimal:
    return value / total if total else Decimal(0)


def _with_share(h: Holding, total: Decimal) -> Holding:
    if h.value is None:
        return h
    return replace(h, share=_share(h.value, total))


# --- what if I sold everything now -----------------------------------------------------------------------------

def sales_at(at: datetime, cells: Mapping[tuple[str, str], Decimal], prices: Mapping[str, Decimal | None],
             currency: str) -> list[Transaction]:
    """One sale per (account, asset) held and priced, at `at`, for the quantity times the price."""
    out = []
    for n, ((account, asset), quantity) in enumerate(sorted(cells.items()), start=1):
        price = prices.get(asset)
        if price is None or quantity <= 0:
            continue
        out.append(Transaction(account=account, timestamp=at, kind=Kind.TRADE, sent=Leg(asset, quantity),
                               received=Leg(currency, quantity * price), label="sell now",
                               source=SALE_SOURCE, external_id=f"sell-now:{account}:{asset}", id=-n))
    return out


def _where_sold(assets: Sequence[Holding], cells: Sequence[Holding]) -> dict[tuple[str, str], Decimal]:
    """(account, asset) -> quantity to sell: each account sells what it holds, where those add up to the asset's
    holding (else the asset is sold as the engine's lots hold it, see `sell_now`)."""
    out: dict[tuple[str, str], Decimal] = {}
    for a in assets:
        mine = {(c.account, c.asset): c.quantity for c in cells if c.asset == a.asset}
        if sum(mine.values(), Decimal(0)) == a.quantity:
            out.update(mine)
    return out


def sell_now(inputs: Inputs, at: datetime, ledger: Sequence[Transaction], held: Result,
             prices: Mapping[str, Decimal | None], where: Mapping[tuple[str, str], Decimal] | None = None) -> SellNow:
    """Append a sale of every priced holding at `at` to the ledger, compute, and read the sales' lines and the
    tax year's totals off the result (the same view-model a report prints). `where`: (account, asset) ->
    quantity, the accounts to sell from (default: the lots' accounts)."""
    s, rules = inputs.settings, inputs.rules
    # Sold from the accounts that hold the coins; an asset whose accounts do not add up to its holding (history
    # missing in one account) is sold as the lots hold it, so the engine never sells what it does not have.
    where = dict(where or {})
    placed = {asset for _, asset in where}
    cells = {**{k: q for k, q in held.holdings_by_account().items() if k[1] not in placed}, **where}
    sales = sales_at(at, cells, prices, s.currency)
    year = rules.year_of(at, s.timezone)
    start, end = rules.bounds(year, s.timezone)
    after = compute([*ledger, *sales], s, until=at + _MICROSECOND, price=inputs.price,
                    keep_from=start, overrides=inputs.overrides)
    # The method a report names: the year's, or the country's own matching's name (UK pooling, Canada acb).
    method = s.method_for(year) if rules.matching is None else rules.methods[0]
    params = ReportParams(year=year, year_label=rules.label(year), country=rules.code, method=method,
                          currency=s.currency, timezone=s.timezone, pool=s.pool, period_start=start, period_end=end)
    with_sales = build_view(params, after, inputs.account_settings)
    without = build_view(params, held, inputs.account_settings)
    ids = {tx.id for tx in sales}
    lines = [r for r in with_sales.form8949 if r.disposal_tx_id in ids]
    return SellNow(
        year=rules.label(year), proceeds=sum((r.proceeds for r in lines), ZERO),
        cost_basis=sum((r.cost_basis for r in lines), ZERO),
        short_term_gain=sum((r.gain for r in lines if r.term == "short"), ZERO),
        long_term_gain=sum((r.gain for r in lines if r.term == "long"), ZERO),
        total_gain=sum((r.gain for r in lines), ZERO), pieces=len(lines), sales=tuple(sales),
        excluded=tuple(sorted(a for a, p in prices.items() if p is None)),
        summary_with=with_sales.summary(), summary_before=without.summary())
