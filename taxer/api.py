"""taxer's library API: what the CLI calls, and what scripts and tests can call directly.

A facade: each function opens what it needs and hands the work to the package that owns it (importers and the
store, the sync run, pricing, the tax year in taxer.year, corrections, review). Modules whose import costs
start-up time are imported where they are used, so a command loads only what it runs: ccxt and the PDF writer, and
also the importers, the tax year (engine, countries, pricing, reports) and corrections, which `taxer accounts`
and `taxer ledger` never need (issue 17: they answer in a fraction of a second). Only the ledger store is
imported at the top.
"""

from __future__ import annotations

import getpass
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from taxer.errors import ConfigError, InputError, NotFoundError, TaxerError
from taxer.files import write_bytes_atomic
from taxer.runtime import gc_paused
from taxer.store import ledger
from taxer.store.db import database_error, open_engine, when_free  # noqa: F401  (database_error: for the CLI)

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from taxer.corrections import Correction
    from taxer.model import Transaction
    from taxer.reports.package import Package


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


def workspace(db: str | None = None, *, create: bool = True) -> Engine:
    """The ledger database for `db` (path or URL), `TAXER_DB`, or ./taxer.db, migrated to the current schema.

    `create=False` for commands that only read: NotFoundError, saying where taxer looked, when there is no ledger
    there yet (and none is created)."""
    return open_engine(db, create=create)


def upgrade_database(db: str | None = None) -> tuple[bool, str | None]:
    """Migrate the ledger's schema explicitly (`taxer db upgrade`): (whether it changed, the revision now)."""
    from taxer.store.db import current_revision, upgrade

    engine = open_engine(db, migrate=False)
    changed = upgrade(engine)
    return changed, current_revision(engine)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def import_csv_file(engine: Engine, path: str | Path, account: str, *, date_format: str | None = None,
                    on_rows: Callable[[int], None] | None = None) -> FileImport:
    """Import one CSV file into `account` in one database transaction: all of it or nothing.

    Raises InputError (file, line, column) for a bad file; the failed attempt is recorded as an import run.
    `date_format` ("DD/MM/YYYY" or "MM/DD/YYYY") says how the file's day/month dates read where they could be
    either. Rows the format skips are counted by reason and kept in the raw records. `on_rows(n)`: the rows read so
    far, every few thousand rows (for a progress display).
    """
    from sqlalchemy.exc import SQLAlchemyError

    from taxer.importers.csvfile import read_rows

    path = Path(path)
    skipped: list = []
    fmt, rows = read_rows(path, account, skipped=skipped, date_format=date_format)  # detects the format first
    target = f"{path} sha256={_sha256(path)}"
    parsed = [(rows, skipped)]

    def attempt() -> FileImport:
        if parsed:
            rows_now, skipped_now = parsed.pop()
        else:  # a retry (the ledger was busy) parses the file again
            skipped_now = []
            rows_now = read_rows(path, account, skipped=skipped_now, date_format=date_format)[1]
        return _import_csv_once(engine, path, account, fmt, rows_now, skipped_now, target, date_format,
                                on_rows or (lambda n: None))

    try:
        return when_free(engine, attempt, str(path))
    except TaxerError as exc:
        try:
            with engine.begin() as conn:
                acct = ledger.find_account(conn, account)
                run_id = ledger.start_run(conn, kind="csv", target=target, account_id=acct.id if acct else None)
                ledger.finish_run(conn, run_id, outcome="failed", message=str(exc))
        except SQLAlchemyError:
            pass  # the ledger is busy or broken: the error itself says so
        raise


def _import_csv_once(engine: Engine, path: Path, account: str, fmt, rows, skipped: list, target: str,
                     date_format: str | None, on_rows: Callable[[int], None]) -> FileImport:
    """One attempt at importing a file, in one database transaction."""
    from taxer.importers.csvfile import read_records
    from taxer.store import matching

    with gc_paused(), engine.begin() as conn:
        acct = ledger.ensure_account(conn, account)
        run_id = ledger.start_run(conn, kind="csv", target=target, account_id=acct.id)
        source = fmt.ledger_source
        if fmt.match_by_content:  # no exchange ids in the file: skip what the API (or this file) already gave
            rows.close()
            records = [(r.transaction, r.origin, r.payload) for r in
                       read_records(path, account, skipped=skipped, date_format=date_format)[1]]
            read = len(records)
            on_rows(read)
            _, inserted = ledger.insert_records(conn, acct.id, run_id,
                                                matching.drop_held(conn, acct.id, source, records))
        else:
            read, inserted = ledger.insert_rows(conn, acct.id, run_id, rows,
                                                after_chunk=_same_as_held(conn, acct.id, source, path, on_rows))
        ledger.insert_raw(conn, acct.id, run_id, [(source, s.raw_id, s.origin, s.payload) for s in skipped])
        ledger.finish_run(conn, run_id, outcome="ok", rows_read=read, inserted=inserted)
    counts: dict[str, int] = {}
    for s in skipped:
        counts[s.reason] = counts.get(s.reason, 0) + 1
    return FileImport(str(path), fmt.name, read, inserted, skipped=tuple(sorted(counts.items())))


def _same_as_held(conn, account_id: int, source: str, path: Path,
                  on_rows: Callable[[int], None] = lambda n: None) -> Callable[[list, int], None]:
    """For `ledger.insert_rows`: refuse a row whose exchange id the ledger holds with other content (an edited or
    wrong file: the insert would keep the old record and drop this one silently); `on_rows(rows so far)` after
    each chunk."""
    read = 0

    def check(chunk: list, inserted: int) -> None:
        nonlocal read
        # A chunk whose every row was new held none of its ids before (the first import of a file, or the new
        # rows of a longer export): no lookup. Rows skipped as held are looked up, the ones this chunk wrote too.
        found = None if inserted == len(chunk) else \
            ledger.conflicting_row(conn, account_id, source, [row for row, _origin in chunk])
        if found is not None:
            index, held = found
            row, origin = chunk[index]
            lines = origin.rpartition(":")[2].split(",")  # a record of several rows: 'ledgers.csv:4,5'
            spans = "" if len(lines) == 1 else \
                f" (lines {', '.join(lines[:-1])} and {lines[-1]} of the file)"
            raise InputError(f"has the id {row[14].rpartition(':')[2]!r} of a record already in the ledger "
                             f"({held}) but other amounts, kind or time{spans}; one id is one record: check that "
                             "the file was not edited", file=str(path), line=int(lines[0]))
        read += len(chunk)
        on_rows(read)

    return check


def import_csv(engine: Engine, paths: Sequence[str | Path], account: str, *, date_format: str | None = None,
               on_rows: Callable[[str, int], None] | None = None) -> list[FileImport]:
    """Import several files; each is all-or-nothing on its own, and a bad file does not stop the others.
    `on_rows(path, n)`: the rows of `path` read so far (for a progress display)."""
    results = []
    for path in paths:
        counted = (lambda n, path=str(path): on_rows(path, n)) if on_rows else None
        try:
            results.append(import_csv_file(engine, path, account, date_format=date_format, on_rows=counted))
        except InputError as exc:
            results.append(FileImport(str(path), None, 0, 0, error=str(exc)))
    return results


def import_1099da_file(engine: Engine, path: str | Path, account: str, *, replace: bool = False) -> FileImport:
    """Import one broker's Form 1099-DA CSV file for `account`, whole or not at all; rows already imported are
    skipped. `replace`: the file is a corrected form, and the account's rows of the tax years it covers are
    dropped first (in the same database transaction). Raises InputError (file, line, column) for a bad file."""
    return _import_1099da(engine, Path(path), account, replace_years=None if replace else ())


def _import_1099da(engine: Engine, path: Path, account: str, *, replace_years) -> FileImport:
    """`replace_years`: the tax years whose stored rows the file replaces (None: every year it covers)."""
    from taxer.importers import form1099da
    from taxer.store import form1099da as stored_1099da

    layout, rows = form1099da.read(path, account)
    drop = {r.year for r in rows} if replace_years is None else set(replace_years)
    with engine.begin() as conn:
        acct = ledger.ensure_account(conn, account)
        run_id = ledger.start_run(conn, kind="1099da", target=f"{path} sha256={_sha256(path)}", account_id=acct.id)
        if drop:
            stored_1099da.remove_years(conn, acct.id, drop)
        read, inserted = stored_1099da.insert(conn, acct.id, run_id, rows)
        ledger.finish_run(conn, run_id, outcome="ok", rows_read=read, inserted=inserted)
    return FileImport(str(path), layout.name, read, inserted)


def import_1099da(engine: Engine, paths: Sequence[str | Path], account: str, *,
                  replace: bool = False) -> list[FileImport]:
    """Import several 1099-DA files; each is all-or-nothing on its own, and a bad file does not stop the others.
    With `replace` (corrected forms), the account's stored rows of each tax year the files cover are replaced by
    the files' rows."""
    from taxer.importers.form1099da import read

    results = []
    replaced: set[int] = set()
    for path in paths:
        try:
            years: set[int] = set()
            if replace:
                years = {r.year for r in read(path, account)[1]} - replaced
                replaced |= years
            results.append(_import_1099da(engine, Path(path), account, replace_years=years))
        except InputError as exc:
            results.append(FileImport(str(path), None, 0, 0, error=str(exc)))
    return results


def accounts(engine: Engine) -> list[ledger.AccountInfo]:
    with engine.connect() as conn:
        return ledger.list_accounts(conn)


def _no_account(conn, name: str) -> NotFoundError:
    names = ", ".join(a.name for a in ledger.list_accounts(conn)) or "none yet"
    return NotFoundError(f"there is no account {name!r} in this ledger (accounts: {names}). Check the name with "
                         "`taxer accounts`.")


def transactions(engine: Engine, *, account: str | None = None, asset: str | None = None,
                 since: datetime | None = None, until: datetime | None = None) -> Iterator[Transaction]:
    """Ledger transactions in time order, filtered like `taxer ledger`."""
    with engine.connect() as conn:
        if account is not None and ledger.find_account(conn, account) is None:
            raise _no_account(conn, account)
        yield from ledger.query_transactions(conn, account=account, asset=asset, since=since, until=until)


def parse_tax_year(text: str | int, country: str = "us") -> int:
    """'2024' (or, where the country's tax year straddles two calendar years, '2024/25') -> 2024."""
    from taxer.countries import country as country_named

    return country_named(country).parse_year(text)


# What `report` does, in order: read the ledger (settings, transactions, prices, corrections), run the engine,
# build the view-model, write the CSV/JSON files, render the PDF.
REPORT_STAGES = ("ledger", "engine", "view", "files", "pdf")


def report(engine: Engine, *, year: str | int, out: str | Path, method: str | None = None,
           country: str | None = None, currency: str | None = None, timezone: str | None = None,
           pool: str | None = None, formats: Sequence[str] | None = None,
           progress: Callable[[int, int], None] | None = None, force: bool = False,
           archive: bool = False, allow_nonstandard: bool | None = None,
           on_stage: Callable[[str], None] | None = None) -> Package:
    """Compute tax year `year` from the whole ledger, with the user's corrections, and write its report files.

    Options left None come from the workspace settings (`taxer config`), else taxer's defaults. The package
    replaces `out` whole (taxer.reports.folder); `force` writes it beside files no taxer report wrote; `archive`
    adds package.zip of the package. `allow_nonstandard` accepts a method or pool the country's law does not
    allow (refused otherwise, naming the rule); every page of the report then says so.
    `formats` are csv, pdf and the country's tax-software files (US: txf,
    turbotax, taxact); the taxpayer, TIN (masked) and preparer come from the workspace settings.
    `on_stage(name)` is called as each of REPORT_STAGES begins (the PDF's only when
    one is written), and `progress(done, total)` as the PDF's pages are rendered: for a progress display, which
    the library never prints itself.
    """
    from taxer.reports.package import DEFAULT_FORMATS, FORMATS, check_exports, write_package
    from taxer.reports.summary_text import Taxpayer
    from taxer.runtime import gc_running
    from taxer.year import load as load_year

    formats = DEFAULT_FORMATS if formats is None else formats   # None: the default package (csv and pdf)
    unknown = set(formats) - set(FORMATS)
    if unknown or not formats:
        raise ConfigError(f"unknown report format {', '.join(sorted(unknown)) or '(none)'}: use "
                          f"{', '.join(FORMATS)} or a comma list of them (txf, turbotax and taxact are US tax-software "
                          "files)")
    stage = on_stage or (lambda name: None)
    with gc_paused():
        stage("ledger")
        tax_year = load_year(engine, year, method=method, country=country, currency=currency, timezone=timezone,
                             pool=pool, allow_nonstandard=allow_nonstandard)
        check_exports(tax_year.params.country, formats)  # a country without the files asked for: before any work
        # The files need only the view: the ledger's rows go as soon as the engine is done with them, unless the
        # portfolio page, which runs the engine again, is asked for (then once it is made).
        view = tax_year.view(on_stage=stage, release="html" not in formats)
        stage("files")
        opts = tax_year.options
        taxpayer = Taxpayer(opts.taxpayer, opts.taxpayer_tin, opts.preparer)
        refs = tax_year.audit_refs(engine, view)
        render, child = None, None
        if "pdf" in formats:
            from taxer.files import write_bytes_atomic
            from taxer.reports import pdf  # the PDF writer: only when a PDF is asked for

            fingerprint = tax_year.fingerprint
            context = pdf.PdfContext(as_of=tax_year.as_of, fingerprint=fingerprint.sha256,
                                     transactions=fingerprint.transactions, taxpayer=taxpayer.name,
                                     taxpayer_tin=taxpayer.masked_tin, preparer=taxpayer.preparer)
            child = pdf.start(view, context)  # a big report's PDF is made on the other core meanwhile

            def render(v, path):
                stage("pdf")
                if child is not None:
                    write_bytes_atomic(path, child.result(progress))
                    return
                with gc_running():
                    pdf.render_pdf(v, path, context, progress=progress)
        try:
            extra = {}
            if "html" in formats:  # the portfolio page (several engine runs: asked for, not in the default package)
                from taxer.portfolio.load import year_page

                extra["portfolio.html"] = year_page(tax_year)
                tax_year.release()  # audit.csv's rows were taken above
            return write_package(Path(out), view, refs, tax_year.fingerprint, formats=formats, render_pdf=render,
                                 force=force, archive=archive, extra=extra, taxpayer=taxpayer)
        finally:
            if child is not None:
                child.close()  # stopped if it still runs: the package failed before it was needed


# --- exchange accounts ---------------------------------------------------------------------------------------

def add_account(engine: Engine, name: str, *, exchange: str, api_url: str | None = None) -> ledger.AccountInfo:
    """Register an exchange account (no credentials: those live in the environment or the keyring)."""
    from taxer.exchanges.gateway import supported_exchanges  # ccxt's list of ids
    from taxer.exchanges.registry import names as exchange_names

    exchange = exchange.lower().strip()
    if exchange not in supported_exchanges():
        raise ConfigError(f"{exchange!r} is not an exchange id ccxt knows; use one such as {exchange_names()}")
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
         until: datetime | None = None, allow_trading_key: bool = False, allow_unknown_key: bool = False,
         log: Callable[[str], None] = lambda s: None, on_page=None) -> list:
    """Sync the named exchange accounts (all exchange accounts when none are named); one report per account."""
    from taxer.sync import AccountSync  # ccxt

    known = {a.name: a for a in accounts(engine)}
    missing = [n for n in names if n not in known]
    if missing:
        raise NotFoundError(f"no account {', '.join(map(repr, missing))} in this ledger; add it with `taxer account "
                            "add NAME --exchange ID` (accounts: " + (", ".join(known) or "none yet") + ")")
    chosen = [known[n] for n in names] if names else [a for a in known.values() if a.exchange_id]
    if not chosen:
        raise TaxerError("no exchange accounts to sync: add one with `taxer account add NAME --exchange ID`")
    if not names:  # a plain `taxer sync`: an account nobody gave a key yet is skipped, not failed
        chosen = _with_keys(chosen, log)
    for a in chosen:
        if not a.exchange_id:
            raise TaxerError(f"account {a.name!r} holds imported files, not an exchange API; nothing to sync")
    return [AccountSync(engine, a, since=since, until=until, allow_trading_key=allow_trading_key,
                        allow_unknown_key=allow_unknown_key, log=log, on_page=on_page).run() for a in chosen]


def store_key(name: str, key: str, secret: str, password: str | None) -> None:
    """Keep account `name`'s API key in the OS keyring (never in the ledger)."""
    from taxer.exchanges import credentials

    credentials.store(name, credentials.Credentials(key, secret, password or None, origin="keyring"))


def key_variables(name: str) -> str:
    """The prefix of account `name`'s environment variables: TAXER_<NAME>_."""
    from taxer.exchanges.credentials import env_prefix

    return env_prefix(name)


# --- prices --------------------------------------------------------------------------------------------------

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
    from taxer.files import csv_bytes
    from taxer.money import number
    from taxer.store import prices

    with engine.connect() as conn:
        rows = prices.load(conn, quote=quote.upper() if quote else None)
    data = csv_bytes(("timestamp", "asset", "quote", "price", "resolution", "source"),
                     ((r.bucket_start.isoformat(), r.asset, r.quote, number(r.price), r.resolution, r.source)
                      for r in rows))
    try:
        write_bytes_atomic(Path(out), data)
    except OSError as exc:
        raise TaxerError(f"cannot write {out}: {exc.strerror}") from None
    return len(rows)


def fetch_prices(engine: Engine, *, year: str | int, exchange: str | None = None, api_url: str | None = None,
                 currency: str | None = None, timezone: str | None = None, method: str | None = None,
                 pool: str | None = None, country: str | None = None, allow_nonstandard: bool | None = None,
                 on_progress: Callable | None = None):
    """Fetch and cache the candles tax year `year` needs to value its events; returns a FetchReport.

    Options left None come from the workspace settings like a report's (`price_exchange` is the default price
    source; an account's `price_source` fetches its events' candles from that exchange). Public market data
    only: no API key is used. A source that fails is listed in the report's `failed` (what it gave is kept);
    the other sources are still asked. A report afterwards runs offline from the cache. `on_progress` is given a
    taxer.pricing.fetch.FetchProgress (values needed, pages planned and fetched) as it changes.
    """
    from taxer import config
    from taxer.corrections import apply
    from taxer.pricing.job import fetch_year_prices  # ccxt
    from taxer.year import load as load_year

    tax_year = load_year(engine, year, method=method, country=country, currency=currency, timezone=timezone,
                         pool=pool, allow_nonstandard=allow_nonstandard, background_fingerprint=False)
    known = accounts(engine)
    corrected, overrides, _outcome = apply(tax_year.transactions, tax_year.corrections, tax_year.settings.currency)
    return fetch_year_prices(engine, corrected, overrides, tax_year.settings, tax_year.params.period_end,
                             candle=tax_year.options.candle_price, sources=config.price_sources(known),
                             default=(exchange or tax_year.options.price_exchange).lower(), api_url=api_url,
                             accounts=known, on_progress=on_progress)


# --- workspace settings ------------------------------------------------------------------------------------

def settings(engine: Engine) -> list[tuple[str, str, str]]:
    """Every workspace setting as (key, value, "set" or "default"), then each account's settings."""
    from taxer import config
    from taxer.store import settings as stored_settings

    with engine.connect() as conn:
        rows = config.shown(stored_settings.load(conn))
        accts = ledger.list_accounts(conn)
    return rows + [(f"account.{a.name}.{k.name}", str(a.settings.get(k.name, k.default or k.default_text)),
                    "set" if k.name in a.settings else "default") for a in accts for k in config.ACCOUNT_KEYS.values()]


def set_setting(engine: Engine, key: str, value: str | None) -> str | None:
    """Set workspace setting `key` (None: unset it, back to the default); returns the value stored.

    ConfigError names the key and the allowed values when `value` is not one of them.
    """
    from taxer import config
    from taxer.store import settings as stored_settings

    account, name = config.split_key(key)
    parsed = config.parse(key, value) if value is not None else None
    with engine.begin() as conn:
        if account is None:
            if parsed is None:
                stored_settings.remove(conn, name)
            else:
                stored_settings.put(conn, name, parsed)
            return parsed
        found = ledger.find_account(conn, account)
        if found is None:
            raise _no_account(conn, account)
        values = dict(found.settings)
        if parsed is None:
            values.pop(name, None)
        else:
            values[name] = parsed
        ledger.update_account(conn, account, settings=json.dumps(values, sort_keys=True))
        return parsed


# --- corrections ---------------------------------------------------------------------------------------------

def _author(by: object) -> str:
    if by and str(by).strip():
        return str(by).strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def correct(engine: Engine, kind: str, tx_id: int, other_id: int | None = None, *, value: str | None = None,
            acquired: str | None = None, currency: str | None = None, note: str = "",
            by: str | None = None) -> Correction:
    """Record one correction of ledger transaction `tx_id` (ids as `taxer ledger` shows them); returns it.

    The correction is checked against the transaction(s) first: ConfigError and nothing stored when it does
    not fit.
    """
    row = {"kind": kind, "transaction": tx_id, "other": other_id, "value": value, "acquired": acquired,
           "currency": currency, "note": note, "by": by}
    return import_corrections_rows(engine, [row])[0]


def import_corrections(engine: Engine, path: str | Path, *, by: str | None = None) -> list[Correction]:
    """Record every correction of a CSV file (kind, transaction, other, value, acquired, currency, note, by).

    Every line is checked before anything is stored: one bad line raises InputError (file, line, column) and
    no correction of the file is recorded.
    """
    from taxer.corrections.batch import read_rows as read_correction_rows

    return import_corrections_rows(engine, read_correction_rows(Path(path)), default_by=by, file=str(path))


def import_corrections_rows(engine: Engine, rows, *, default_by: str | None = None,
                            file: str | None = None) -> list[Correction]:
    """Check then store corrections given as dicts (one per command or file line), all or none."""
    from taxer import config
    from taxer.corrections import CorrectionProblem, from_row
    from taxer.countries import country as country_named
    from taxer.store import corrections as stored_corrections
    from taxer.store import settings as stored_settings

    made = []
    with engine.begin() as conn:
        workspace_settings = stored_settings.load(conn)
        rules = country_named(str(workspace_settings.get("country") or config.DEFAULT_COUNTRY))
        timezone = rules.timezone(workspace_settings.get("timezone"))
        currency = str(workspace_settings.get("currency") or rules.currency)
        at = ledger.now()

        def lookup(tx_id: int) -> Transaction | None:
            return ledger.transaction_by_id(conn, tx_id)

        for n, row in enumerate(rows, start=2 if file else 1):
            try:
                made.append(from_row(row, lookup, currency=currency, author=_author(row.get("by") or default_by),
                                     now=at, timezone=timezone))
            except CorrectionProblem as exc:
                if file is None:
                    raise ConfigError(f"{exc}.") from None
                raise InputError(f"{exc}.", file=file, line=row.get("line", n), column=exc.field,
                                 hint="Nothing from this file was recorded; fix the line and import it again."
                                 ) from None
        ids = stored_corrections.add(conn, made)
    return [replace(c, id=i) for c, i in zip(made, ids)]


def corrections(engine: Engine, *, include_revoked: bool = True) -> list[Correction]:
    """Every correction made, in order (revoked ones kept, marked)."""
    from taxer.store import corrections as stored_corrections

    with engine.connect() as conn:
        return stored_corrections.load(conn, include_revoked=include_revoked)


def correction_records(engine: Engine, made: Sequence[Correction]) -> dict:
    """The ledger transaction each correction's records name (Target -> Transaction), those still there."""
    targets = {t for c in made for t in (c.target, c.other) if t is not None}
    with engine.connect() as conn:
        found = ledger.transactions_by_key(conn, {(t.account, t.source, t.external_id) for t in targets})
    return {t: found[(t.account, t.source, t.external_id)] for t in targets
            if (t.account, t.source, t.external_id) in found}


def revoke_correction(engine: Engine, correction_id: int, *, note: str, by: str | None = None) -> Correction:
    """Revoke a correction: it stops applying but stays in the history with who, when and why."""
    from taxer.store import corrections as stored_corrections

    if not (note or "").strip():
        raise ConfigError("revoking a correction needs a note saying why (--note \"...\")")
    with engine.begin() as conn:
        found = stored_corrections.get(conn, correction_id)
        if found is None:
            raise NotFoundError(f"there is no correction {correction_id}; list them with `taxer corrections`")
        if found.revoked_at is not None:
            raise ConfigError(f"correction {correction_id} was already revoked on {found.revoked_at:%Y-%m-%d} by "
                              f"{found.revoked_by}")
        stored_corrections.revoke(conn, correction_id, by=_author(by), note=note.strip(), at=ledger.now())
        return stored_corrections.get(conn, correction_id)


def review(engine: Engine, *, year: str | int | None = None, **options):
    """The open warnings (of tax year `year`, else of the whole ledger), each with the command that would
    resolve it and its effect on the year's totals; and corrections that could not be applied."""
    from taxer.review import review_year

    return review_year(engine, year, **options)


# --- exchange accounts and their keys ---------------------------------------------------------------------------

def _with_keys(chosen: list, log: Callable[[str], None]) -> list:
    from taxer.exchanges import credentials

    kept = []
    for a in chosen:
        if credentials.has_key(a.name):
            kept.append(a)
        else:
            p = credentials.env_prefix(a.name)
            log(f"note: skipping account {a.name!r} ({a.exchange_id}): no API key yet (set {p}API_KEY and "
                f"{p}SECRET, or run `taxer account set-key {a.name}`)")
    return kept


def _exchange_account(engine: Engine, name: str) -> ledger.AccountInfo:
    with engine.connect() as conn:
        found = ledger.find_account(conn, name)
        if found is None:
            raise _no_account(conn, name)
    return found


def check_accounts(engine: Engine, names: Sequence[str] = (), *, gateway_factory=None, now: datetime | None = None
                   ) -> list:
    """Each exchange account's key health (`taxer account check`): asks the exchange, reads no history."""
    from taxer.keys import check_account

    chosen = [_exchange_account(engine, n) for n in names] if names else \
        [a for a in accounts(engine) if a.exchange_id]
    for a in chosen:
        if not a.exchange_id:
            raise TaxerError(f"account {a.name!r} holds imported files, not an exchange API key; nothing to check")
    from taxer.exchanges import credentials
    from taxer.keys import Health

    out = []
    for a in chosen:
        if not names and not credentials.has_key(a.name):   # as a plain `taxer sync` skips it
            p = credentials.env_prefix(a.name)
            out.append(Health(a.name, a.exchange_id, None, None, None, False, None, (), (), skipped=True,
                              error=f"no API key yet (set {p}API_KEY and {p}SECRET, or run `taxer account set-key "
                                    f"{a.name}`)"))
        else:
            out.append(check_account(engine, a, gateway_factory=gateway_factory, now=now))
    return out


def key_steps(exchange: str) -> tuple[str, ...]:
    """How to create a read-only key on `exchange`, in plain steps (empty where taxer cannot sync it)."""
    from taxer.exchanges.registry import spec_for

    try:
        spec = spec_for(exchange)
    except TaxerError:
        return ()
    if spec.key_help is None:
        return ()
    return (*spec.key_help.steps, f"The exchange's own guide: {spec.key_help.docs}")


def set_key(engine: Engine, name: str, creds, *, gateway_factory=None):
    """Check a new key with the exchange, then keep it in the keyring (replacing the old one); a key `taxer sync`
    would refuse is not stored (KeyPermissionError naming why). Returns the key's health."""
    from taxer.errors import KeyPermissionError
    from taxer.exchanges import credentials
    from taxer.keys import check_account

    account = _exchange_account(engine, name)
    if not account.exchange_id:
        raise TaxerError(f"account {name!r} holds imported files; only exchange accounts have API keys")
    health = check_account(engine, account, creds=creds, gateway_factory=gateway_factory)
    if health.error:
        raise KeyPermissionError(f"the new key of {name!r} was not stored: {health.error}")
    if health.refused:
        raise KeyPermissionError(f"the new key of {name!r} was not stored: {health.decision.refusal}")
    credentials.store(name, creds)
    return health


def remove_account(engine: Engine, name: str, *, yes: bool = False):
    """What removing account `name` removes (its transactions, raw records, cursors, corrections naming it, import
    runs, key dates and keyring entry); removes it only when `yes`. Returns (contents, keyring fields removed)."""
    from taxer.exchanges import credentials
    from taxer.store import accounts as stored

    account = _exchange_account(engine, name)
    with engine.begin() as conn:
        if not yes:
            return stored.contents(conn, account.id, name), []
        found = stored.remove(conn, account.id, name)
    return found, credentials.forget(name)


def rename_account(engine: Engine, old: str, new: str) -> int:
    """Rename an account: its transactions, cursors and settings stay with it, corrections naming it follow, and
    so does its keyring entry (a key in TAXER_<OLD>_* variables must move to TAXER_<NEW>_*). Returns the number of
    corrections updated."""
    from taxer.exchanges import credentials
    from taxer.store import accounts as stored

    new = new.strip()
    _exchange_account(engine, old)
    with engine.begin() as conn:
        if not new:
            raise ConfigError("the new account name cannot be empty")
        if ledger.find_account(conn, new) is not None:
            raise TaxerError(f"there is already an account {new!r}; pick another name")
        ledger.check_new_name(new)
        moved = stored.rename(conn, old, new)
    credentials.move(old, new)
    return moved
# --- portfolio -----------------------------------------------------------------------------------------------

def portfolio(engine: Engine, *, at=None, currency: str | None = None, country: str | None = None,
              method: str | None = None, timezone: str | None = None, pool: str | None = None,
              history: bool = False):
    """What is held at `at` (now when None; a date means the end of that local day), valued from the price cache,
    with what selling it all would realize; returns (Portfolio, History or None). `history`: also the month-end
    series the page draws (one engine run per month end)."""
    from taxer.portfolio.history import history as series
    from taxer.portfolio.load import load

    found, inputs = load(engine, at=at, currency=currency, country=country, method=method, timezone=timezone,
                         pool=pool)
    return found, (series(inputs, found) if history else None)


def write_portfolio_page(path: str | Path, found, history=None) -> Path:
    """Write the self-contained portfolio page (taxer.reports.portfolio_html) to `path`."""
    from taxer.reports.portfolio_html import portfolio_page

    target = Path(path)
    try:
        write_bytes_atomic(target, portfolio_page(found, history))
    except OSError as exc:
        raise TaxerError(f"cannot write {path}: {exc.strerror}. Pass --html with a file in a folder you may "
                         "write to.") from None
    return target
