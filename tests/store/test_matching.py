"""Matching records without a shared id by content: occurrences count, and a sync adopts file rows one for one."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from taxer import api
from taxer.model import UTC, Kind, Leg, Transaction
from taxer.store import ledger, matching


def _fill(external_id: str, ms: int = 0, amount: str = "0.001") -> Transaction:
    return Transaction(account="a", timestamp=datetime(2024, 3, 1, 14, 5, 7, ms * 1000, tzinfo=UTC), kind=Kind.TRADE,
                       sent=Leg("USDT", Decimal("62.0005")), received=Leg("BTC", Decimal(amount)),
                       fee=Leg("BTC", Decimal("0.000001")), source="binance", external_id=external_id)


def _insert(engine, txs):
    with engine.begin() as conn:
        acct = ledger.ensure_account(conn, "a")
        ledger.insert_records(conn, acct.id, None, [(tx, "test", "{}") for tx in txs])
        return acct.id


def test_file_rows_are_skipped_only_as_often_as_the_ledger_holds_them(db_url):
    engine = api.workspace(db_url)
    account_id = _insert(engine, [_fill("trade:BTC/USDT:1", ms=250)])   # the API's fill, with milliseconds
    file_rows = [(_fill(f"content:x-{n}"), f"f.csv:{n + 1}", "{}") for n in (1, 2)]   # the file shows it twice
    other = (_fill("content:y-1", amount="0.002"), "f.csv:4", "{}")
    with engine.connect() as conn:
        kept = matching.drop_held(conn, account_id, "binance", [*file_rows, other])
        assert [r[1] for r in kept] == ["f.csv:3", "f.csv:4"]   # one copy is the API's, the other is new
        assert matching.drop_held(conn, account_id, "kraken", file_rows) == file_rows   # another source: no match


def test_a_sync_gives_each_file_row_one_api_id_and_inserts_the_rest(db_url):
    engine = api.workspace(db_url)
    account_id = _insert(engine, [_fill("content:x-1"), _fill("content:z-1", amount="0.5")])
    fetched = [(_fill(f"trade:BTC/USDT:{n}", ms=n), "binance trades:BTC/USDT", "{}") for n in (7, 8)]
    with engine.begin() as conn:
        assert matching.has_file_rows(conn, account_id, "binance")
        kept = matching.adopt_file_rows(conn, account_id, "binance", fetched)
        assert [r[0].external_id for r in kept] == ["trade:BTC/USDT:8"]   # the file had this fill once
        ledger.insert_records(conn, account_id, None, kept)
    with engine.connect() as conn:
        ids = sorted((t.external_id, t.received.amount) for t in ledger.query_transactions(conn))
        again = matching.adopt_file_rows(conn, account_id, "binance", fetched)
    assert ids == [("content:z-1", Decimal("0.5")), ("trade:BTC/USDT:7", Decimal("0.001")),
                   ("trade:BTC/USDT:8", Decimal("0.001"))]
    assert again == fetched   # now known by id: the insert skips them, nothing is adopted twice
