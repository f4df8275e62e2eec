"""The `taxer` command: a thin skin over taxer.api. Each command parses options, calls the library, prints.

Start-up matters (a user types `taxer --help` and `taxer accounts` all day): the library is imported on the first
call into it, not when the command line is parsed, and help texts and choices come from taxer's registries
(countries, methods, exchanges, CSV formats), which are small.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from types import ModuleType

import click

from taxer import __version__
from taxer.countries import COUNTRIES
from taxer.engine.methods import METHODS
from taxer.errors import TaxerError
from taxer.exchanges.registry import names as exchange_names
from taxer.model import UTC
from taxer.views import (
    LEDGER_HEADER,
    account_json,
    correction_json,
    describe_record,
    import_progress,
    prices_progress,
    render_review,
    render_summary,
    report_progress,
    sync_status,
    transaction_json,
    transaction_line,
)
from taxer.words import mask_tin, plural


class _Library:
    """taxer.api, imported when a command first calls it (it loads SQLAlchemy and the ledger store; each of its
    functions imports the rest of what it runs)."""

    _module: ModuleType | None = None

    def __getattr__(self, name: str):
        if _Library._module is None:
            from taxer import api as module

            _Library._module = module
        return getattr(_Library._module, name)


api = _Library()


class TaxerGroup(click.Group):
    """The command group: taxer's own errors become a one-paragraph message and exit code 1, never a traceback,
    for every command at once."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except TaxerError as exc:
            raise click.ClickException(str(exc)) from None
        except Exception as exc:
            mapped = api.database_error(exc, ctx.obj.get("db") if ctx.obj else None)  # the database's own errors
            if mapped is None:
                raise
            raise click.ClickException(str(mapped)) from None


def _engine(ctx: click.Context):
    return api.workspace(ctx.obj["db"])


def _ledger(ctx: click.Context):
    """The existing ledger, for commands that only read: they never create one."""
    return api.workspace(ctx.obj["db"], create=False)


METHOD_CHOICES = "|".join(METHODS)
COUNTRY_CHOICES = "|".join(COUNTRIES)
COUNTRY_NAMES = ", ".join(f"{c.name} ({code})" for code, c in COUNTRIES.items())


class DateParam(click.ParamType):
    """A calendar date (YYYY-MM-DD, UTC) or an ISO 8601 timestamp with a zone."""

    name = "DATE"

    def convert(self, value, param, ctx):
        if isinstance(value, datetime):
            return value
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            self.fail(f"{value!r} is not a date; use YYYY-MM-DD (UTC) or an ISO 8601 timestamp", param, ctx)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@click.group(cls=TaxerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", metavar="PATH_OR_URL", envvar="TAXER_DB",
              help="Ledger database: a file path or an SQLAlchemy URL (postgresql+psycopg://user@host/db). "
                   "Default: taxer.db in the current folder; env TAXER_DB.")
@click.version_option(__version__, prog_name="taxer")
@click.pass_context
def main(ctx: click.Context, db: str | None) -> None:
    """taxer: crypto tax reports from exchange histories.

    Import transactions into a ledger (CSV files or exchange APIs with read-only keys), then compute gains
    and write the filing package.
    """
    ctx.ensure_object(dict)
    ctx.obj["db"] = db


@main.group("import")
def import_group() -> None:
    """Import transactions from files into the ledger."""


@import_group.command("csv")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=str))
@click.option("--account", "-a", required=True, metavar="NAME",
              help="Ledger account the files belong to (created if new).")
@click.option("--date-format", type=click.Choice(["DD/MM/YYYY", "MM/DD/YYYY"]), default=None,
              help="How the files' dates such as 01/03/2024 read (day first or month first), where they could be "
                   "either.")
@click.pass_context
def import_csv(ctx: click.Context, files: tuple[str, ...], account: str, date_format: str | None) -> None:
    """Import CSV FILES into account NAME; the format is detected from the header row.

    Each file is imported whole or not at all; importing a file again adds nothing twice. Rows that hold nothing
    for the ledger (moves between an exchange's own wallets, pending transfers) are counted by reason.
    """
    with import_progress() as on_rows:
        results = api.import_csv(_engine(ctx), files, account, date_format=date_format, on_rows=on_rows)
    for r in results:
        if r.error:
            click.echo(f"FAILED {r.path}: nothing imported from this file.", err=True)
        else:
            skipped = ""
            if r.skipped:
                skipped = (f", {r.skipped_rows} skipped ("
                           + "; ".join(f"{n} {reason}" for reason, n in r.skipped) + ")")
            click.echo(f"{r.path}: {r.format}, {plural(r.rows, 'row')}, {r.inserted} new, {r.duplicates} already "
                       f"in the ledger{skipped}")
    failed = [r for r in results if r.error]
    if failed:
        raise click.ClickException(" ".join(r.error for r in failed) + " Fix the file and run the same command "
                                   "again: files already imported add nothing twice.")


@import_group.command("1099da")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=str))
@click.option("--account", "-a", required=True, metavar="NAME",
              help="Ledger account (the broker account) the Forms 1099-DA were issued for (created if new).")
@click.option("--replace", is_flag=True, help="The files are corrected forms: they replace the account's rows of "
                                              "the tax years they cover.")
@click.pass_context
def import_1099da(ctx: click.Context, files: tuple[str, ...], account: str, replace: bool) -> None:
    """Import a broker's Form 1099-DA rows (CSV FILES) for account NAME, to reconcile with the ledger.

    Columns: Asset,Units,Date Acquired,Date Sold,Proceeds,Cost Basis,Term,Basis Reported (and optional boxes; see
    the README), or Taxbit's 1099-DA form data template. Each file is imported whole or not at all; importing a
    file again adds nothing twice. `taxer report` then writes reconciliation_1099da.csv.
    """
    results = api.import_1099da(_engine(ctx), files, account, replace=replace)
    for r in results:
        if not r.error:
            click.echo(f"{r.path}: {r.format} 1099-DA, {plural(r.rows, 'row')}, {r.inserted} new, "
                       f"{r.duplicates} already imported")
    failed = [r for r in results if r.error]
    if failed:
        raise click.ClickException(" ".join(r.error for r in failed) + " Fix the file and run the same command "
                                   "again: files already imported add nothing twice.")


@main.command()
@click.option("--account", "-a", metavar="NAME", help="Only this account.")
@click.option("--asset", metavar="SYM", help="Only transactions moving this asset (any leg).")
@click.option("--since", type=DateParam(), help="From this date (inclusive, UTC).")
@click.option("--until", type=DateParam(), help="Up to this date (inclusive, UTC).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (amounts as decimal strings).")
@click.pass_context
def ledger(ctx: click.Context, account, asset, since, until, as_json: bool) -> None:
    """List ledger transactions in time order."""
    if until is not None and until.time() == datetime.min.time():
        until += timedelta(days=1)  # a bare date means the whole day
    txs = api.transactions(_ledger(ctx), account=account, asset=asset, since=since, until=until)
    out = sys.stdout
    if as_json:
        out.write("[")
        for i, tx in enumerate(txs):
            out.write((",\n" if i else "\n") + json.dumps(transaction_json(tx)))
        out.write("\n]\n")
        return
    click.echo(LEDGER_HEADER)
    count = 0
    for tx in txs:
        click.echo(transaction_line(tx))
        count += 1
    click.echo(plural(count, "transaction"))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.pass_context
def accounts(ctx: click.Context, as_json: bool) -> None:
    """List the ledger's accounts (never credentials)."""
    rows = api.accounts(_ledger(ctx))
    if as_json:
        click.echo(json.dumps([account_json(a) for a in rows], indent=2))
        return
    if not rows:
        click.echo("No accounts yet: `taxer import csv FILE --account NAME` creates one.")
    for a in rows:
        where = f"{a.exchange_id}" + (f" via {a.api_url}" if a.api_url else "") if a.exchange_id else a.kind
        click.echo(f"{a.name:20}  {where:30}  {plural(a.transactions, 'transaction')}")


# A method or pool the country's law does not allow (US average cost, Treas. Reg. 1.1012-1(e)) only on insistence.
ALLOW_NONSTANDARD = click.option(
    "--allow-nonstandard", is_flag=True,
    help="Accept a method or pool the country's law does not allow (such as average cost in the US, Treas. Reg. "
         "1.1012-1(e)); refused without it, naming the rule. The report prints it on every page (also the "
         "`taxer config` allow_nonstandard setting).")


@main.command()
@click.option("--year", required=True, metavar="YYYY", help="Tax year: the year it starts in (2024, or 2024/25).")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=str),
              help="Folder for the report files.")
@click.option("--method", metavar=METHOD_CHOICES,
              help="Cost-basis method for the year's disposals (default: `taxer config` method, else the "
                   "country's; fifo in the US).")
@click.option("--country", metavar=COUNTRY_CHOICES,
              help=f"Tax rules to apply: {COUNTRY_NAMES} (default: `taxer config` country, else us).")
@click.option("--currency", metavar="USD", help="Report currency (default: `taxer config` currency, else the "
                                                "country's).")
@click.option("--timezone", metavar="ZONE",
              help="The taxpayer's time zone (IANA name): cuts the US tax year and dates the holding period "
                   "(default: `taxer config` timezone, else UTC). Other countries use their own (Europe/London, "
                   "America/Toronto, Europe/Berlin, Australia/Sydney).")
@click.option("--pool", type=click.Choice(["auto", "universal", "per-account"]),
              help="Basis pools: auto = one universal pool per asset before 2025, per account from 2025 "
                   "(Rev. Proc. 2024-28). Default: `taxer config` pool, else auto.")
@click.option("--format", "formats", default="csv,pdf", show_default=True,
              metavar="csv,pdf,html,txf,turbotax,taxact",
              help="Which files to write, a comma list: csv (all CSV and JSON files), pdf (report.pdf), html "
                   "(portfolio.html, the portfolio page at the year's end), and for US tax software txf "
                   "(form8949.txf), turbotax (turbotax.csv), taxact (taxact.csv). summary.json, summary.txt and "
                   "manifest.json are always written.")
@click.option("--force", is_flag=True, help="Write into an OUT that holds files no taxer report wrote (they are "
                                            "left as they are); without it such a folder is refused.")
@click.option("--zip", "archive", is_flag=True, help="Also write package.zip of the whole package, for the "
                                                     "hand-off.")
@ALLOW_NONSTANDARD
@click.pass_context
def report(ctx: click.Context, year, out, method, country, currency, timezone, pool, formats, force,
           archive, allow_nonstandard) -> None:
    """Compute a tax year and write its filing package into OUT.

    Files: summary.json, summary.txt (one-page summary), income.csv, holdings.csv, other_disposals.csv, audit.csv,
    warnings.csv, report.pdf and manifest.json (SHA-256 of every file, the parameters, a ledger fingerprint), and
    the country's forms: US form8949.csv and schedule_d.csv (with --format txf, turbotax, taxact also
    form8949.txf, turbotax.csv, taxact.csv); UK hmrc_disposals.csv and sa108.csv; Canada schedule3.csv; Germany
    anlage_so.csv; Australia cgt_schedule.csv.
    OUT ends up holding exactly this run's package: it is written beside OUT and swapped in whole, and the files
    of an earlier report there are replaced.
    """
    wanted = tuple(f.strip().lower() for f in formats.split(",") if f.strip())
    with report_progress() as (on_stage, on_pages):
        package = api.report(_ledger(ctx), year=year, out=out, method=method, country=country, currency=currency,
                             timezone=timezone, pool=pool, formats=wanted, progress=on_pages, force=force,
                             archive=archive, allow_nonstandard=allow_nonstandard or None, on_stage=on_stage)
    click.echo(render_summary(package.summary))
    for note in package.notes:
        click.echo(f"Note: {note}", err=True)
    click.echo(f"Reports written to {package.folder}")


@main.group()
def account() -> None:
    """Register exchange accounts and their API keys."""


@account.command("add")
@click.argument("name")
@click.option("--exchange", required=True, metavar="ID",
              help=f"ccxt exchange id; taxer syncs {exchange_names()}.")
@click.option("--api-url", metavar="URL", help="Send every API call of this account to this base URL (regional "
                                                "domain, proxy, local replica).")
@click.pass_context
def account_add(ctx: click.Context, name: str, exchange: str, api_url: str | None) -> None:
    """Register exchange account NAME. Its key comes from TAXER_<NAME>_API_KEY/_SECRET/_PASSWORD or the keyring."""
    env_prefix = api.key_variables
    acct = api.add_account(_engine(ctx), name, exchange=exchange, api_url=api_url)
    click.echo(f"account {acct.name!r}: {acct.exchange_id}" + (f" via {acct.api_url}" if acct.api_url else ""))
    click.echo(f"Give it a READ-ONLY API key: set {env_prefix(name)}API_KEY and {env_prefix(name)}SECRET (and "
               f"{env_prefix(name)}PASSWORD if the exchange uses a passphrase), or run `taxer account set-key {name}`.")
    steps = api.key_steps(acct.exchange_id)
    if steps:
        click.echo(f"Creating a read-only key on {acct.exchange_id}:")
        for n, step in enumerate(steps, 1):
            click.echo(f"  {n}. {step}")
        click.echo(f"Then check it with `taxer account check {name}`.")


@account.command("set-key")
@click.argument("name")
@click.pass_context
def account_set_key(ctx: click.Context, name: str) -> None:
    """Prompt for account NAME's API key (input hidden), check it with the exchange, and keep it in the operating
    system's keyring (replacing the key kept before); a key `taxer sync` would refuse is not stored."""
    from taxer.exchanges import credentials

    if not any(a.name == name for a in api.accounts(_engine(ctx))):
        raise click.ClickException(f"no account {name!r}: add it first with `taxer account add {name} --exchange ID`")
    credentials.check_keyring()
    key = click.prompt("API key", hide_input=True)
    secret = credentials.pasted_secret(click.prompt("API secret", hide_input=True))
    password = click.prompt("Passphrase (empty if none)", hide_input=True, default="", show_default=False)
    health = api.set_key(_engine(ctx), name, credentials.Credentials(key, secret, password or None, origin="keyring"))
    click.echo(health.summary())
    click.echo(f"stored the key of {name!r} in the keyring (it replaces any key kept before; history and cursors "
               "stay)")


@main.command()
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("--since", type=DateParam(), help="Fetch history from this date (default: the exchange's start).")
@click.option("--year", type=int, metavar="YYYY", help="Fetch only this calendar year.")
@click.option("--allow-trading-key", is_flag=True, help="Accept a key that can trade (never one that can withdraw).")
@click.option("--allow-unknown-key", is_flag=True, help="Accept a key whose permissions the exchange does not say "
                                                        "plainly (warned on every sync; never one that can withdraw).")
@click.option("--quiet", "-q", is_flag=True, help="Print only the final summary and errors.")
@click.pass_context
def sync(ctx: click.Context, names, since, year, allow_trading_key: bool, allow_unknown_key: bool,
         quiet: bool) -> None:
    """Pull exchange accounts' full histories through their APIs with read-only keys.

    Re-running fetches only what is new; an interrupted sync resumes where it stopped.
    """
    until = None
    if year:
        since, until = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    log = (lambda s: None) if quiet else (lambda s: click.echo(s, err=True))
    with sync_status(log, enabled=not quiet) as (on_page, log):
        reports = api.sync(_engine(ctx), names, since=since, until=until, allow_trading_key=allow_trading_key,
                           allow_unknown_key=allow_unknown_key, log=log, on_page=on_page)
    for r in reports:
        status = f"FAILED: {r.error}" if r.error else "ok"
        click.echo(f"{r.account} ({r.exchange}): {plural(r.records, 'record')}, {r.inserted} new, "
                   f"{plural(r.requests, 'request')}, {plural(r.retries, 'retry')}: {status}")
    failed = [r for r in reports if r.error]
    if failed:
        streams = [f"{r.account} {i.stream}" for r in failed for i in r.incomplete]
        raise click.ClickException(f"{len(failed)} of {plural(len(reports), 'account')} did not finish; what "
                                   "was fetched is kept, and running `taxer sync` again continues from there."
                                   + (f" Incomplete: {', '.join(streams)} (see above for what to do)."
                                      if streams else ""))


@main.group()
def prices() -> None:
    """Prices for valuing events that carry no fiat value (crypto-to-crypto trades, rewards, crypto fees)."""


@prices.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=str))
@click.pass_context
def prices_import(ctx: click.Context, files: tuple[str, ...]) -> None:
    """Import your own prices from CSV FILES with columns timestamp, asset, quote, price.

    A bare date (2024-03-01) is a daily price for that UTC day; a timestamp is a price at that moment, used for
    events up to 24 hours after it. Your prices win over fetched ones. Each file is imported whole or not at all.
    """
    for path, count in api.import_prices(_engine(ctx), files):
        click.echo(f"{path}: {count} prices")


@prices.command("fetch")
@click.option("--year", required=True, metavar="YYYY", help="Tax year whose events need prices (2024, or 2024/25).")
@click.option("--exchange", metavar="ID",
              help="ccxt exchange to take candles from (public data, no key; default: `taxer config` "
                   "price_exchange, else kraken). Accounts with a price_source use theirs first.")
@click.option("--api-url", metavar="URL", help="Send that exchange's calls to another base URL (proxy, replica).")
@click.option("--country", metavar=COUNTRY_CHOICES, help="Tax rules (default: `taxer config` country, else us).")
@click.option("--currency", metavar="USD", help="Report currency to price in (default: as `taxer report`).")
@click.option("--timezone", metavar="ZONE", help="The taxpayer's time zone (default: as `taxer report`).")
@ALLOW_NONSTANDARD
@click.pass_context
def prices_fetch(ctx: click.Context, year, exchange, api_url, country, currency, timezone,
                 allow_nonstandard) -> None:
    """Fetch and cache the candle prices a tax year needs, in as few requests as the exchange allows."""
    with prices_progress() as on_progress:
        r = api.fetch_prices(_engine(ctx), year=year, exchange=exchange, api_url=api_url, country=country,
                             currency=currency, timezone=timezone, allow_nonstandard=allow_nonstandard or None,
                             on_progress=on_progress)
    click.echo(f"{r.needed} values needed, {r.candles} candles cached in {r.requests} requests")
    for symbol, count in r.unavailable.items():
        click.echo(f"  no {symbol} for {count} moments: import them with `taxer prices import`")
    if r.failed:
        lines = "; ".join(f"{source}: {message}" for source, message in sorted(r.failed.items()))
        raise click.ClickException(f"some prices could not be fetched ({lines}). What was fetched is kept; run "
                                   "the command again later, or import your own prices with `taxer prices import`. "
                                   "Reports list every value still missing as a warning.")


@prices.command("export")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=str), help="CSV file to write.")
@click.option("--quote", metavar="USD", help="Only prices in this currency.")
@click.pass_context
def prices_export(ctx: click.Context, out: str, quote: str | None) -> None:
    """Write the ledger's price cache as CSV, for the accountant."""
    click.echo(f"{api.export_prices(_ledger(ctx), out, quote=quote)} prices written to {out}")


@main.group(invoke_without_command=True)
@click.pass_context
def config(ctx: click.Context) -> None:
    """Show the workspace settings (report defaults, per-account Form 1099-DA); `set` and `unset` change them."""
    if ctx.invoked_subcommand is None:
        for key, value, source in api.settings(_ledger(ctx)):
            click.echo(f"{key:36} {value or '-':24} {'(default)' if source == 'default' else ''}".rstrip())


@config.command("set")
@click.argument("key")
@click.argument("value")
@click.pass_context
def config_set(ctx: click.Context, key: str, value: str) -> None:
    """Set KEY to VALUE: taxpayer, taxpayer_tin, preparer, country, method, timezone, currency, transfer_window
    (hours), pool, or account.NAME.form1099da (basis_reported | basis_not_reported | none).

    taxpayer names the taxpayer on the report's cover and page headers; taxpayer_tin (SSN, ITIN, EIN or the
    country's number) is printed only masked, ***-**-6789; preparer names who prepared the report."""
    stored = api.set_setting(_engine(ctx), key, value)
    click.echo(f"{key} = {mask_tin(stored) if key.strip() == 'taxpayer_tin' else stored}")


@config.command("unset")
@click.argument("key")
@click.pass_context
def config_unset(ctx: click.Context, key: str) -> None:
    """Forget KEY: taxer's default applies again."""
    api.set_setting(_engine(ctx), key, None)
    click.echo(f"{key} unset")


def _correction_options(func):
    func = click.option("--by", metavar="NAME", help="Who makes the correction (default: your OS user name).")(func)
    return click.option("--note", required=True, metavar="TEXT", help="Why: kept with the correction for the "
                                                                      "audit trail.")(func)


def _made(correction) -> None:
    records = api.correction_records(api.workspace(click.get_current_context().obj["db"]), [correction])
    on = describe_record(correction.target, records.get(correction.target))
    if correction.other is not None:
        on += " and " + describe_record(correction.other, records.get(correction.other))
    click.echo(f"correction {correction.id}: {correction.describe()} on {on} (by {correction.author})")


@main.group()
def correct() -> None:
    """Correct the ledger without editing imported data: audited, kept across re-imports and re-syncs.

    Transactions are named by the ids `taxer ledger` shows.
    """


@correct.command("relabel")
@click.argument("tx_id", type=int, metavar="ID")
@click.argument("label")
@_correction_options
@click.pass_context
def correct_relabel(ctx, tx_id, label, note, by) -> None:
    """Say what transaction ID was: transfer (to your own wallet), gift, donation, lost, spend, an income type
    (staking, reward, interest, mining, airdrop, fork, income), ignore (a duplicate), deposit or withdrawal."""
    _made(api.correct(_engine(ctx), "relabel", tx_id, value=label, note=note, by=by))


@correct.command("basis")
@click.argument("tx_id", type=int, metavar="ID")
@click.argument("cost")
@click.option("--acquired", required=True, metavar="DATE", help="When the coins were acquired (YYYY-MM-DD).")
@click.option("--currency", metavar="USD", help="Currency of COST (default: the workspace's report currency).")
@_correction_options
@click.pass_context
def correct_basis(ctx, tx_id, cost, acquired, currency, note, by) -> None:
    """Supply the cost basis and acquisition date of deposit ID (coins of unknown origin)."""
    _made(api.correct(_engine(ctx), "basis", tx_id, value=cost, acquired=acquired, currency=currency, note=note,
                      by=by))


@correct.command("value")
@click.argument("tx_id", type=int, metavar="ID")
@click.argument("amount")
@click.option("--currency", metavar="USD", help="Currency of AMOUNT (default: the workspace's report currency).")
@_correction_options
@click.pass_context
def correct_value(ctx, tx_id, amount, currency, note, by) -> None:
    """Set the fair value of transaction ID (what it was worth when it happened)."""
    _made(api.correct(_engine(ctx), "value", tx_id, value=amount, currency=currency, note=note, by=by))


@correct.command("match")
@click.argument("withdrawal", type=int)
@click.argument("deposit", type=int)
@_correction_options
@click.pass_context
def correct_match(ctx, withdrawal, deposit, note, by) -> None:
    """Pair WITHDRAWAL with DEPOSIT in another account as a transfer (not taxable; lots keep their dates)."""
    _made(api.correct(_engine(ctx), "match", withdrawal, deposit, note=note, by=by))


@correct.command("unmatch")
@click.argument("withdrawal", type=int)
@click.argument("deposit", type=int)
@_correction_options
@click.pass_context
def correct_unmatch(ctx, withdrawal, deposit, note, by) -> None:
    """Undo an automatic transfer match: neither record is paired automatically again."""
    _made(api.correct(_engine(ctx), "unmatch", withdrawal, deposit, note=note, by=by))


@correct.command("split")
@click.argument("tx_id", type=int, metavar="ID")
@click.argument("parts", nargs=-1, required=True, metavar="AMOUNT[:LABEL]...")
@_correction_options
@click.pass_context
def correct_split(ctx, tx_id, parts, note, by) -> None:
    """Split transaction ID into parts that add up to its amount, each optionally relabelled
    (e.g. `0.4:gift 0.6:transfer`); fee and fair value are shared pro rata."""
    _made(api.correct(_engine(ctx), "split", tx_id, value=" ".join(parts), note=note, by=by))


@correct.command("merge")
@click.argument("keep", type=int)
@click.argument("duplicate", type=int)
@_correction_options
@click.pass_context
def correct_merge(ctx, keep, duplicate, note, by) -> None:
    """Merge DUPLICATE (the same event from another source) into KEEP; KEEP takes what it lacks from it."""
    _made(api.correct(_engine(ctx), "merge", keep, duplicate, note=note, by=by))


@correct.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option("--by", metavar="NAME", help="Author of lines without a `by` column (default: your OS user name).")
@click.pass_context
def correct_import(ctx, file, by) -> None:
    """Record every correction of a CSV FILE (columns kind, transaction, other, value, acquired, currency, note,
    by); every line is checked first, and one bad line records nothing."""
    made = api.import_corrections(_engine(ctx), file, by=by)
    click.echo(f"{file}: {plural(len(made), 'correction')} recorded ({made[0].id}-{made[-1].id})")


@correct.command("revoke")
@click.argument("correction_id", type=int, metavar="CORRECTION")
@_correction_options
@click.pass_context
def correct_revoke(ctx, correction_id, note, by) -> None:
    """Revoke a correction: it stops applying and stays in the history."""
    c = api.revoke_correction(_engine(ctx), correction_id, note=note, by=by)
    click.echo(f"correction {c.id} revoked by {c.revoked_by}")


@main.command("corrections")
@click.option("--active", is_flag=True, help="Only corrections in force (not revoked).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.pass_context
def corrections_list(ctx, active: bool, as_json: bool) -> None:
    """List the corrections made: who, when, why, what; revoked ones stay listed."""
    engine = _ledger(ctx)
    rows = api.corrections(engine, include_revoked=not active)
    records = api.correction_records(engine, rows)
    if as_json:
        click.echo(json.dumps([correction_json(c, records) for c in rows], indent=2))
        return
    if not rows:
        click.echo("No corrections yet: see `taxer review` and `taxer correct --help`.")
    for c in rows:
        state = f"REVOKED {c.revoked_at:%Y-%m-%d} by {c.revoked_by}: {c.revoke_note}" if c.revoked_at else "active"
        on = describe_record(c.target, records.get(c.target))
        if c.other is not None:
            on += " and " + describe_record(c.other, records.get(c.other))
        click.echo(f"{c.id:>5}  {c.created_at:%Y-%m-%d %H:%M}  {c.author:12}  {c.describe()} on {on}  "
                   f"[{state}]\n       why: {c.note}")


@main.command()
@click.option("--year", metavar="YYYY", help="Only the warnings of this tax year's report (default: every year).")
@click.option("--code", metavar="CODE", help="Only warnings of this kind (missing_value, unknown_origin, "
                                             "unmatched_withdrawal, oversold, correction_not_applied, ...).")
@click.option("--account", metavar="NAME", help="Only warnings of this account.")
@click.option("--asset", metavar="SYM", help="Only warnings about this asset.")
@click.option("--each", is_flag=True, help="List every warning with its own commands, not grouped.")
@click.pass_context
def review(ctx: click.Context, year: str | None, code: str | None, account: str | None, asset: str | None,
           each: bool) -> None:
    """List open warnings, each with the command that would resolve it and what it would change.

    Warnings of one kind and asset are grouped, with the commands that resolve the whole group.
    """
    result = api.review(_ledger(ctx), year=year, code=code, account=account, asset=asset)
    click.echo(render_review(result, each=each))


@main.group()
def db() -> None:
    """Ledger database maintenance."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Migrate the ledger to the current schema (taxer also does this whenever it opens the ledger)."""
    changed, revision = api.upgrade_database(ctx.obj["db"])
    click.echo(f"ledger schema {'upgraded to' if changed else 'already at'} revision {revision}")


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=str),
              help="Folder for the demo's workspace and reports (default: a new temporary folder).")
def demo(out: str | None) -> None:
    """Run the whole job on the bundled sample data in a throw-away workspace."""
    from taxer.demo import run_demo

    run_demo(out, echo=click.echo)


@account.command("check")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per account.")
@click.pass_context
def account_check(ctx: click.Context, names, as_json: bool) -> None:
    """Ask each exchange what its account's key may do and how it is protected, without reading history.

    Exit 1 when `taxer sync` would refuse a key (or could not check it).
    """
    healths = api.check_accounts(_engine(ctx), names)
    if as_json:
        click.echo(json.dumps([h.as_json() for h in healths], indent=2))
    else:
        if not healths:
            click.echo("No exchange accounts: add one with `taxer account add NAME --exchange ID`.")
        for h in healths:
            click.echo(h.summary())
            for line in (h.advice if not h.error else ()):
                click.echo(f"  - {line}")
            if h.decision is not None and not h.decision.use:
                click.echo(f"  taxer sync refuses this key: {h.decision.refusal}")
    if any(h.refused for h in healths):
        ctx.exit(1)


@account.command("remove")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Really remove it (without --yes: only say what would be removed).")
@click.pass_context
def account_remove(ctx: click.Context, name: str, yes: bool) -> None:
    """Remove account NAME: its transactions, raw records, cursors, corrections naming it and keyring entry."""
    found, keyring_fields = api.remove_account(_engine(ctx), name, yes=yes)
    what = (f"{plural(found.transactions, 'transaction')}, {plural(found.raw_records, 'raw record')}, "
            f"{plural(found.cursors, 'sync cursor')}, {plural(found.corrections, 'correction')}, "
            f"{plural(found.import_runs, 'import run')}")
    if not yes:
        click.echo(f"would remove account {name!r}: {what}, and its keyring entry. Run again with --yes to remove "
                   "it.")
        return
    click.echo(f"removed account {name!r}: {what}" + (", its keyring entry" if keyring_fields else ""))


@account.command("rename")
@click.argument("old")
@click.argument("new")
@click.pass_context
def account_rename(ctx: click.Context, old: str, new: str) -> None:
    """Rename account OLD to NEW: history, cursors, settings, corrections and the keyring entry follow."""
    env_prefix = api.key_variables
    moved = api.rename_account(_engine(ctx), old, new)
    follow = "follows" if moved == 1 else "follow"
    click.echo(f"renamed account {old!r} to {new!r} ({plural(moved, 'correction')} {follow}). A key kept in "
               f"environment variables must move from {env_prefix(old)}* to {env_prefix(new)}*.")
@main.command()
@click.option("--at", "at_text", metavar="DATE",
              help="The moment: YYYY-MM-DD (the end of that day in the taxpayer's zone) or an ISO 8601 timestamp "
                   "with a zone. Default: now.")
@click.option("--currency", metavar="USD", help="Value in this currency (default: as `taxer report`).")
@click.option("--country", metavar=COUNTRY_CHOICES, help="Tax rules for the holding period and the sell-now "
                                                          "figures (default: `taxer config` country, else us).")
@click.option("--method", metavar=METHOD_CHOICES, help="Cost-basis method for the lots and the sell-now figures "
                                                       "(default: as `taxer report`).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (money as decimal strings, share 0 to 1).")
@click.option("--html", "html", type=click.Path(dir_okay=False, path_type=str),
              help="Also write a self-contained page with charts to this file.")
@click.pass_context
def portfolio(ctx: click.Context, at_text, currency, country, method, as_json: bool, html) -> None:
    """Holdings at a moment per asset and account: quantity, cost basis, market value from the price cache,
    unrealized gain, share; what selling everything would realize, computed by the engine."""
    from taxer.portfolio.show import parse_moment, portfolio_json, render

    found, history = api.portfolio(_engine(ctx), at=parse_moment(at_text), currency=currency, country=country,
                                   method=method, history=html is not None)
    if html:
        click.echo(f"portfolio page written to {api.write_portfolio_page(html, found, history)}", err=as_json)
    if as_json:
        click.echo(json.dumps(portfolio_json(found), indent=2))
        return
    from rich.console import Console

    console = Console(highlight=False)
    render(found, console if console.is_terminal else Console(highlight=False, width=160))


if __name__ == "__main__":  # pragma: no cover
    main()
