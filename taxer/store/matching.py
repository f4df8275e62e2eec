"""One record arriving by two paths without a shared id: an exchange's export file that carries no ids (Binance's
trade history) and the exchange's API. Such records are recognized by what makes them themselves.

The rule: same account and ledger source, same kind, same second, same sent/received/fee legs. Occurrences are
counted, so two identical fills in one second stay two. Only the records' time range is read, through the
(account_id, timestamp) index.

- File after API (`drop_held`): a file row is skipped when the ledger already holds as many records of its content
  as the file has up to and including this row.
- API after file (`adopt_file_rows`): a record fetched by a sync that a file row without ids already holds is not
  inserted again; instead that file row takes the record's exchange id, so each file row stands for at most one
  API record and later syncs and re-imports match it by id.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, exists, select, update

from taxer.model import Kind, Leg, Transaction
from taxer.model.identity import CONTENT_PREFIX, content_key
from taxer.store.ledger import CHUNK, RAW, TX

# Exports matched by content give whole seconds (Binance's do); the API's milliseconds are cut to match.
PRECISION = timedelta(seconds=1)

Record = tuple[Transaction, str, str]   # (transaction, origin, raw payload), as ledger.insert_records takes them


def _second(when: datetime) -> datetime:
    return when.replace(microsecond=0)


def _rows_in_range(conn: Connection, account_id: int, source: str, txs: Sequence[Transaction], *,
                   content_only: bool) -> list[tuple[int, str, tuple]]:
    """(id, external_id, content key) of the ledger rows in the seconds `txs` span, oldest id first."""
    lo = _second(min(tx.timestamp for tx in txs))
    hi = _second(max(tx.timestamp for tx in txs)) + PRECISION
    query = (select(TX.c.id, TX.c.external_id, TX.c.kind, TX.c.timestamp, TX.c.sent_asset, TX.c.sent_amount,
                    TX.c.received_asset, TX.c.received_amount, TX.c.fee_asset, TX.c.fee_amount)
             .where((TX.c.account_id == account_id) & (TX.c.timestamp >= lo) & (TX.c.timestamp < hi)
                    & (TX.c.source == source))
             .order_by(TX.c.id))
    if content_only:
        query = query.where(TX.c.external_id.startswith(CONTENT_PREFIX, autoescape=True))
    out = []
    for r in conn.execute(query):
        tx = Transaction(account="", timestamp=r.timestamp, kind=Kind(r.kind),
                         sent=Leg(r.sent_asset, r.sent_amount) if r.sent_amount is not None else None,
                         received=Leg(r.received_asset, r.received_amount) if r.received_amount is not None else None,
                         fee=Leg(r.fee_asset, r.fee_amount) if r.fee_amount is not None else None)
        out.append((r.id, r.external_id, content_key(tx)))
    return out


def drop_held(conn: Connection, account_id: int, source: str, records: Iterable[Record]) -> list[Record]:
    """The file's records the ledger does not hold yet, by content and occurrence (file after API or file again)."""
    records = list(records)
    if not records:
        return records
    held = Counter(key for _id, _ext, key in _rows_in_range(conn, account_id, source, [r[0] for r in records],
                                                            content_only=False))
    seen: Counter = Counter()
    kept = []
    for record in records:
        key = content_key(record[0])
        seen[key] += 1
        if seen[key] > held[key]:
            kept.append(record)
    return kept


def has_file_rows(conn: Connection, account_id: int, source: str) -> bool:
    """Whether the account holds rows of `source` imported from a file without ids (else syncs skip matching)."""
    query = select(exists().where((TX.c.account_id == account_id) & (TX.c.source == source)
                                  & TX.c.external_id.startswith(CONTENT_PREFIX, autoescape=True)))
    return bool(conn.execute(query).scalar())


def adopt_file_rows(conn: Connection, account_id: int, source: str, records: Sequence[Record]) -> list[Record]:
    """The fetched records still to insert; a record a file row without ids holds gives that row its id instead."""
    if not records:
        return list(records)
    ids = [r[0].external_id for r in records]
    present: set[str] = set()
    for i in range(0, len(ids), CHUNK):
        query = select(TX.c.external_id).where((TX.c.account_id == account_id) & (TX.c.source == source)
                                               & TX.c.external_id.in_(ids[i:i + CHUNK]))
        present.update(conn.scalars(query))
    fresh = [r for r in records if r[0].external_id not in present]
    if not fresh:
        return list(records)  # all known by id: the insert skips them
    pool: defaultdict[tuple, deque] = defaultdict(deque)
    for row_id, external_id, key in _rows_in_range(conn, account_id, source, [r[0] for r in fresh],
                                                   content_only=True):
        pool[key].append((row_id, external_id))
    kept, adopted = [], []
    for record in records:
        tx = record[0]
        candidates = pool.get(content_key(tx)) if tx.external_id not in present else None
        if not candidates:
            kept.append(record)
            continue
        row_id, old_id = candidates.popleft()
        adopted.append({"row_id": row_id, "old_id": old_id, "new_id": tx.external_id})
    if adopted:  # one executemany per table: single-row updates were most of a sync's time after a big file
        conn.execute(update(TX).where(TX.c.id == bindparam("row_id")).values(external_id=bindparam("new_id")),
                     adopted)
        conn.execute(update(RAW).where((RAW.c.account_id == account_id) & (RAW.c.source == source)
                                       & (RAW.c.external_id == bindparam("old_id")))
                     .values(external_id=bindparam("new_id")), adopted)
    return kept
