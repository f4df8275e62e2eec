"""The price cache in the ledger database: user-supplied and fetched prices per asset, quote and time bucket."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, func, select

from taxer.model.prices import PriceRow
from taxer.store.db import dialect_insert
from taxer.store.tables import PRICES


def upsert(conn: Connection, rows: Iterable[PriceRow], recorded_at: datetime) -> int:
    """Insert prices, replacing an existing price of the same bucket and source; returns how many were given."""
    values = [dict(row._asdict(), recorded_at=recorded_at) for row in rows]
    if not values:
        return 0
    stmt = dialect_insert(conn, PRICES)
    stmt = stmt.on_conflict_do_update(index_elements=["asset", "quote", "resolution", "bucket_start", "source"],
                                      set_={"price": stmt.excluded.price, "recorded_at": stmt.excluded.recorded_at,
                                            "open": stmt.excluded.open, "high": stmt.excluded.high,
                                            "low": stmt.excluded.low})
    conn.execute(stmt, values)
    return len(values)


def load(conn: Connection, *, quote: str | None = None, until: datetime | None = None,
         since: datetime | None = None) -> list[PriceRow]:
    """Prices (optionally of one quote currency, with buckets in [since, until)), oldest first."""
    query = select(PRICES.c.asset, PRICES.c.quote, PRICES.c.resolution, PRICES.c.bucket_start, PRICES.c.price,
                   PRICES.c.source, PRICES.c.open, PRICES.c.high, PRICES.c.low).order_by(
        PRICES.c.asset, PRICES.c.quote, PRICES.c.bucket_start, PRICES.c.source)
    if quote is not None:
        query = query.where(PRICES.c.quote == quote)
    if until is not None:
        query = query.where(PRICES.c.bucket_start < until)
    if since is not None:
        query = query.where(PRICES.c.bucket_start >= since)
    return [PriceRow(*row) for row in conn.execute(query)]


def count(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(PRICES)).scalar_one()
