"""taxer's library API: what the CLI calls, and what scripts and tests can call directly."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Iterator, Sequence

from sqlalchemy import Engine

from taxer.errors import ConfigError, InputError, TaxerError
from taxer.importers.csvfile import read_records
from taxer.model import Transaction
from taxer.reports.package import FORMATS, LedgerFingerprint, Package, referenced_ids, write_package
from taxer.reports.view import ReportParams, build_view
from taxer.pricing.book import PriceBook
from taxer.store import ledger, prices
from taxer.store.db import open_engine


@dataclass(frozen=True)
class FileImport:
    """What importing one file did: its format and counts, or the error that stopped it."""

    path: str
    format: str | None
    rows: int
    inserted: int
    error: str | None = None

    @property
    def duplicates(self) -> int:
        return self.rows - self.inserted


def workspace(db: str | None = None) -> Engine:
    """The ledger database for `db` (path or URL), `TAXER_DB`, or ./taxer.db, migrated to the current schema."""
    return open_engine(db)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def import_csv_file(engine: Engine, path: str | Path, account: str) -> FileImport:
    """Import one CSV file into `account` in one database transaction: all of it or nothing.

    Raises InputError (file, line, column) for a bad file; the failed attempt is recorded as an import run.
    """
    path = Path(path)
    fmt, records = read_records(path, account)  # detects the format before anything is written
    target = f"{path} sha256={_sha256(path)}"
    try:
        with engine.begin() as conn:
            acct = ledger.ensure_account(conn, account)
            run_id = ledger.start_run(conn, kind="csv", target=target, account_id=acct.id)
            read, inserted = ledger.insert_records(
                conn, acct.id, run_id, ((r.transaction, r.origin, r.payload) for r in records))
            ledger.finish_run(conn, run_id, outcome="ok", rows_read=read, inserted=inserted)
    except TaxerError as exc:
        with engine.begin() as conn:
            acct = ledger.find_account(conn, account)
            run_id = ledger.start_run(conn, kind="csv", target=target, account_id=acct.id if acct else None)
            ledger.finish_run(conn, run_id, outcome="failed", message=str(exc))
        raise
    return FileImport(str(path), fmt.name, read, inserted)


def import_csv(engine: Engine, paths: Sequence[str | Path], account: str) -> list[FileImport]:
    """Import several files; each is all-or-nothing on its own, and a bad file does not stop the others."""
    results = []
    for path in paths:
        try:
            results.append(import_csv_file(engine, path, account))
        except InputError as exc:
            results.append(FileImport(str(path), None, 0, 0, error=str(exc)))
    return results


def accounts(engine: Engine) -> list[ledger.AccountInfo]:
    with engine.connect() as conn:
        return ledger.list_accounts(conn)


def transactions(engine: Engine, *, account: str | None = None, asset: str | None = None,
                 since: datetime | None = None, until: datetime | None = None) -> Iterator[Transaction]:
    """Ledger transactions in time order, filtered like `taxer ledger`."""
    with engine.connect() as conn:
        if account is not None and ledger.find_account(conn, account) is None:
            names = ", ".join(a.name for a in ledger.list_accounts(conn)) or "none yet"
            raise TaxerError(f"there is no account {account!r} in this ledger (accounts: {names}). "
                             "Check the name with `taxer accounts`.")
        yield from ledger.query_transactions(conn, account=account, asset=asset, since=since, until=until)


def parse_tax_year(text: str | int) -> int:
    """'2024' or '2024/25' -> 2024 (the year the tax year starts in)."""
    value = str(text).strip()
    head, _, tail = value.partition("/")
    if head.isdigit() and len(head) == 4 and (not tail or (tail.isdigit() and len(tail) in (2, 4))):
        year = int(head)
        if not tail or int(tail) % 100 == (year + 1) % 100:
            return year
    raise ConfigError(f"tax year {value!r} is not a year: use the year the tax year starts in, such as 2024 or 2024/25")


def report(engine: Engine, *, year: str | int, out: str | Path, method: str | None = None, country: str = "us",
           currency: str | None = None, timezone: str | None = None, pool: str = "auto",
           formats: Sequence[str] = FORMATS, progress: Callable[[int, int], None] | None = None) -> Package:
    """Compute tax year `year` from the whole ledger and write its report files into `out`.

    `country` (us, uk, ca, de, au) picks the rules; None for method, currency or timezone means the country's.
    """
    from taxer.countries import country as country_named
    from taxer.engine import compute

    rules = country_named(country)
    unknown = set(formats) - set(FORMATS)
    if unknown or not formats:
        raise ConfigError(f"unknown report format {', '.join(sorted(unknown)) or '(none)'}: use csv, pdf or csv,pdf")
    start_year = parse_tax_year(year)
    settings = rules.settings(method=method, currency=currency, timezone=timezone, pool=pool)
    start, end = rules.bounds(start_year, settings.timezone)
    fingerprint = LedgerFingerprint()
    with engine.connect() as conn:
        txs = list(fingerprint.watch(ledger.query_transactions(conn, until=end)))
        account_settings = {a.name: a.settings for a in ledger.list_accounts(conn)}
        as_of = ledger.last_import_time(conn)
        book = PriceBook(prices.load(conn, until=end))  # all quotes: triangulation may need them
    if not any(tx.timestamp >= start for tx in txs):
        span = f"it covers {txs[0].timestamp:%Y-%m-%d} to {txs[-1].timestamp:%Y-%m-%d}" if txs else \
            "it has no transactions before the end of that year"
        raise TaxerError(f"the ledger has no transactions in tax year {rules.label(start_year)} ({span}). Import that year's "
                         "history first, or pick another --year.")
    result = compute(txs, settings, until=end, keep_from=start, price=book.price)
    params = ReportParams(year=start_year, year_label=rules.label(start_year), country=rules.code,
                          method=rules.method(method), currency=settings.currency,
                          timezone=settings.timezone, pool=settings.pool, period_start=start, period_end=end,
                          transfer_window_hours=settings.transfer_window.total_seconds() / 3600)
    last = end - timedelta(microseconds=1)  # the year's last moment: year-end market values
    view = build_view(params, result, account_settings, book.used,
                      year_end_price=lambda asset: book.price(asset, settings.currency, last))
    by_id = {tx.id: tx for tx in txs}
    wanted = referenced_ids(view)
    with engine.connect() as conn:
        origins = ledger.raw_records(conn, sorted(wanted), payload=False)
    refs = {i: (by_id[i].account, by_id[i].source, by_id[i].external_id, origins.get(i, ("", ""))[0])
            for i in wanted if i in by_id}
    render = None
    if "pdf" in formats:
        from taxer.reports.pdf import PdfContext, render_pdf

        context = PdfContext(as_of=as_of, fingerprint=fingerprint.sha256, transactions=fingerprint.transactions,
                             taxpayer=None)
        def render(v, path):  # noqa: E306
            render_pdf(v, path, context, progress=progress)
    return write_package(Path(out), view, refs, fingerprint, formats=formats, render_pdf=render)


def add_account(engine: Engine, name: str, *, exchange: str, api_url: str | None = None) -> ledger.AccountInfo:
    """Register an exchange account (no credentials: those live in the environment or the keyring)."""
    from taxer.exchanges.gateway import supported_exchanges

    exchange = exchange.lower().strip()
    if exchange not in supported_exchanges():
        raise ConfigError(f"{exchange!r} is not an exchange id ccxt knows; use one such as bitget, binance, kraken, "
                          "coinbase or okx")
    if api_url is not None and not api_url.startswith(("http://", "https://")):
        raise ConfigError(f"--api-url {api_url!r} must start with http:// or https://")
    with engine.begin() as conn:
        found = ledger.find_account(conn, name)
        if found and found.exchange_id and found.exchange_id != exchange:
            raise TaxerError(f"account {name!r} already exists for {found.exchange_id}; pick another name")
        if found:
            ledger.update_account(conn, name, kind="exchange", exchange_id=exchange, api_url=api_url)
            return ledger.find_account(conn, name)
        return ledger.ensure_account(conn, name, kind="exchange", exchange_id=exchange, api_url=api_url)


def sync(engine: Engine, names: Sequence[str] = (), *, since: datetime | None = None,
         until: datetime | None = None, allow_trading_key: bool = False,
         log: Callable[[str], None] = lambda s: None, on_page=None) -> list:
    """Sync the named exchange accounts (all exchange accounts when none are named); one report per account."""
    from taxer.sync import AccountSync

    known = {a.name: a for a in accounts(engine)}
    missing = [n for n in names if n not in known]
    if missing:
        raise TaxerError(f"no account {', '.join(map(repr, missing))} in this ledger; add it with `taxer account add "
                         "NAME --exchange ID` (accounts: " + (", ".join(known) or "none yet") + ")")
    chosen = [known[n] for n in names] if names else [a for a in known.values() if a.exchange_id]
    if not chosen:
        raise TaxerError("no exchange accounts to sync: add one with `taxer account add NAME --exchange ID`")
    for a in chosen:
        if not a.exchange_id:
            raise TaxerError(f"account {a.name!r} holds imported files, not an exchange API; nothing to sync")
    return [AccountSync(engine, a, since=since, until=until, allow_trading_key=allow_trading_key, log=log,
                        on_page=on_page).run() for a in chosen]


def import_prices(engine: Engine, paths: Sequence[str | Path]) -> list[tuple[str, int]]:
    """Import user price files (timestamp, asset, quote, price); each file whole or not at all. User prices win."""
    from taxer.pricing.userfile import read_prices
    from taxer.store import prices

    done = []
    for path in paths:
        rows = read_prices(Path(path))
        with engine.begin() as conn:
            prices.upsert(conn, rows, ledger.now())
        done.append((str(path), len(rows)))
    return done


def export_prices(engine: Engine, out: str | Path, *, quote: str | None = None) -> int:
    """Write the price cache as CSV (timestamp, asset, quote, price, resolution, source); returns the row count."""
    from taxer.reports.files import csv_bytes, write_bytes_atomic
    from taxer.store import prices

    with engine.connect() as conn:
        rows = prices.load(conn, quote=quote.upper() if quote else None)
    data = csv_bytes(("timestamp", "asset", "quote", "price", "resolution", "source"),
                     ((r.bucket_start.isoformat(), r.asset, r.quote, format(r.price, "f"), r.resolution, r.source)
                      for r in rows))
    try:
        write_bytes_atomic(Path(out), data)
    except OSError as exc:
        raise TaxerError(f"cannot write {out}: {exc.strerror}") from None
    return len(rows)


def fetch_prices(engine: Engine, *, year: str | int, exchange: str = "kraken", api_url: str | None = None,
                 currency: str = "USD", timezone: str = "UTC", method: str = "fifo", pool: str = "auto"):
    """Fetch and cache the candles tax year `year` needs to value its events; returns a FetchReport.

    Public market data only: no API key is used. A report afterwards runs offline from the cache.
    """
    from taxer.engine import EngineSettings, compute, tax_year_bounds
    from taxer.exchanges.gateway import Gateway, is_loopback
    from taxer.pricing.fetch import CANDLE_LIMITS, FetchReport, NeedRecorder, fetch_candles

    start_year = parse_tax_year(year)
    settings = EngineSettings(currency=currency.upper(), method=method.lower(), pool=pool.replace("-", "_"),
                              timezone=timezone)
    _start, end = tax_year_bounds(start_year, settings.timezone)
    with engine.connect() as conn:
        txs = list(ledger.query_transactions(conn, until=end))
    total, gateway, tried = FetchReport(), None, set()  # tried: (asset, quote, moment) already asked for

    def save(rows):
        with engine.begin() as conn:
            prices.upsert(conn, rows, ledger.now())

    try:
        for _ in range(3):  # a pass may reveal fallbacks (the sent asset) whose first choice had no market
            with engine.connect() as conn:
                book = PriceBook(prices.load(conn, until=end))
            recorder = NeedRecorder(book)
            result = compute(txs, settings, until=end, keep_from=end, price=recorder)  # keeps no rows: needs only
            for asset in {lot.asset for lot in result.holdings}:
                recorder.need(asset, settings.currency, end - timedelta(microseconds=1))  # year-end values
            needs = {k: {at for at in v if (*k, at) not in tried} for k, v in recorder.needs.items()}
            needs = {k: v for k, v in needs.items() if v}
            if not needs:
                break
            tried |= {(*k, at) for k, v in needs.items() for at in v}
            if gateway is None:
                gateway = Gateway(exchange.lower(), None, account=f"price source {exchange}", api_url=api_url,
                                  rate_limit=not is_loopback(api_url))
            found = fetch_candles(gateway, needs, save, limit=CANDLE_LIMITS.get(gateway.exchange_id, 100))
            total.needed += found.needed
            total.candles += found.candles
            total.requests += found.requests
            total.unavailable.update(found.unavailable)
        return total
    finally:
        if gateway is not None:
            gateway.close()
