"""Decimals and datetimes come back exactly as stored, on SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import text

from taxer.model import Kind, Leg, Transaction
from taxer.store import ledger
from taxer.store.db import current_revision, head_revision, open_engine

UTC = UTC
AMOUNTS = [
    Decimal("0.000000000000000001"),           # 1e-18, one wei
    Decimal("123456789.123456789012345678"),   # 27 significant digits
    Decimal("0.1"), Decimal("1.10"), Decimal("99999999999999999999.5"),
    Decimal("1E-20"),                          # exponent form in, exact value out
]


def _tx(i: int, amount: Decimal, ts: datetime) -> Transaction:
    return Transaction(account="a", timestamp=ts, kind=Kind.TRADE, sent=Leg("USD", Decimal("1")),
                       received=Leg("BTC", amount), fee=Leg("ETH", amount), fair_value=amount,
                       fair_value_currency="USD", source="test", external_id=f"id-{i}")


def test_decimal_and_datetime_round_trip(db_url):
    engine = open_engine(db_url)
    moments = [datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
               datetime(2024, 3, 31, 1, 30, tzinfo=timezone(timedelta(hours=2))),  # stored as 23:30 UTC
               datetime(1999, 12, 31, tzinfo=UTC)]
    records = [(_tx(i, a, moments[i % 3]), "t", "{}") for i, a in enumerate(AMOUNTS)]
    with engine.begin() as conn:
        acct = ledger.ensure_account(conn, "a")
        assert ledger.insert_records(conn, acct.id, None, records) == (len(AMOUNTS), len(AMOUNTS))
    with engine.connect() as conn:
        back = {t.external_id: t for t in ledger.query_transactions(conn)}
    for i, amount in enumerate(AMOUNTS):
        tx = back[f"id-{i}"]
        assert tx.received.amount == amount and isinstance(tx.received.amount, Decimal)
        assert tx.fee.amount == amount and tx.fair_value == amount
        assert tx.timestamp == moments[i % 3]
        assert tx.timestamp.utcoffset() == timedelta(0)
    assert back["id-1"].timestamp.hour == 23
    assert str(back["id-0"].received.amount) in ("1E-18", "0.000000000000000001")


def test_sqlite_stores_money_as_text_never_float(sqlite_url):
    engine = open_engine(sqlite_url)
    with engine.begin() as conn:
        acct = ledger.ensure_account(conn, "a")
        ledger.insert_records(conn, acct.id, None, [(_tx(0, AMOUNTS[1], datetime(2024, 1, 1, tzinfo=UTC)), "t", "{}")])
        stored, kind = conn.execute(text("SELECT received_amount, typeof(received_amount) FROM transactions")).one()
    assert (stored, kind) == ("123456789.123456789012345678", "text")


def test_naive_datetime_is_rejected(db_url):
    engine = open_engine(db_url)
    with engine.begin() as conn:
        acct = ledger.ensure_account(conn, "a")
    with pytest.raises(Exception, match="naive"):
        with engine.begin() as conn:
            conn.execute(ledger.TX.insert().values(account_id=acct.id, timestamp=datetime(2024, 1, 1), kind="trade",
                                                   source="s", external_id="x"))


def test_schema_is_migrated_on_open_and_upgrade_is_idempotent(db_url):
    engine = open_engine(db_url)
    assert current_revision(engine) == head_revision()
    engine2 = open_engine(db_url)  # second open: nothing to do
    assert current_revision(engine2) == head_revision()
    with engine.connect() as conn:
        tables = set(conn.dialect.get_table_names(conn))
    assert {"accounts", "transactions", "raw_records", "import_runs", "sync_cursors", "settings",
            "alembic_version"} <= tables


def test_duplicate_external_ids_are_skipped_per_account_and_source(db_url):
    engine = open_engine(db_url)
    ts = datetime(2024, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        a = ledger.ensure_account(conn, "a")
        b = ledger.ensure_account(conn, "b")
        assert ledger.insert_records(conn, a.id, None, [(_tx(1, Decimal(1), ts), "t", "{}")]) == (1, 1)
        assert ledger.insert_records(conn, a.id, None, [(_tx(1, Decimal(2), ts), "t", "{}")]) == (1, 0)
        assert ledger.insert_records(conn, b.id, None, [(_tx(1, Decimal(1), ts), "t", "{}")]) == (1, 1)
        assert ledger.count_transactions(conn) == 2
