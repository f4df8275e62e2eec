"""taxer's library API: what the CLI calls, and what scripts and tests can call directly."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterator, Sequence

from sqlalchemy import Engine

from taxer.errors import InputError, TaxerError
from taxer.importers.csvfile import read_records
from taxer.model import Transaction
from taxer.store import ledger
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
