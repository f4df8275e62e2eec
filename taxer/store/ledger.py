"""Reading and writing the ledger: accounts, idempotent bulk inserts, import runs, and transaction queries."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, func, insert, literal, select, type_coerce, update
from sqlalchemy.types import NullType

from taxer.errors import ConfigError, InputError, TaxerError
from taxer.model import UTC, Kind, Leg, Transaction
from taxer.model.names import NameProblem, check_account, check_asset
from taxer.model.stored import stored_row, stored_values  # noqa: F401  (the bulk path's row shape)
from taxer.store.db import dialect_insert
from taxer.store.tables import ACCOUNTS, IMPORT_RUNS, RAW_RECORDS, SYNC_CURSORS, TRANSACTIONS

TX = TRANSACTIONS
RAW = RAW_RECORDS
RUNS = IMPORT_RUNS
CHUNK = 5000


@dataclass(frozen=True)
class AccountInfo:
    """An account as commands show it (never credentials)."""

    id: int
    name: str
    kind: str
    exchange_id: str | None
    api_url: str | None
    settings: dict
    created_at: datetime
    transactions: int = 0


def now() -> datetime:
    return datetime.now(UTC)


def _account_info(row, count: int = 0) -> AccountInfo:
    return AccountInfo(row.id, row.name, row.kind, row.exchange_id, row.api_url, json.loads(row.settings or "{}"),
                       row.created_at, count)


def find_account(conn: Connection, name: str) -> AccountInfo | None:
    row = conn.execute(select(ACCOUNTS).where(ACCOUNTS.c.name == name)).first()
    return _account_info(row) if row else None


def ensure_account(conn: Connection, name: str, *, kind: str = "file", exchange_id: str | None = None,
                   api_url: str | None = None) -> AccountInfo:
    """The account called `name`, created if new."""
    name = name.strip()
    if not name:
        raise TaxerError("an account name cannot be empty; pass --account NAME (for example --account coinbase)")
    found = find_account(conn, name)
    if found:
        return found
    check_new_name(name)
    # Two first imports at once may both find no account: the second one's insert does nothing (on PostgreSQL it
    # waits for the first to commit) and it finds the first one's account.
    values = {"name": name, "kind": kind, "exchange_id": exchange_id, "api_url": api_url, "settings": "{}",
              "created_at": now()}
    conn.execute(_insert_new(conn, ACCOUNTS, ("name",)).values(**values))
    return find_account(conn, name)


def _insert_new(conn: Connection, table, keys: tuple[str, ...]):
    """INSERT ... ON CONFLICT (keys) DO NOTHING in the connection's dialect."""
    return dialect_insert(conn, table).on_conflict_do_nothing(index_elements=list(keys))


def check_new_name(name: str) -> None:
    """ConfigError unless `name` may name a new account (taxer.model.names)."""
    try:
        check_account(name)
    except NameProblem as exc:
        raise ConfigError(f"{exc}. Pick another name for the account; nothing was changed.") from None


def list_accounts(conn: Connection) -> list[AccountInfo]:
    counts = dict(conn.execute(select(TX.c.account_id, func.count()).group_by(TX.c.account_id)).all())
    rows = conn.execute(select(ACCOUNTS).order_by(ACCOUNTS.c.name)).all()
    return [_account_info(r, counts.get(r.id, 0)) for r in rows]


def start_run(conn: Connection, *, kind: str, target: str, account_id: int | None) -> int:
    result = conn.execute(insert(RUNS).values(kind=kind, target=target, account_id=account_id, started_at=now(),
                                              rows_read=0, inserted=0, duplicates=0, outcome="running"))
    return result.inserted_primary_key[0]


def finish_run(conn: Connection, run_id: int, *, outcome: str, rows_read: int = 0, inserted: int = 0,
               message: str | None = None) -> None:
    conn.execute(update(RUNS).where(RUNS.c.id == run_id).values(
        outcome=outcome, rows_read=rows_read, inserted=inserted, duplicates=max(rows_read - inserted, 0),
        finished_at=now(), message=message))


TX_COLUMNS = ("account_id", "timestamp", "kind", "sent_asset", "sent_amount", "received_asset", "received_amount",
              "fee_asset", "fee_amount", "fair_value", "fair_value_currency", "label", "description", "tx_hash",
              "source", "external_id", "import_run_id")
RAW_COLUMNS = ("account_id", "source", "external_id", "origin", "payload", "import_run_id")


def _bulk_insert_sql(conn: Connection, table: str, columns: tuple[str, ...]) -> str:
    """INSERT that skips rows whose unique key is already there, in the driver's own parameter style."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))}) "
            "ON CONFLICT DO NOTHING")


def count_transactions(conn: Connection, account_id: int | None = None) -> int:
    query = select(func.count()).select_from(TX)
    if account_id is not None:
        query = query.where(TX.c.account_id == account_id)
    return conn.execute(query).scalar_one()


def insert_records(conn: Connection, account_id: int, run_id: int | None,
                   records: Iterable[tuple[Transaction, str, str]]) -> tuple[int, int]:
    """Insert (transaction, origin, raw JSON) records in chunks, skipping ones already in the ledger.

    Returns (records read, transactions inserted). Runs inside the caller's database transaction, so a failure
    anywhere in `records` leaves nothing behind when the caller rolls back.
    """
    return insert_rows(conn, account_id, run_id, ((stored_row(tx), origin, payload) for tx, origin, payload in records))


def insert_rows(conn: Connection, account_id: int, run_id: int | None, rows: Iterable[tuple[tuple, str, str]],
                *, after_chunk: Callable[[list[tuple[tuple, str]], int], None] | None = None) -> tuple[int, int]:
    """`insert_records` for transactions already in `stored_row` form (the CSV import's parallel path).

    `after_chunk(chunk, inserted)` sees each chunk's (stored row, origin) and how many of them were new, after its
    transactions are written and before its raw records are; what it raises stops the insert (the caller's
    rollback undoes it)."""
    tx_sql = _bulk_insert_sql(conn, "transactions", TX_COLUMNS)
    raw_sql = _bulk_insert_sql(conn, "raw_records", RAW_COLUMNS)
    # PostgreSQL reads a timestamp without offset in the session's time zone: say it is UTC.
    zone = "" if conn.dialect.name == "sqlite" else "+00:00"

    def write(chunk: list[tuple[tuple, str, str]]) -> int:
        stored = _checked_chunk(chunk)
        new = conn.exec_driver_sql(tx_sql, [(account_id, row[0] + zone, *row[1:], run_id) for row in stored]
                                   ).rowcount  # sqlite3 and psycopg sum executemany
        if after_chunk is not None:
            after_chunk(list(zip(stored, [origin for _row, origin, _payload in chunk])), new)
        conn.exec_driver_sql(raw_sql, [(account_id, row[13], row[14], origin, payload, run_id)
                                       for row, (_row, origin, payload) in zip(stored, chunk)])
        return new

    read = inserted = 0
    chunk: list[tuple[tuple, str, str]] = []
    for item in rows:
        chunk.append(item)
        if len(chunk) >= CHUNK:
            read += len(chunk)
            inserted += write(chunk)
            chunk = []
    if chunk:
        read += len(chunk)
        inserted += write(chunk)
    return read, inserted


# Positions in a `stored_row`: the asset codes, and the texts that identify a record (no NUL byte may be in them).
_ASSETS = (2, 4, 6, 9)
_IDENTIFYING = (10, 12, 13, 14)
_DESCRIPTION = 11
FIRST_TIME, LAST_TIME = "0001-01-02", "9999-12-30"  # as taxer.year's placeable range, in stored_row's text form


def _where(origin: str) -> dict:
    """InputError's place from a record's origin: 'file.csv:12' -> file and line; an API record as it is."""
    name, _, lines = origin.rpartition(":")
    if name and lines and all(part.isdigit() for part in lines.split(",")):
        return {"file": name, "line": int(lines) if lines.isdigit() else lines}  # "2,3": a record of two rows
    return {"file": origin}


def _checked_chunk(chunk: Sequence[tuple[tuple, str, str]]) -> list[tuple]:
    """The rows of (stored row, origin, payload) `chunk` as `_checked` leaves them, checked column by column over
    the whole chunk (each distinct asset code once); a chunk with a problem is checked row by row, so the error
    names the first bad record as before."""
    rows = [row for row, _origin, _payload in chunk]
    columns = list(zip(*rows))
    codes = set().union(*(columns[i] for i in _ASSETS))
    codes.discard(None)
    fine = FIRST_TIME <= min(columns[0]) and max(columns[0]) < LAST_TIME \
        and not any("\0" in "".join(filter(None, columns[i])) for i in _IDENTIFYING)
    try:
        for code in codes:
            check_asset(code)
    except NameProblem:
        fine = False
    if fine and "\0" not in "".join(filter(None, columns[_DESCRIPTION])):
        return rows
    return [_checked(row, origin) for row, origin, _payload in chunk]


def _checked(row: tuple, origin: str) -> tuple:
    """`row` if its asset codes are valid and its texts storable on every backend, with any NUL byte of the
    description shown as U+FFFD (PostgreSQL text cannot hold NUL; the raw record keeps the original); else
    InputError naming the record's origin (file:line or API record)."""
    if not FIRST_TIME <= row[0] < LAST_TIME:
        raise InputError(f"the date {row[0]} UTC has no local date in every time zone, so no tax year can hold "
                         "it; dates must fall between 0001-01-02 and 9999-12-29.", **_where(origin),
                         hint="Fix the record; nothing of this import was written.")
    for i in _ASSETS:
        if row[i] is not None:
            try:
                check_asset(row[i])
            except NameProblem as exc:
                raise InputError(f"{exc}.", **_where(origin), hint="Fix the record; nothing of this import was "
                                 "written.") from None
    for i in _IDENTIFYING:
        if row[i] is not None and "\0" in row[i]:
            raise InputError(f"a NUL byte in {TX_COLUMNS[i + 1]!r} ({row[i]!r}); a ledger cannot store it.",
                             **_where(origin), hint="Fix the record; nothing of this import was written.")
    if row[_DESCRIPTION] is not None and "\0" in row[_DESCRIPTION]:
        row = (*row[:_DESCRIPTION], row[_DESCRIPTION].replace("\0", "\ufffd"), *row[_DESCRIPTION + 1:])
    return row


def last_transaction_time(conn: Connection) -> datetime | None:
    """The newest transaction's time, or None for an empty ledger."""
    found = conn.execute(select(func.max(TX.c.timestamp))).scalar_one_or_none()
    if found is None:
        return None
    if isinstance(found, str):  # SQLite's max() returns the stored text, not the column type
        found = datetime.fromisoformat(found).replace(tzinfo=UTC)
    return found.astimezone(UTC)


def insert_raw(conn: Connection, account_id: int, run_id: int | None,
               raws: Sequence[tuple[str, str, str, str]]) -> None:
    """Keep (source, external id, origin, payload) raw records without a transaction: rows an import skipped."""
    sql = _bulk_insert_sql(conn, "raw_records", RAW_COLUMNS)
    for i in range(0, len(raws), CHUNK):
        conn.exec_driver_sql(sql, [(account_id, src, ext, origin, payload, run_id)
                                   for src, ext, origin, payload in raws[i:i + CHUNK]])


def conflicting_row(conn: Connection, account_id: int, source: str, rows: Sequence[tuple]
                    ) -> tuple[int, str] | None:
    """The first of `rows` (stored_row form) whose external id the ledger holds with another time, kind or legs:
    (its index, where the held one came from); None when every held id holds the same transaction."""
    index: dict[str, int] = {}
    for i, row in enumerate(rows):
        index.setdefault(row[14], i)
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    ids = list(index)
    first = None
    for start in range(0, len(ids), CHUNK):
        part = ids[start:start + CHUNK]
        # The driver's own SQL: SQLAlchemy's compiler spent more time on the IN list than SQLite on the lookups.
        sql = ("SELECT external_id, timestamp, kind, sent_asset, sent_amount, received_asset, received_amount "
               f"FROM transactions WHERE account_id = {mark} AND source = {mark} "
               f"AND external_id IN ({', '.join([mark] * len(part))})")
        for held in conn.exec_driver_sql(sql, (account_id, source, *part)):
            i = index[held[0]]
            # Two paths may state one record's fee differently (kraken's trades.csv in the quote, its ledgers.csv
            # and API in the coin charged or in KFEE credits; Coinbase's file leaves a send's network fee out):
            # time, kind and the sent and received legs must agree. The same text (SQLite) is the same content.
            if (first is None or i < first) and rows[i][:6] != tuple(held[1:7]) \
                    and _content(rows[i][:6]) != _content(held[1:7]):
                first = i
    if first is None:
        return None
    origin = conn.execute(select(RAW.c.origin).where((RAW.c.account_id == account_id) & (RAW.c.source == source)
                                                     & (RAW.c.external_id == rows[first][14]))).scalar()
    return first, origin or "an earlier import"


def _content(values) -> tuple:
    when, kind, *legs = values
    if isinstance(when, str):
        when = datetime.fromisoformat(when).replace(tzinfo=UTC)
    else:
        when = when.astimezone(UTC)
    # files give whole seconds where the API gives milliseconds (taxer.store.matching.PRECISION)
    legs = [Decimal(v).normalize() if i % 2 and v is not None else v for i, v in enumerate(legs)]
    return (when.replace(microsecond=0), kind, *legs)


def last_import_time(conn: Connection) -> datetime | None:
    """When the last successful import or sync finished: the ledger's "as of" time."""
    return conn.execute(select(func.max(RUNS.c.finished_at)).where(RUNS.c.outcome == "ok")).scalar_one()


_KINDS = {k.value: k for k in Kind}
fromisoformat = datetime.fromisoformat


def query_transactions(conn: Connection, *, account: str | None = None, asset: str | None = None,
                       since: datetime | None = None, until: datetime | None = None,
                       tx_id: int | None = None, external_ids: Sequence[str] | None = None
                       ) -> Iterator[Transaction]:
    """Ledger transactions in time order, filtered by account name, asset (any leg), [since, until), row id or
    external ids."""
    raw = [type_coerce(TX.c[name], NullType()) for name in (
        "timestamp", "sent_amount", "received_amount", "fee_amount", "fair_value")]
    query = (select(TX.c.id, ACCOUNTS.c.name, TX.c.kind, *raw, TX.c.sent_asset, TX.c.received_asset, TX.c.fee_asset,
                    TX.c.fair_value_currency, TX.c.label, TX.c.description, TX.c.tx_hash, TX.c.source,
                    TX.c.external_id)
             .join(ACCOUNTS, ACCOUNTS.c.id == TX.c.account_id)
             .order_by(TX.c.timestamp, TX.c.id))
    if account is not None:
        query = query.where(ACCOUNTS.c.name == account)
    if asset is not None:
        asset = asset.upper()
        query = query.where((TX.c.sent_asset == asset) | (TX.c.received_asset == asset) | (TX.c.fee_asset == asset))
    if tx_id is not None:
        query = query.where(TX.c.id == tx_id)
    if external_ids is not None:
        query = query.where(TX.c.external_id.in_(sorted(set(external_ids))))
    if since is not None:
        query = query.where(TX.c.timestamp >= since)
    if until is not None:
        query = query.where(TX.c.timestamp < until)
    sqlite = conn.dialect.name == "sqlite"
    # The driver makes a new string per row and column: keep one copy of the repeated ones (accounts, assets,
    # sources, labels), a few hundred MB at a million transactions.
    one = {}.setdefault
    # Rows in batches (one fetch per row was a tenth of a big report), converted inline: this is the hot loop
    # of every report, and SQLite gives text for amounts and times where PostgreSQL gives Decimal and datetime.
    for batch in conn.execute(query).partitions(CHUNK):
        for (id_, name, kind, when, sent, received, fee, value, sent_asset, received_asset, fee_asset,
             value_currency, label, description, tx_hash, source, external_id) in batch:
            if sqlite:
                when = fromisoformat(when + "+00:00")
                sent = None if sent is None else Decimal(sent)
                received = None if received is None else Decimal(received)
                fee = None if fee is None else Decimal(fee)
                value = None if value is None else Decimal(value)
            else:
                when = when.astimezone(UTC)
            yield Transaction(
                account=one(name, name), timestamp=when, kind=_KINDS[kind],
                sent=Leg(one(sent_asset, sent_asset), sent) if sent is not None else None,
                received=Leg(one(received_asset, received_asset), received) if received is not None else None,
                fee=Leg(one(fee_asset, fee_asset), fee) if fee is not None else None, fair_value=value,
                fair_value_currency=value_currency and one(value_currency, value_currency),
                label=label and one(label, label), description=description, tx_hash=tx_hash,
                source=one(source, source), external_id=external_id, id=id_,
            )


def raw_records(conn: Connection, transaction_ids: Sequence[int], *, payload: bool = True
                ) -> dict[int, tuple[str, str | None]]:
    """{transaction id: (origin, payload JSON or None)} for the audit trail, looked up in chunks of ids.

    One query with a huge IN list makes SQLite abandon the index (minutes at a million rows); chunks stay lookups.
    """
    out: dict[int, tuple[str, str]] = {}
    ids = list(transaction_ids)
    for i in range(0, len(ids), CHUNK):
        query = (select(TX.c.id, RAW.c.origin, RAW.c.payload if payload else literal(None).label("payload"))
                 .join(RAW, (RAW.c.account_id == TX.c.account_id) & (RAW.c.source == TX.c.source)
                       & (RAW.c.external_id == TX.c.external_id))
                 .where(TX.c.id.in_(ids[i:i + CHUNK])))
        out.update((row.id, (row.origin, row.payload)) for row in conn.execute(query))
    return out


CURSORS = SYNC_CURSORS


def get_cursor(conn: Connection, account_id: int, stream: str) -> dict | None:
    """The saved position of one account's stream (JSON object), or None before its first sync."""
    value = conn.execute(select(CURSORS.c.cursor).where((CURSORS.c.account_id == account_id)
                                                        & (CURSORS.c.stream == stream))).scalar_one_or_none()
    return json.loads(value) if value is not None else None


def cursor_streams(conn: Connection, account_id: int, prefix: str = "") -> list[str]:
    """Names of an account's saved streams starting with `prefix` (e.g. "trades:")."""
    query = select(CURSORS.c.stream).where((CURSORS.c.account_id == account_id)
                                           & CURSORS.c.stream.startswith(prefix, autoescape=True))
    return [row.stream for row in conn.execute(query)]


def set_cursor(conn: Connection, account_id: int, stream: str, cursor: dict) -> None:
    """Save a stream's position; call it in the same database transaction as the data it covers."""
    text = json.dumps(cursor, sort_keys=True)
    updated = conn.execute(update(CURSORS).where((CURSORS.c.account_id == account_id) & (CURSORS.c.stream == stream))
                           .values(cursor=text, updated_at=now()))
    if updated.rowcount == 0:
        conn.execute(insert(CURSORS).values(account_id=account_id, stream=stream, cursor=text, updated_at=now()))


def update_account(conn: Connection, name: str, **values) -> None:
    conn.execute(update(ACCOUNTS).where(ACCOUNTS.c.name == name).values(**values))


def transactions_by_key(conn: Connection, keys: Iterable[tuple[str, str, str]]
                        ) -> dict[tuple[str, str, str], Transaction]:
    """The ledger transactions named by (account, source, external id), those of `keys` that exist."""
    wanted = set(keys)
    found: dict[tuple[str, str, str], Transaction] = {}
    ids = sorted({k[2] for k in wanted})
    for start in range(0, len(ids), 500):
        for tx in query_transactions(conn, external_ids=ids[start:start + 500]):
            key = (tx.account, tx.source, tx.external_id)
            if key in wanted:
                found[key] = tx
    return found


def transaction_by_id(conn: Connection, tx_id: int) -> Transaction | None:
    """The ledger transaction with row id `tx_id` (as `taxer ledger` shows it), or None."""
    for tx in query_transactions(conn, tx_id=tx_id):
        return tx
    return None
