"""Syncing one replica account through the real ccxt client over HTTP, for the file-vs-API overlap tests."""

from __future__ import annotations

import csv
import functools
from datetime import UTC, datetime
from pathlib import Path

from taxer import api
from taxer.exchanges.gateway import Gateway, RetryPolicy
from taxer.sync import AccountSync
from taxer_replica import Permissions, Replica, generate_history

KEY, SECRET, PASSPHRASE = "ak-77c1", "s3cr3t-csv-exports-42", "pass-phrase-csv"
FAST = functools.partial(Gateway, retry=RetryPolicy(attempts=8, base_delay=0.001, max_delay=0.01))


def small_history():
    """A year of a small account: enough records for several pages and every record kind."""
    return generate_history(seed=11, trades=160, start="2024-01-01", end="2024-12-31")


def set_credentials(monkeypatch, name: str = "main") -> None:
    monkeypatch.setenv(f"TAXER_{name.upper()}_API_KEY", KEY)
    monkeypatch.setenv(f"TAXER_{name.upper()}_SECRET", SECRET)
    monkeypatch.setenv(f"TAXER_{name.upper()}_PASSWORD", PASSPHRASE)


def replica(exchange: str, history) -> Replica:
    return Replica(exchange, history, api_key=KEY, secret=SECRET, passphrase=PASSPHRASE,
                   permissions=Permissions.READ_ONLY)


def sync(engine, rep, name: str = "main"):
    """Make `name` the replica's exchange account and sync it; the report must have no error."""
    api.add_account(engine, name, exchange=rep.exchange, api_url=rep.url)  # turns a file account into this one
    (acct,) = [a for a in api.accounts(engine) if a.name == name]
    report = AccountSync(engine, acct, gateway_factory=FAST, since=datetime(2024, 1, 1, tzinfo=UTC)).run()
    assert report.error is None, report.error
    return report


def second(ms: int) -> datetime:
    """The whole second an exchange's export shows for a time in ms."""
    return datetime.fromtimestamp(ms // 1000, UTC)


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path
