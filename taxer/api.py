"""taxer's library API: what the CLI calls, and what scripts and tests can call directly."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from taxer.errors import ConfigError, InputError, TaxerError
from taxer.importers.csvfile import read_records, read_rows
from taxer.model import Transaction
from taxer.pricing.book import PriceBook
from taxer.reports.package import FORMATS, Package, referenced_ids, write_package
from taxer.runtime import gc_paused, gc_running
from taxer.store import ledger, matching, prices
from taxer.store.db import open_engine


@dataclass(frozen=True)
class FileImport:
    """What importing one file did: its format and counts, or the error that stopped it."""

    path: str
    format: str | None
    rows: int
    inserted: int
    error: str | None = None
    skipped: tuple[tuple[str, int], ...] = ()   # (reason, rows) of rows that hold nothing for the ledger

    @property
    def duplicates(self) -> int:
        return self.rows - self.inserted

    @property
    def skipped_rows(self) -> int:
        return sum(n for _reason, n in self.skipped)


def workspace(db: str | None = None) -> Engine:
    """The ledger database for `db` (path or URL), `TAXER_DB`, or ./taxer.db, migrated to the current schema."""
    return open_engine(db)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def import_csv_file(engine: Engine, path: str | Path, account: str, *, date_format: str | None = None
                    ) -> FileImport:
    """Import one CSV file into `account` in one database transaction: all of it or nothing.

    Raises InputError (file, line, column) for a bad file; the failed attempt is recorded as an import run.
    `date_format` ("DD/MM/YYYY" or "MM/DD/YYYY") says how the file's day/month dates read where they could be
    either. Rows the format skips are counted by reason and kept in the raw records.
    """
    path = Path(path)
    skipped: list = []
    fmt, rows = read_rows(path, account, skipped=skipped, date_format=date_format)  # detects the format first
    target = f"{path} sha256={_sha256(path)}"
    try:
        with gc_paused(), engine.begin() as conn:
            acct = ledger.ensure_account(conn, account)
            run_id = ledger.start_run(conn, kind="csv", target=target, account_id=acct.id)
            source = fmt.ledger_source
            if fmt.match_by_content:  # no exchange ids in the file: skip what the API (or this file) already gave
                rows.close()
                records = [(r.transaction, r.origin, r.payload) for r in
                           read_records(path, account, skipped=skipped, date_format=date_format)[1]]
                read = len(records)
                _, inserted = ledger.insert_records(conn, acct.id, run_id,
                                                    matching.drop_held(conn, acct.id, source, records))
            else:
                read, inserted = ledger.insert_rows(conn, acct.id, run_id,
                                                    _same_as_held(conn, acct.id, source, path, rows))
            ledger.insert_raw(conn, acct.id, run_id, [(source, s.raw_id, s.origin, s.payload) for s in skipped])
            ledger.finish_run(conn, run_id, outcome="ok", rows_read=read, inserted=inserted)
    except TaxerError as exc:
        with engine.begin() as conn:
            acct = ledger.find_account(conn, account)
            run_id = ledger.start_run(conn, kind="csv", target=target, account_id=acct.id if acct else None)
            ledger.finish_run(conn, run_id, outcome="failed", message=str(exc))
        raise
    counts: dict[str, int] = {}
    for s in skipped:
        counts[s.reason] = counts.get(s.reason, 0) + 1
    return FileImport(str(path), fmt.name, read, inserted, skipped=tuple(sorted(counts.items())))


def _same_as_held(conn, account_id: int, source: str, path: Path, rows: Iterator) -> Iterator:
    """`rows`, refusing one whose exchange id the ledger holds with other content (an edited or wrong file: the
    insert would keep the old record and drop this one silently)."""
    chunk: list = []

    def check():
        found = ledger.conflicting_row(conn, account_id, source, [row for row, _origin, _payload in chunk])
        if found is not None:
            index, held = found
            _row, origin, _payload = chunk[index]
            raise InputError(f"has the id {_row[14].rpartition(':')[2]!r} of a record already in the ledger "
                             f"({held}) but other amounts, kind or time; one id is one record: check that the "
                             "file was not edited", file=str(path), line=int(origin.rpartition(":")[2]))
        yield from chunk
        chunk.clear()

    for item in rows:
        chunk.append(item)
        if len(chunk) >= ledger.CHUNK:
            yield from check()
    yield from check()


def import_csv(engine: Engine, paths: Sequence[str | Path], account: str, *, date_format: str | None = None
               ) -> list[FileImport]:
    """Import several files; each is all-or-nothing on its own, and a bad file does not stop the others."""
    results = []
    for path in paths:
        try:
            results.append(import_csv_file(engine, path, account, date_format=date_format))
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


def report(engine: Engine, *, year: str | int, out: str | Path, method: str | None = None,
           country: str | None = None, currency: str | None = None, timezone: str | None = None,
           pool: str | None = None, formats: Sequence[str] = FORMATS,
           progress: Callable[[int, int], None] | None = None) -> Package:
    """Compute tax year `year` from the whole ledger, with the user's corrections, and write its report files.

    Options left None come from the workspace settings (`taxer config`), else taxer's defaults.
    """
    from taxer.year import load

    unknown = set(formats) - set(FORMATS)
    if unknown or not formats:
        raise ConfigError(f"unknown report format {', '.join(sorted(unknown)) or '(none)'}: use csv, pdf or csv,pdf")
    with gc_paused():
        tax_year = load(engine, parse_tax_year(year), method=method, country=country, currency=currency,
                        timezone=timezone, pool=pool)
        view = tax_year.view()
        wanted = referenced_ids(view) | {i for line in view.corrections for i in line.tx_ids}
        by_id = {tx.id: tx for tx in tax_year.transactions if tx.id in wanted}
        with engine.connect() as conn:
            origins = ledger.raw_records(conn, sorted(wanted), payload=False)
        refs = {i: (by_id[i].account, by_id[i].source, by_id[i].external_id, origins.get(i, ("", ""))[0])
                for i in wanted if i in by_id}
        render = None
        if "pdf" in formats:
            from taxer.reports.pdf import PdfContext, render_pdf

            fingerprint = tax_year.fingerprint
            context = PdfContext(as_of=tax_year.as_of, fingerprint=fingerprint.sha256,
                                 transactions=fingerprint.transactions, taxpayer=tax_year.options.taxpayer)
            def render(v, path):
                with gc_running():
                    render_pdf(v, path, context, progress=progress)
        return write_package(Path(out), view, refs, tax_year.fingerprint, formats=formats, render_pdf=render)


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
    from taxer.files import csv_bytes, write_bytes_atomic
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


def fetch_prices(engine: Engine, *, year: str | int, exchange: str | None = None, api_url: str | None = None,
                 currency: str | None = None, timezone: str | None = None, method: str | None = None,
                 pool: str | None = None, country: str | None = None):
    """Fetch and cache the candles tax year `year` needs to value its events; returns a FetchReport.

    Options left None come from the workspace settings like a report's (`price_exchange` is the default price
    source; an account's `price_source` fetches its events' candles from that exchange). Public market data
    only: no API key is used. A source that fails is listed in the report's `failed` (what it gave is kept);
    the other sources are still asked. A report afterwards runs offline from the cache.
    """
    from taxer import config
    from taxer.corrections import apply
    from taxer.engine import compute
    from taxer.exchanges.gateway import Gateway, is_loopback
    from taxer.pricing.fetch import CANDLE_LIMITS, FetchReport, NeedRecorder, fetch_candles
    from taxer.year import load

    tax_year = load(engine, parse_tax_year(year), method=method, country=country, currency=currency,
                    timezone=timezone, pool=pool, background_fingerprint=False)
    settings, end = tax_year.settings, tax_year.params.period_end
    default = (exchange or tax_year.options.price_exchange).lower()
    known = accounts(engine)
    sources = config.price_sources(known)
    corrected, overrides, _outcome = apply(tax_year.transactions, tax_year.corrections, settings.currency)
    total, gateways, tried = FetchReport(), {}, set()  # tried: (source, asset, quote, moment) already asked for

    def gateway_for(source: str) -> Gateway:
        if source not in gateways:
            url = api_url if source == default else next(
                (a.api_url for a in known if a.exchange_id == source and a.api_url), None)
            gateways[source] = Gateway(source, None, account=f"price source {source}", api_url=url,
                                       rate_limit=not is_loopback(url))
        return gateways[source]

    def save(rows):
        with engine.begin() as conn:
            prices.upsert(conn, rows, ledger.now())

    try:
        for _ in range(3):  # a pass may reveal fallbacks (the sent asset) whose first choice had no market
            with engine.connect() as conn:
                book = PriceBook(prices.load(conn, until=end), candle=tax_year.options.candle_price, sources=sources)
            recorder = NeedRecorder(book, default)
            result = compute(corrected, settings, until=end, keep_from=end, price=recorder,  # keeps no rows
                             overrides=overrides)
            for asset in {lot.asset for lot in result.holdings}:
                recorder.need(asset, settings.currency, end - timedelta(microseconds=1))  # year-end values
            needs = {k: {at for at in v if (*k, at) not in tried} for k, v in recorder.needs.items()
                     if k[0] not in total.failed}
            needs = {k: v for k, v in needs.items() if v}
            if not needs:
                break
            tried |= {(*k, at) for k, v in needs.items() for at in v}
            by_source: dict[str, dict] = {}
            for (source, asset, quote), moments in needs.items():
                by_source.setdefault(source, {})[(asset, quote)] = moments
            for source, wanted in sorted(by_source.items()):
                try:
                    gateway = gateway_for(source)
                    found = fetch_candles(gateway, wanted, save, limit=CANDLE_LIMITS.get(gateway.exchange_id, 100))
                except TaxerError as exc:
                    total.failed[source] = str(exc)
                    continue
                total.needed += found.needed
                total.candles += found.candles
                total.requests += found.requests
                total.unavailable.update({f"{k} prices on {source}": n for k, n in found.unavailable.items()})
        return total
    finally:
        for gateway in gateways.values():
            gateway.close()


# --- workspace settings ------------------------------------------------------------------------------------

def settings(engine: Engine) -> list[tuple[str, str, str]]:
    """Every workspace setting as (key, value, "set" or "default"), then each account's Form 1099-DA setting."""
    from taxer import config
    from taxer.store import settings as stored

    with engine.connect() as conn:
        rows = config.shown(stored.load(conn))
        accts = ledger.list_accounts(conn)
    return rows + [(f"account.{a.name}.{k.name}", str(a.settings.get(k.name, k.default or k.default_text)),
                    "set" if k.name in a.settings else "default") for a in accts for k in config.ACCOUNT_KEYS.values()]


def set_setting(engine: Engine, key: str, value: str | None) -> str | None:
    """Set workspace setting `key` (None: unset it, back to the default); returns the value stored.

    ConfigError names the key and the allowed values when `value` is not one of them.
    """
    import json

    from taxer import config
    from taxer.store import settings as stored

    account, name = config.split_key(key)
    parsed = config.parse(key, value) if value is not None else None
    with engine.begin() as conn:
        if account is None:
            if parsed is None:
                stored.remove(conn, name)
            else:
                stored.put(conn, name, parsed)
            return parsed
        found = ledger.find_account(conn, account)
        if found is None:
            names = ", ".join(a.name for a in ledger.list_accounts(conn)) or "none yet"
            raise ConfigError(f"setting {key!r}: there is no account {account!r} (accounts: {names})")
        values = dict(found.settings)
        if parsed is None:
            values.pop(name, None)
        else:
            values[name] = parsed
        ledger.update_account(conn, account, settings=json.dumps(values, sort_keys=True))
        return parsed


# --- corrections ---------------------------------------------------------------------------------------------

def _author(by: str | None) -> str:
    if by and by.strip():
        return by.strip()
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _tx_by_id(conn, tx_id: int | None, what: str = "transaction") -> Transaction | None:
    if tx_id is None:
        return None
    found = ledger.transaction_by_id(conn, tx_id)
    if found is None:
        from taxer.corrections import CorrectionProblem

        raise CorrectionProblem(f"there is no transaction {tx_id} in the ledger; take the id from `taxer ledger`",
                                what)
    return found


def correct(engine: Engine, kind: str, tx_id: int, other_id: int | None = None, *, value: str | None = None,
            acquired: str | None = None, currency: str | None = None, note: str = "", by: str | None = None):
    """Record one correction of ledger transaction `tx_id` (ids as `taxer ledger` shows them); returns it.

    The correction is checked against the transaction(s) first: ConfigError and nothing stored when it does
    not fit.
    """
    row = {"kind": kind, "transaction": tx_id, "other": other_id, "value": value, "acquired": acquired,
           "currency": currency, "note": note, "by": by}
    return import_corrections_rows(engine, [row])[0]


def import_corrections(engine: Engine, path: str | Path, *, by: str | None = None) -> list:
    """Record every correction of a CSV file (kind, transaction, other, value, acquired, currency, note, by).

    Every line is checked before anything is stored: one bad line raises InputError (file, line, column) and
    no correction of the file is recorded.
    """
    from taxer.corrections.batch import read_rows

    return import_corrections_rows(engine, read_rows(Path(path)), default_by=by, file=str(path))


def import_corrections_rows(engine: Engine, rows, *, default_by: str | None = None, file: str | None = None) -> list:
    """Check then store corrections given as dicts (one per command or file line), all or none."""
    from taxer.corrections import CorrectionProblem, build
    from taxer.countries import country as country_named
    from taxer.store import corrections as stored
    from taxer.store import settings as stored_settings

    made = []
    with engine.begin() as conn:
        workspace_settings = stored_settings.load(conn)
        rules = country_named(str(workspace_settings.get("country", "us")))
        timezone = rules.timezone(workspace_settings.get("timezone"))
        currency = str(workspace_settings.get("currency") or rules.currency)
        at = ledger.now()
        for n, row in enumerate(rows, start=2 if file else 1):
            try:
                tx = _tx_by_id(conn, _int(row.get("transaction"), "transaction"))
                other = _tx_by_id(conn, _int(row.get("other"), "other"), "other")
                made.append(build(row.get("kind") or "", tx, other, value=row.get("value"),
                                  acquired=row.get("acquired"), currency=row.get("currency") or currency,
                                  note=row.get("note") or "", author=_author(row.get("by") or default_by),
                                  now=at, timezone=timezone))
            except CorrectionProblem as exc:
                if file is None:
                    raise ConfigError(f"{exc}.") from None
                raise InputError(f"{exc}.", file=file, line=row.get("line", n), column=exc.field,
                                 hint="Nothing from this file was recorded; fix the line and import it again."
                                 ) from None
        ids = stored.add(conn, made)
    from dataclasses import replace

    return [replace(c, id=i) for c, i in zip(made, ids)]


def _int(value, field: str) -> int | None:
    from taxer.corrections import CorrectionProblem

    if value is None or str(value).strip() == "":
        if field == "transaction":
            raise CorrectionProblem("a transaction id is needed (as `taxer ledger` shows it)", field)
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        raise CorrectionProblem(f"{value!r} is not a transaction id (a whole number from `taxer ledger`)",
                                field) from None


def corrections(engine: Engine, *, include_revoked: bool = True) -> list:
    """Every correction made, in order (revoked ones kept, marked)."""
    from taxer.store import corrections as stored

    with engine.connect() as conn:
        return stored.load(conn, include_revoked=include_revoked)


def revoke_correction(engine: Engine, correction_id: int, *, note: str, by: str | None = None):
    """Revoke a correction: it stops applying but stays in the history with who, when and why."""
    from taxer.store import corrections as stored

    if not (note or "").strip():
        raise ConfigError("revoking a correction needs a note saying why (--note \"...\")")
    with engine.begin() as conn:
        found = stored.get(conn, correction_id)
        if found is None:
            raise ConfigError(f"there is no correction {correction_id}; list them with `taxer corrections`")
        if found.revoked_at is not None:
            raise ConfigError(f"correction {correction_id} was already revoked on {found.revoked_at:%Y-%m-%d} by "
                              f"{found.revoked_by}")
        stored.revoke(conn, correction_id, by=_author(by), note=note.strip(), at=ledger.now())
        return stored.get(conn, correction_id)


def review(engine: Engine, *, year: str | int | None = None, **options):
    """The open warnings (of tax year `year`, else of the whole ledger), each with the command that would
    resolve it and its effect on the year's totals; and corrections that could not be applied."""
    from taxer.review import review_year

    return review_year(engine, parse_tax_year(year) if year is not None else None, **options)
