"""Storing brokers' Form 1099-DA rows: idempotent inserts (a re-import adds nothing twice) and loading a year's rows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import Connection, delete, select

from taxer.model.form1099da import BrokerRow
from taxer.store.db import dialect_insert
from taxer.store.tables import ACCOUNTS
from taxer.store.tables import FORM1099DA_ROWS as TABLE

_FIELDS = ("asset", "asset_name", "units", "various", "proceeds", "cost_basis", "term", "basis_reported",
           "proceeds_type", "noncovered", "form8949_code", "market_discount", "wash_sale_disallowed",
           "federal_tax_withheld", "layout", "external_id", "origin", "payload")


def insert(conn: Connection, account_id: int, run_id: int | None, rows: Iterable[BrokerRow]) -> tuple[int, int]:
    """Insert rows, skipping those already stored for the account; (rows read, rows inserted)."""
    values = [{**{f: getattr(r, f) for f in _FIELDS}, "account_id": account_id, "import_run_id": run_id,
               "tax_year": r.year, "date_sold": r.date_sold.isoformat(),
               "date_acquired": r.date_acquired.isoformat() if r.date_acquired else None} for r in rows]
    if not values:
        return 0, 0
    inserted = 0
    for value in values:  # a 1099-DA has hundreds of rows, not millions: one statement each keeps counts exact
        statement = dialect_insert(conn, TABLE).values(**value).on_conflict_do_nothing().returning(TABLE.c.id)
        inserted += len(conn.execute(statement).all())
    return len(values), inserted


def remove_years(conn: Connection, account_id: int, years: Iterable[int]) -> int:
    """Forget the account's rows of `years` (a corrected form replaces them); how many were removed."""
    statement = delete(TABLE).where((TABLE.c.account_id == account_id) & TABLE.c.tax_year.in_(sorted(set(years))))
    return conn.execute(statement).rowcount


def load(conn: Connection, year: int) -> list[BrokerRow]:
    """Every stored row of tax year `year` (by date sold), in account, date sold and file order."""
    query = (select(TABLE, ACCOUNTS.c.name.label("account_name")).join(ACCOUNTS, ACCOUNTS.c.id == TABLE.c.account_id)
             .where(TABLE.c.tax_year == year).order_by(ACCOUNTS.c.name, TABLE.c.date_sold, TABLE.c.id))
    return [BrokerRow(account=row.account_name, date_sold=date.fromisoformat(row.date_sold),
                      date_acquired=date.fromisoformat(row.date_acquired) if row.date_acquired else None,
                      id=row.id, **{f: getattr(row, f) for f in _FIELDS})
            for row in conn.execute(query)]
