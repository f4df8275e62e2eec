"""`taxer demo`: the whole job on the bundled sample data, in a throw-away workspace."""

from __future__ import annotations

import os
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from taxer import api
from taxer.errors import TaxerError
from taxer.model import UTC, is_fiat
from taxer.money import exact_text
from taxer.resources import sample_data_dir
from taxer.views import render_summary
from taxer.words import plural

# The sample's files and the ledger account each belongs to.
SAMPLE_ACCOUNTS = {"coinbase.csv": "coinbase", "ledger_wallet.csv": "ledger"}


def run_demo(out: str | None, echo: Callable[[str], None] = print) -> Path:
    """Import and sync the sample into a new workspace under `out` (or a temp folder), report every year.

    Returns the reports folder.
    """
    folder = Path(out) if out else Path(tempfile.mkdtemp(prefix="taxer-demo-"))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TaxerError(f"cannot create the demo folder {folder}: {exc.strerror}. Pass --out with a writable "
                         "folder.") from None
    db_path = folder / "taxer.db"
    if db_path.exists():
        db_path.unlink()  # a demo always starts from an empty ledger
    engine = api.workspace(str(db_path))
    samples = sample_data_dir()
    echo(f"taxer demo: workspace {folder}")
    for filename, account in SAMPLE_ACCOUNTS.items():
        result = api.import_csv_file(engine, samples / filename, account)
        echo(f"  imported {filename} into account {account!r}: {plural(result.rows, 'row')} ({result.format})")
    _sync_replica(engine, echo)
    years = _print_summary(engine, echo)
    reports = folder / "reports"
    for year in years:
        package = api.report(engine, year=year, out=reports / str(year))
        s = package.summary
        echo(f"  report {year}: {plural(s['disposals'], 'disposal')}, total gain {s['total_gain']} {s['currency']}, "
             f"income {s['income']} {s['currency']}, {plural(s['warnings'], 'warning')}")
    echo("")
    echo(render_summary(package.summary))
    echo(f"Ledger: {db_path}")
    echo(f"Open warnings, each with the command that resolves it: taxer --db {db_path} review")
    echo(f"Reports: {reports}")
    return reports


def _sync_replica(engine, echo) -> None:
    """Sync a bitget account from the in-project exchange replica: the real ccxt client over HTTP, end to end."""
    from taxer_replica import Permissions, Replica, generate_history

    history = generate_history(seed=3, trades=120, start="2023-01-01", end="2025-06-30", assets=("BTC",),
                               quote="USD", deposits=2, withdrawals=1, rewards=0)
    # A throw-away read-only key that only the replica knows, given to this process alone.
    key = {"TAXER_BITGET_API_KEY": "demo-key", "TAXER_BITGET_SECRET": "demo-secret",
           "TAXER_BITGET_PASSWORD": "demo-passphrase"}
    saved = {k: os.environ.get(k) for k in key}
    os.environ.update(key)
    try:
        with Replica("bitget", history, api_key=key["TAXER_BITGET_API_KEY"], secret=key["TAXER_BITGET_SECRET"],
                     passphrase=key["TAXER_BITGET_PASSWORD"], permissions=Permissions.READ_ONLY) as replica:
            url = replica.url
            api.add_account(engine, "bitget", exchange="bitget", api_url=url)
            (report,) = api.sync(engine, ["bitget"], since=datetime(2023, 1, 1, tzinfo=UTC))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    if report.error:
        raise TaxerError(f"the demo's sync from the exchange replica failed: {report.error}")
    echo(f"  synced account 'bitget' from the bitget replica at {url} through ccxt: {report.records} "
         f"records in {report.requests} requests (read-only key checked)")


def _print_summary(engine, echo) -> list[int]:
    kinds: Counter[str] = Counter()
    balances: dict[str, Decimal] = defaultdict(Decimal)
    years: Counter[int] = Counter()
    for tx in api.transactions(engine):
        kinds[tx.kind.value] += 1
        years[tx.timestamp.year] += 1
        for leg, sign in ((tx.received, 1), (tx.sent, -1), (tx.fee, -1)):
            if leg and not is_fiat(leg.asset):
                balances[leg.asset] += sign * leg.amount
    echo("Ledger summary")
    for acct in api.accounts(engine):
        echo(f"  account {acct.name:10} {plural(acct.transactions, 'transaction'):>16}")
    echo("  by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    echo("  by year: " + ", ".join(f"{y} {n}" for y, n in sorted(years.items())))
    echo("  held now (all accounts): " + ", ".join(f"{exact_text(b)} {a}" for a, b in sorted(balances.items()) if b))
    return sorted(years)
