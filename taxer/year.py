"""One tax year of a workspace, ready to compute: its options, the ledger, the corrections, the price book.

`taxer report` computes it once and writes the package; `taxer review` computes it again with each candidate
correction to show what the correction would change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from taxer import config
from taxer import fingerprint as ledger_fingerprint
from taxer.corrections import Correction, apply
from taxer.countries import Country
from taxer.countries import country as country_named
from taxer.engine import EngineSettings, compute
from taxer.engine.core import LOOK_AHEAD
from taxer.errors import TaxerError
from taxer.model import Transaction
from taxer.model.form1099da import BrokerRow
from taxer.pricing.book import PriceBook
from taxer.reports.earlier import EarlierYears
from taxer.reports.view import ReportParams, ReportView, YearLaw, build_view, referenced_ids
from taxer.store import corrections as stored_corrections
from taxer.store import form1099da as stored_1099da
from taxer.store import ledger, prices
from taxer.store import settings as stored_settings


@dataclass
class TaxYear:
    """Everything a year's computation reads from the workspace, loaded once."""

    params: ReportParams
    settings: EngineSettings
    transactions: list[Transaction]          # as imported (corrections are applied on each computation)
    corrections: list[Correction]            # every correction made, revoked ones included
    account_settings: dict[str, dict]
    book: PriceBook
    as_of: datetime | None
    fingerprint: ledger_fingerprint.ReportFingerprint
    options: config.ReportDefaults
    shown_settings: tuple[tuple[str, str], ...]
    rules: Country
    broker_rows: tuple[BrokerRow, ...] = ()  # the year's Form 1099-DA rows (taxer import 1099da)
    law: YearLaw = YearLaw()                 # losses brought in, filing status, nonstandard options, election
    released: bool = False                   # the transactions were dropped (`release`)
    named: dict[int | None, Transaction] = field(default_factory=dict)  # those kept by `release`, by id

    def view(self, extra: Sequence[Correction] = (), on_stage: Callable[[str], None] | None = None,
             release: bool = False) -> ReportView:
        """The year's view-model with the stored corrections (and `extra` candidates) applied; `on_stage("engine")`
        and `on_stage("view")` as those steps begin. `release`: drop the transactions as soon as the engine is
        done with them (`release`), keeping those the year's rows name, for a report that computes only once.

        Where the country carries losses across years, the same run over the whole ledger also gives the figures
        of every earlier tax year the ledger holds (taxer.reports.earlier), which the carryover reads."""
        if self.released:
            raise RuntimeError("this tax year's transactions were released: load it again to compute")
        p, s = self.params, self.settings
        if on_stage:
            on_stage("engine")
        placeable, misdated = _placeable(self.transactions, p.timezone)
        corrected, overrides, outcome = apply(placeable, [*self.corrections, *extra], s.currency)
        first = self.first_year(corrected)
        # Losses carried across years: the engine hands each earlier year's rows on as it goes, and only that
        # year's figures are kept (taxer.reports.earlier), so a long history holds one earlier year at a time.
        earlier = None
        if self.rules.carryover is not None and first < p.year:
            earlier = EarlierYears([(q.year, q.period_start, q.period_end)
                                    for q in map(self.params_for, range(first, p.year))], self.rules.loss_basis)
        result = compute(corrected, s, until=p.period_end, keep_from=p.period_start, price=self.book.price,
                         overrides=overrides, earlier=earlier, marks=earlier.marks() if earlier else ())
        last = p.period_end - timedelta(microseconds=1)  # the year's last moment: year-end market values
        if on_stage:
            on_stage("view")
        # The ledger by id is read only for applied corrections and Form 1099-DA rows: a million-entry dict else
        by_id = {tx.id: tx for tx in self.transactions} if outcome.applied or self.broker_rows else {}
        if release:
            del placeable, corrected  # the rows, before the view's lines are made in the memory they free
            self.release({i for d in result.disposals for i in (d.dispose_tx_id, d.acquire_tx_id)}
                         | {i for _, ids in outcome.applied for i in ids})
        view = build_view(p, result, self.account_settings, self.book.used,
                          year_end_price=lambda asset: self.book.price(asset, s.currency, last),
                          corrections=outcome, transactions=by_id,
                          settings=self.shown_settings, broker_rows=self.broker_rows, misdated=misdated)
        return replace(view, law=replace(self.law, earlier=earlier.figures() if earlier else (),
                                         allocation_2025=result.allocation_2025))

    def release(self, keep: Iterable[int | None] = ()) -> None:
        """Settle the ledger fingerprint and drop the transactions but those with the ids in `keep` (the ones
        audit.csv names): a report's files need only its view, and a million transactions are most of a big
        report's memory. The year cannot compute again afterwards."""
        self.fingerprint.settle()
        wanted = set(keep)
        self.named = {tx.id: tx for tx in self.transactions if tx.id in wanted}
        self.transactions = []
        self.released = True

    def first_year(self, transactions: Sequence[Transaction]) -> int:
        """The tax year of the ledger's first transaction (the report's year when the ledger has none before)."""
        if not transactions:
            return self.params.year
        earliest = min(tx.timestamp for tx in transactions)
        return min(self.rules.year_of(earliest, self.settings.timezone), self.params.year)

    def params_for(self, year: int) -> ReportParams:
        """The parameters of another tax year of the same workspace (review computes several)."""
        start, end = self.rules.bounds(year, self.settings.timezone)
        return replace(self.params, year=year, year_label=self.rules.label(year), period_start=start,
                       period_end=end, method=self.settings.method_for(year))

    def audit_refs(self, engine: Engine, view: ReportView) -> dict[int, tuple[str, str, str, str]]:
        """(account, source, external id, origin) of every transaction the view names, for audit.csv."""
        wanted = referenced_ids(view) | {i for line in view.corrections for i in line.tx_ids}
        by_id = {i: tx for i, tx in self.named.items() if i in wanted} if self.released else \
            {tx.id: tx for tx in self.transactions if tx.id in wanted}
        with engine.connect() as conn:
            origins = ledger.raw_records(conn, sorted(wanted), payload=False)
        return {i: (by_id[i].account, by_id[i].source, by_id[i].external_id, origins.get(i, ("", ""))[0])
                for i in wanted if i in by_id}


# Times that every time zone can express as a local date (a UTC offset is at most a day): a transaction outside
# them (a ledger holding year-1 or year-9999 dates from before taxer refused them) is left out, with a warning.
FIRST_PLACEABLE = datetime(1, 1, 2, tzinfo=UTC)
LAST_PLACEABLE = datetime(9999, 12, 30, tzinfo=UTC)


def _placeable(transactions: list[Transaction], zone: str) -> tuple[list[Transaction], tuple[Transaction, ...]]:
    """The transactions whose time has a local date in `zone`, and those that have none (sorted by time, so only
    the ends are checked)."""
    if not transactions or (transactions[0].timestamp >= FIRST_PLACEABLE
                            and transactions[-1].timestamp < LAST_PLACEABLE):
        return transactions, ()
    tz = ZoneInfo(zone)
    good, bad = [], []
    for tx in transactions:
        try:
            tx.timestamp.astimezone(tz)
            good.append(tx)
        except OverflowError:
            bad.append(tx)
    return good, tuple(bad)


def load(engine: Engine, year: str | int, *, method: str | None = None, country: str | None = None,
         currency: str | None = None, timezone: str | None = None, pool: str | None = None,
         allow_nonstandard: bool | None = None, background_fingerprint: bool = True) -> TaxYear:
    """Tax year `year` of the workspace; options given win over the workspace's settings, then the country's
    defaults (taxer.countries). `allow_nonstandard` accepts a method or pool the country's law does not allow
    (also the `allow_nonstandard` setting); the report then says so on every page. `background_fingerprint`:
    start hashing a big ledger in a second process now (a report will print the fingerprint; a review will
    not)."""
    with engine.connect() as conn:
        stored = stored_settings.load(conn)
    opts = config.resolve(stored, allow_nonstandard, method=method, country=country, currency=currency,
                          timezone=timezone, pool=pool)
    rules = country_named(opts.country)
    year = rules.parse_year(year)
    election = config.election(str(stored["allocation_2025"])) if rules.safe_harbor and \
        stored.get("allocation_2025") else None
    settings = replace(rules.settings(method=opts.method, currency=opts.currency, timezone=opts.timezone,
                                      pool=opts.pool, allow_nonstandard=opts.allow_nonstandard,
                                      allocation_2025=election), transfer_window=opts.transfer_window)
    start, end = rules.bounds(year, settings.timezone)
    # Matching rules that look at later acquisitions (UK 30 days, Canada's superficial loss) need the ledger
    # past the year's end; the engine drops what falls after it.
    read_until = end + LOOK_AHEAD if settings.matcher is not None else end
    job = ledger_fingerprint.start(engine, read_until) if background_fingerprint else ()
    with engine.connect() as conn:
        txs = list(ledger.query_transactions(conn, until=read_until))
        fingerprint = ledger_fingerprint.ReportFingerprint(txs, *job)
        accounts = ledger.list_accounts(conn)
        account_settings = {a.name: a.settings for a in accounts}
        as_of = ledger.last_import_time(conn)
        sources = config.price_sources(accounts)
        # all quotes: triangulation may need them
        book = PriceBook(prices.load(conn, until=read_until), candle=opts.candle_price, sources=sources)
        made = _for_this_year(conn, stored_corrections.load(conn), txs)
        broker_rows = tuple(stored_1099da.load(conn, year))
    label = rules.label(year)
    if not any(start <= tx.timestamp < end for tx in txs):
        span = f"it covers {txs[0].timestamp:%Y-%m-%d} to {txs[-1].timestamp:%Y-%m-%d}" if txs else \
            "it has no transactions before the end of that year"
        raise TaxerError(f"the ledger has no transactions in tax year {label} ({span}). Import that year's "
                         "history first, or pick another --year.")
    params = ReportParams(year=year, year_label=label, country=rules.code,
                          method=rules.method(opts.method, opts.allow_nonstandard),
                          currency=settings.currency, timezone=settings.timezone, pool=settings.pool,
                          period_start=start, period_end=end,
                          transfer_window_hours=settings.transfer_window.total_seconds() / 3600,
                          candle_price=opts.candle_price, price_sources=tuple(sorted(sources.items())))
    shown = [(k, v) for k, v, source in config.shown(stored) if source == "set"]
    shown += [(f"account.{name}.{key}", str(s[key]))
              for name, s in sorted(account_settings.items()) for key in config.ACCOUNT_KEYS if key in s]
    law = YearLaw(brought_in=tuple(config.brought_in(stored, rules.brought_in, rules.name).items()),
                  loss_options=tuple((key, str(stored.get(key, config.KEYS[key].default)))
                                     for key in rules.carryover_options),
                  nonstandard=_nonstandard(rules, opts), election=election.describe() if election else "")
    return TaxYear(params, settings, txs, made, account_settings, book, as_of, fingerprint, opts, tuple(shown),
                   rules, broker_rows, law)


def _nonstandard(rules: Country, opts: config.ReportDefaults) -> tuple[tuple[str, str], ...]:
    """The options in force that the country's law does not allow, each with the rule (insisted on)."""
    used = []
    method = (opts.method or "").lower()
    if method in dict(rules.nonstandard):
        used.append((f"method {method}", dict(rules.nonstandard)[method]))
    pool = (opts.pool or "").replace("-", "_")
    if pool in dict(rules.refused_pools):
        used.append((f"pool {pool}", dict(rules.refused_pools)[pool]))
    return tuple(used)


def _for_this_year(conn, made: list[Correction], txs: Sequence[Transaction]) -> list[Correction]:
    """The corrections that can concern a year read up to its end: one whose record is still in the ledger but
    after the year (a correction of a 2025 deposit, in a 2024 report) does not apply yet, and is not a
    `correction_not_applied` warning either; one whose record is gone from the ledger is kept (and warned)."""
    present = {(t.account, t.source, t.external_id) for t in txs}
    named = {(t.account, t.source, t.external_id) for c in made if c.active for t in (c.target, c.other)
             if t is not None}
    later = set(ledger.transactions_by_key(conn, named - present)) if named - present else set()
    if not later:
        return made
    return [c for c in made if not any((t.account, t.source, t.external_id) in later
                                       for t in (c.target, c.other) if t is not None)]
