"""Workspace settings in the ledger database: the `settings` table (key -> JSON) and each account's settings."""

from __future__ import annotations

import json

from sqlalchemy import Connection, delete, insert, select, update

from taxer.store.tables import SETTINGS as TABLE


def load(conn: Connection) -> dict[str, object]:
    """Every workspace setting that has been set."""
    return {row.key: json.loads(row.value) for row in conn.execute(select(TABLE))}


def put(conn: Connection, key: str, value: object) -> None:
    text = json.dumps(value)
    if conn.execute(update(TABLE).where(TABLE.c.key == key).values(value=text)).rowcount == 0:
        conn.execute(insert(TABLE).values(key=key, value=text))


def remove(conn: Connection, key: str) -> bool:
    """Forget a setting; True if it was set."""
    return conn.execute(delete(TABLE).where(TABLE.c.key == key)).rowcount > 0
