"""The year's filing package as one view-model: every CSV, summary.json and the PDF are rendered from it.

It selects the year's rows from the engine's result and rounds them for print; it never recomputes tax.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from decimal import Decimal, localcontext
from functools import cached_property

from taxer.corrections import Correction, Outcome
from taxer.countries import country, us_1099da
from taxer.engine import Disposal, Lot, Result
from taxer.model import Transaction
from taxer.model.form1099da import BrokerRow
from taxer.money import WIDE, cents, money, quantity
from taxer.reports import form8949
from taxer.reports.form8949 import Form8949Line, Totals
from taxer.reports.holdings import totals as holdings_totals

ZERO = Decimal("0.00")

# What the user can do about each kind of warning (shown in warnings.csv and the PDF).
ACTIONS = {
    "oversold": "Import the missing acquisitions (another account, an older export) or supply the cost basis; "
                "until then the missing part has zero basis.",
    "missing_value": "Run `taxer prices fetch --year YYYY` for market prices, or `taxer prices import` your own "
                     "price for the asset at that time.",
    "unknown_origin": "If the coins came from another of your wallets, import that wallet; otherwise supply their "
                      "cost basis and acquisition date.",
    "unmatched_withdrawal": "Import the receiving wallet if it is yours; otherwise label the withdrawal (gift, "
                            "payment, lost).",
    "pool_allocation": "Check the account balances at 2025-01-01; import missing history so balances agree.",
    "misdated": "The date cannot be right: fix it in the source file and import the file into a new ledger, or "
                "report in a zone where the date exists (--timezone UTC); until then the transaction is left out.",
    "safe_harbor_late": "Rev. Proc. 2024-28 wants the allocation made before the first 2025 disposal or transfer: "
                        "if it was, set its recorded_on date as made (`taxer config set allocation_2025 ...`); "
                        "otherwise the default (lots stay in the account whose history holds them) applies.",
    "safe_harbor_units": "Fix the election (`taxer config set allocation_2025 ...`) so each account is given "
                         "units of lots it can hold: compare it with allocation_2025.csv.",
    "correction_not_applied": "Revoke it (`taxer correct revoke ID --note ...`) and, if still needed, make a new "
                              "correction for the record as the ledger now has it.",
    **{f"form1099da_{status}": text for status, text in us_1099da.ACTIONS.items() if text},
    "form1099da_covered_basis": "The broker must report the basis of covered units: check the purchase's cost in "
                                "the ledger; if it is right, ask the broker for a corrected Form 1099-DA.",
}


@dataclass(frozen=True)
class ReportParams:
    """The parameters a package was made with (stated in summary.json, manifest.json and the methodology page)."""

    year: int
    year_label: str
    country: str
    method: str
    currency: str
    timezone: str
    pool: str
    period_start: datetime
    period_end: datetime      # exclusive
    transfer_window_hours: float = 24.0  # float ok: hours of a time window, not money
    candle_price: str = "close"          # which price of an exchange candle values an event
    price_sources: tuple[tuple[str, str], ...] = ()  # (account, exchange) whose candles value it first

    def manifest(self) -> dict:
        data = asdict(self)
        data["period_start"] = self.period_start.isoformat()
        data["period_end"] = self.period_end.isoformat()
        return data


@dataclass(frozen=True)
class IncomeLine:
    date: str
    timestamp: datetime
    asset: str
    amount: Decimal
    fair_value: Decimal | None     # cents; None when unknown (a warning says so)
    type: str
    account: str
    tx_id: int | None


@dataclass(frozen=True)
class HoldingLine:
    asset: str
    amount: Decimal
    acquired: str
    cost_basis: Decimal            # cents
    account: str
    acquire_tx_id: int | None
    basis_missing: bool
    market_value: Decimal | None = None   # cents, when a year-end price is known
    unrealized_gain: Decimal | None = None


@dataclass(frozen=True)
class OtherDisposalLine:
    category: str                  # transfer_fee | gift | donation | lost
    date_acquired: str
    date_disposed: str
    description: str
    asset: str
    amount: Decimal
    proceeds: Decimal              # cents: the fee's fair value; 0 for gifts, donations, losses
    cost_basis: Decimal
    gain: Decimal
    term: str
    account: str
    disposal_tx_id: int | None
    acquisition_tx_id: int | None


@dataclass(frozen=True)
class WarningLine:
    code: str
    message: str
    action: str
    account: str
    asset: str
    amount: Decimal | None
    tx_ids: tuple[int, ...]


@dataclass(frozen=True)
class AuditLine:
    """A disposal piece joined to the acquisition it consumed, with both records' sources, for tracing."""

    line: Form8949Line | OtherDisposalLine
    disposal_ref: str              # "source:external_id @ origin"
    acquisition_ref: str


@dataclass(frozen=True)
class PriceUsed:
    """A price the engine used to value an event, and where it came from (for the accountant)."""

    at: datetime
    asset: str
    quote: str
    price: Decimal
    found: str          # "1m candle of ...", "user price of ..."


@dataclass(frozen=True)
class CorrectionLine:
    """A user's correction that affected the year (or could not be applied), for corrections.csv and the PDF."""

    id: int
    kind: str
    target: str                    # account/source:external_id
    other: str                     # the second record of a match, unmatch or merge
    change: str                    # "relabel as gift", "cost basis 80 USD, acquired ..."
    note: str
    author: str
    created_at: datetime
    status: str                    # "applied" or "not applied: <reason>"
    tx_ids: tuple[int, ...]        # the ledger ids it touched this run


@dataclass(frozen=True)
class YearLaw:
    """What a year's report takes from beyond the year: the earlier years the ledger holds (oldest first, each as
    (year, the figures its carryover reads: Country.loss_basis)), losses brought in from before the ledger and the
    carryover's options (US filing status),
    the options the country's law does not allow that the user insisted on ((option, rule) pairs), and the US
    2025 allocation: the election in words ("" when none was made) and the 31 December 2024 holdings per account.
    """

    earlier: tuple[tuple[int, Mapping[str, object]], ...] = ()
    brought_in: tuple[tuple[str, Decimal], ...] = ()
    loss_options: tuple[tuple[str, str], ...] = ()
    nonstandard: tuple[tuple[str, str], ...] = ()
    election: str = ""
    allocation_2025: tuple[Lot, ...] = ()


@dataclass(frozen=True)
class ReportView:
    params: ReportParams
    form8949: tuple[Form8949Line, ...]
    totals_by_box: dict[tuple[str, str], Totals]
    short: Totals
    long: Totals
    total: Totals
    income: tuple[IncomeLine, ...]
    income_by_type: dict[str, Decimal]
    income_total: Decimal
    holdings: tuple[HoldingLine, ...]
    other_disposals: tuple[OtherDisposalLine, ...]
    warnings: tuple[WarningLine, ...]
    prices_used: tuple[PriceUsed, ...] = ()
    corrections: tuple[CorrectionLine, ...] = ()
    settings: tuple[tuple[str, str], ...] = ()   # workspace settings in force (key, value), for the methodology
    reconciliation: tuple[us_1099da.ReconciliationRow, ...] = ()  # brokers' Forms 1099-DA against the lines
    law: YearLaw | None = None    # what carries across years, elections and nonstandard options (taxer.year)

    def country_totals(self) -> dict:
        """The totals the country's return takes (HMRC summary, Schedule 3, ...), from the printed lines, with the
        losses carried across years from the earlier years the ledger holds (Country.year_totals)."""
        return dict(self._totals[0])

    def loss_carryover(self) -> dict:
        """The figures the loss carryover adds to the country's own totals (carried in, applied, carried out...)."""
        full, own = self._totals
        return {k: v for k, v in full.items() if k not in own}

    @cached_property
    def _totals(self) -> tuple[dict, dict]:
        """(the year's totals with the carryover, the country's own totals): computed once per view (summary.json,
        the PDF and the package each ask), since a year can hold hundreds of thousands of lines."""
        p, law = self.params, self.law or YearLaw()
        rules = country(p.country)
        full = rules.year_totals(p.year, self.form8949, self.income_by_type, other=self.other_disposals,
                                 earlier=law.earlier, brought_in=dict(law.brought_in), **dict(law.loss_options))
        return full, rules.totals(p.year, self.form8949, self.income_by_type, other=self.other_disposals)

    def summary(self) -> dict:
        """summary.json (INTERFACE.md fields first, then the country's own totals)."""
        p = self.params
        extra = {k: money(v) if isinstance(v, Decimal) else v for k, v in self.country_totals().items()}
        summary = {
            "year": p.year if p.year_label == str(p.year) else p.year_label,
            "method": p.method,
            "currency": p.currency,
            "proceeds": money(self.total.proceeds),
            "cost_basis": money(self.total.cost_basis),
            "short_term_gain": money(self.short.gain),
            "long_term_gain": money(self.long.gain),
            "total_gain": money(self.total.gain),
            "income": money(self.income_total),
            "disposals": self.total.lines,
            "warnings": len(self.warnings),
            "country": p.country,
            "timezone": p.timezone,
            "pool": p.pool,
            "period_start": p.period_start.isoformat(),
            "period_end": p.period_end.isoformat(),
            "income_events": len(self.income),
            "other_disposals": len(self.other_disposals),
        }
        summary["holdings"] = holdings_totals(self.holdings).as_json()  # market value, unrealized gain
        summary["warnings_by_kind"] = dict(Counter(w.code for w in self.warnings))
        if extra:
            summary["country_totals"] = extra
        if self.law and self.law.nonstandard:  # an option the country's law does not allow, insisted on
            summary["nonstandard"] = [f"{option}: {rule}" for option, rule in self.law.nonstandard]
        if self.law and self.law.election:
            summary["allocation_2025"] = self.law.election
        if self.reconciliation:  # Form 1099-DA rows were imported for the year: rows per status
            summary["form1099da"] = {status: sum(1 for r in self.reconciliation if r.status == status)
                                     for status in us_1099da.STATUSES}
        return summary


def _local_date(d: Disposal, acquired: bool) -> str:
    if acquired:
        return form8949.acquired_date(d)
    value = d.acquired_date if acquired else d.disposed_date
    return (value or (d.acquired_at if acquired else d.disposed_at).date()).isoformat()


def build_view(params: ReportParams, result: Result, settings_by_account: Mapping[str, Mapping[str, object]],
               prices_used: Mapping[tuple[str, str, datetime], tuple[Decimal, str]] | None = None,
               year_end_price: Callable[[str], Decimal | None] | None = None, *,
               corrections: Outcome | None = None, transactions: Mapping[int | None, Transaction] | None = None,
               settings: tuple[tuple[str, str], ...] = (), broker_rows: Sequence[BrokerRow] = (),
               misdated: Iterable[Transaction] = ()) -> ReportView:
    """The year's package as data. `year_end_price(asset)` values the lots held at the end (market value).

    `corrections` is what applying the user's corrections gave (`taxer.corrections.apply`), with the ledger's
    `transactions` by id: the corrections that affected the year are listed and those not applied are warnings.
    `settings` are the workspace settings in force, for the methodology page. `broker_rows` are the year's
    Form 1099-DA rows: the country reconciles them with the sale lines, which take their boxes and adjustments.
    `misdated` transactions (a date with no place in the report's zone) were left out and are warned of.

    Its sums and products (a lot's market value) run in a wide decimal context, so no amount is rounded to the
    default context's 28 digits on its way to print."""
    with localcontext(WIDE):
        view = _build_view(params, result, settings_by_account, prices_used, year_end_price,
                           corrections=corrections, transactions=transactions, settings=settings,
                           broker_rows=broker_rows)
    left_out = tuple(
        WarningLine("misdated", f"Transaction {tx.id} ({tx.account}, {tx.source}:{tx.external_id}) is dated "
                    f"{tx.timestamp.isoformat()}, which has no date in {params.timezone}; it was left out of "
                    "the computation.", ACTIONS["misdated"], tx.account, "", None,
                    (tx.id,) if tx.id is not None else ())
        for tx in misdated)
    return replace(view, warnings=view.warnings + left_out) if left_out else view


def _build_view(params, result, settings_by_account, prices_used, year_end_price, *, corrections, transactions,
                settings, broker_rows) -> ReportView:
    start, end = params.period_start, params.period_end
    from zoneinfo import ZoneInfo
    tz = ZoneInfo(params.timezone)
    in_year = [d for d in result.disposals if start <= d.disposed_at < end]
    rules = country(params.country)
    reconciled = None
    if broker_rows and rules.reconcile is not None and params.year >= 2025:
        pieces = [(d, form8949.line(d, params.year, settings_by_account, rules.form_box)) for d in in_year
                  if d.is_sale]
        reconciled = rules.reconcile(params.year, pieces, broker_rows, currency=params.currency,
                                     transactions=transactions or {})
        lines = tuple(form8949.sort_lines(reconciled.lines))
    else:
        lines = tuple(form8949.lines(in_year, params.year, settings_by_account, rules.form_box))
    other = _other_lines(in_year)
    income = _income_lines(result, start, end, tz)
    by_type = _by_type(income)
    end_prices = {asset: year_end_price(asset) if year_end_price else None
                  for asset in sorted({lot.asset for lot in result.holdings})}
    holdings = []
    for lot in result.holdings:
        basis, price = cents(lot.cost_basis), end_prices[lot.asset]
        value = None if price is None else cents(lot.amount * price)
        holdings.append(HoldingLine(lot.asset, lot.amount, lot.acquired_at.astimezone(tz).date().isoformat(), basis,
                                    lot.account, lot.acquire_tx_id, lot.basis_missing, value,
                                    None if value is None else value - basis))
    holdings = tuple(sorted(holdings, key=lambda h: (h.asset, h.account, h.acquired, h.acquire_tx_id or 0)))
    warnings = tuple(
        WarningLine(w.code, w.message, ACTIONS.get(w.code, "Review the transactions named."), w.account or "",
                    w.asset or "", w.amount, tuple(t for t in w.tx_ids if t is not None))
        for w in (*result.warnings, *(reconciled.warnings if reconciled else ())))
    view = ReportView(
        params=params, form8949=lines, totals_by_box=form8949.totals_by_box(lines),
        short=form8949.totals(r for r in lines if r.part == "I"),
        long=form8949.totals(r for r in lines if r.part == "II"), total=form8949.totals(lines),
        income=income, income_by_type=dict(sorted(by_type.items())), income_total=sum(by_type.values(), ZERO),
        holdings=holdings, other_disposals=other, warnings=warnings,
        prices_used=tuple(sorted((PriceUsed(at, asset, quote, price, found)
                                  for (asset, quote, at), (price, found) in (prices_used or {}).items()),
                                 key=lambda u: (u.at, u.asset, u.quote))),
        settings=settings, reconciliation=reconciled.rows if reconciled else (),
    )
    return view if corrections is None else _with_corrections(view, corrections, transactions or {})


def _other_lines(in_year: Iterable[Disposal]) -> tuple[OtherDisposalLine, ...]:
    other = []
    for d in in_year:
        if d.is_sale:
            continue
        proceeds, basis = cents(d.proceeds), cents(d.cost_basis)
        other.append(OtherDisposalLine(d.category, _local_date(d, True), _local_date(d, False),
                                       f"{quantity(d.amount)} {d.asset}", d.asset, d.amount, proceeds, basis,
                                       proceeds - basis, d.term, d.account, d.dispose_tx_id, d.acquire_tx_id))
    other.sort(key=lambda o: (o.date_disposed, o.category, o.asset, o.account, o.disposal_tx_id or 0,
                              o.date_acquired, o.acquisition_tx_id or 0))
    return tuple(other)


def _income_lines(result: Result, start: datetime, end: datetime, tz) -> tuple[IncomeLine, ...]:
    return tuple(sorted(
        (IncomeLine(i.timestamp.astimezone(tz).date().isoformat(), i.timestamp, i.asset, i.amount,
                    None if i.fair_value is None else cents(i.fair_value), i.type, i.account, i.tx_id)
         for i in result.income if start <= i.timestamp < end),
        key=lambda i: (i.timestamp, i.account, i.asset, i.tx_id or 0)))


def _by_type(income: Iterable[IncomeLine]) -> dict[str, Decimal]:
    by_type: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for i in income:
        by_type[i.type] += i.fair_value if i.fair_value is not None else ZERO
    return by_type


def referenced_ids(view: ReportView) -> set[int]:
    """The ledger ids of every transaction a disposal line of the view names."""
    ids = {r.disposal_tx_id for r in view.form8949} | {r.acquisition_tx_id for r in view.form8949}
    ids |= {o.disposal_tx_id for o in view.other_disposals} | {o.acquisition_tx_id for o in view.other_disposals}
    return {i for i in ids if i is not None}


def _with_corrections(view: ReportView, outcome: Outcome, by_id: Mapping[int | None, Transaction]) -> ReportView:
    """Add the corrections that affected the year, and a warning for each one that could not be applied."""
    p = view.params
    relevant = referenced_ids(view) | {i.tx_id for i in view.income} | {h.acquire_tx_id for h in view.holdings} \
        | {t for w in view.warnings for t in w.tx_ids}
    lines = []
    for c, ids in outcome.applied:
        in_year = any(p.period_start <= by_id[t].timestamp < p.period_end for t in ids if t in by_id)
        if in_year or relevant.intersection(ids):
            lines.append(_line(c, "applied", ids))
    warnings = []
    for c, reason in outcome.not_applied:
        lines.append(_line(c, f"not applied: {reason}", ()))
        warnings.append(WarningLine("correction_not_applied", f"Correction {c.id} ({c.describe()} on {c.target}, "
                                    f"by {c.author}) was not applied: {reason}.",
                                    ACTIONS["correction_not_applied"], c.target.account, "", None, ()))
    lines.sort(key=lambda line: line.id)
    return replace(view, corrections=tuple(lines), warnings=view.warnings + tuple(warnings))


def _line(c: Correction, status: str, ids: Iterable[int]) -> CorrectionLine:
    return CorrectionLine(c.id or 0, c.kind, str(c.target), str(c.other or ""), c.describe(), c.note, c.author,
                          c.created_at, status, tuple(ids))
