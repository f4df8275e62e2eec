"""Storing corrections: insert (many in one database transaction), list, revoke. Rows are never deleted."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from taxer.corrections.records import Correction, Target
from taxer.store.tables import CORRECTIONS as TABLE


def add(conn: Connection, corrections: Iterable[Correction]) -> list[int]:
    """Insert corrections (in the caller's database transaction); returns their new ids."""
    ids = []
    for c in corrections:
        other = c.other or Target(None, None, None)
        result = conn.execute(insert(TABLE).values(
            kind=c.kind, account=c.target.account, source=c.target.source, external_id=c.target.external_id,
            other_account=other.account, other_source=other.source, other_external_id=other.external_id,
            value=json.dumps(dict(c.value), sort_keys=True), note=c.note, author=c.author, created_at=c.created_at))
        ids.append(result.inserted_primary_key[0])
    return ids


def _record(row) -> Correction:
    other = Target(row.other_account, row.other_source, row.other_external_id) if row.other_account else None
    return Correction(kind=row.kind, target=Target(row.account, row.source, row.external_id), other=other,
                      value=json.loads(row.value), note=row.note, author=row.author, created_at=row.created_at,
                      id=row.id, revoked_at=row.revoked_at, revoked_by=row.revoked_by, revoke_note=row.revoke_note)


def load(conn: Connection, *, include_revoked: bool = True) -> list[Correction]:
    """Every correction in the order made (revoked ones too unless `include_revoked` is False)."""
    query = select(TABLE).order_by(TABLE.c.id)
    if not include_revoked:
        query = query.where(TABLE.c.revoked_at.is_(None))
    return [_record(row) for row in conn.execute(query)]


def get(conn: Connection, correction_id: int) -> Correction | None:
    row = conn.execute(select(TABLE).where(TABLE.c.id == correction_id)).first()
    return _record(row) if row else None


def revoke(conn: Connection, correction_id: int, *, by: str, note: str, at: datetime) -> None:
    """Mark a correction revoked (it stays in the history)."""
    conn.execute(update(TABLE).where(TABLE.c.id == correction_id).values(revoked_at=at, revoked_by=by,
                                                                          revoke_note=note))
