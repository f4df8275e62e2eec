"""Accounts as a whole: removing one with everything that is its own, renaming one, and the keys taxer has seen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, or_, select, update

from taxer.store.tables import (
    ACCOUNTS,
    API_KEYS_SEEN,
    CORRECTIONS,
    IMPORT_RUNS,
    RAW_RECORDS,
    SYNC_CURSORS,
    TRANSACTIONS,
)

TX, RAW, CURSORS, RUNS, KEYS = TRANSACTIONS, RAW_RECORDS, SYNC_CURSORS, IMPORT_RUNS, API_KEYS_SEEN


@dataclass(frozen=True)
class Contents:
    """What belongs to an account: what `account remove` removes."""

    transactions: int
    raw_records: int
    cursors: int
    corrections: int
    import_runs: int
    keys_seen: int


def _corrections_of(name: str):
    return or_(CORRECTIONS.c.account == name, CORRECTIONS.c.other_account == name)


def contents(conn: Connection, account_id: int, name: str) -> Contents:
    def count(table, condition) -> int:
        return int(conn.execute(select(func.count()).select_from(table).where(condition)).scalar_one())

    return Contents(count(TX, TX.c.account_id == account_id), count(RAW, RAW.c.account_id == account_id),
                    count(CURSORS, CURSORS.c.account_id == account_id), count(CORRECTIONS, _corrections_of(name)),
                    count(RUNS, RUNS.c.account_id == account_id), count(KEYS, KEYS.c.account_id == account_id))


def remove(conn: Connection, account_id: int, name: str) -> Contents:
    """Delete the account and everything that is its own (corrections naming it too); returns what was there."""
    found = contents(conn, account_id, name)
    conn.execute(delete(CORRECTIONS).where(_corrections_of(name)))
    for table in (TX, RAW, CURSORS, KEYS):
        conn.execute(delete(table).where(table.c.account_id == account_id))
    conn.execute(delete(RUNS).where(RUNS.c.account_id == account_id))
    conn.execute(delete(ACCOUNTS).where(ACCOUNTS.c.id == account_id))
    return found


def rename(conn: Connection, old: str, new: str) -> int:
    """Rename the account; the corrections naming it follow. Returns how many corrections were updated."""
    conn.execute(update(ACCOUNTS).where(ACCOUNTS.c.name == old).values(name=new))
    moved = conn.execute(update(CORRECTIONS).where(CORRECTIONS.c.account == old).values(account=new)).rowcount
    moved += conn.execute(update(CORRECTIONS).where(CORRECTIONS.c.other_account == old)
                          .values(other_account=new)).rowcount
    return moved


def first_seen(conn: Connection, account_id: int, fingerprint: str, now: datetime) -> datetime:
    """When taxer first saw the key with this fingerprint on this account (now, if this is the first time)."""
    seen = conn.execute(select(KEYS.c.first_seen).where(KEYS.c.account_id == account_id,
                                                        KEYS.c.fingerprint == fingerprint)).scalar_one_or_none()
    if seen is not None:
        return seen
    conn.execute(insert(KEYS).values(account_id=account_id, fingerprint=fingerprint, first_seen=now))
    return now
