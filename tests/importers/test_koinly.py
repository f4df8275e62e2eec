"""Koinly universal CSV: detection, every label, bad rows (file/line/column, nothing written), idempotence."""

from decimal import Decimal

import pytest

from taxer import api
from taxer.errors import InputError
from taxer.importers import formats
from taxer.importers.csvfile import read_records
from taxer.model import Kind
from tests.conftest import KOINLY_HEADER

BUY = "2024-03-01 14:05:00 UTC,1000,USD,0.015,BTC,1.5,USD,,,,buy BTC,"


def _parse(write_koinly, row):
    _fmt, recs = read_records(write_koinly([row]), "acct")
    (rec,) = list(recs)
    return rec.transaction


def test_detects_koinly_by_header_in_any_column_order():
    assert formats.detect(KOINLY_HEADER.split(",")).name == "koinly"
    assert formats.detect(list(reversed(KOINLY_HEADER.split(",")))).name == "koinly"
    assert formats.detect(["Date", "Amount", "Currency"]) is None


def test_buy_row_becomes_a_trade_with_exact_legs(write_koinly):
    tx = _parse(write_koinly, BUY)
    assert tx.kind is Kind.TRADE
    assert (tx.sent.asset, tx.sent.amount) == ("USD", Decimal("1000"))
    assert (tx.received.asset, tx.received.amount) == ("BTC", Decimal("0.015"))
    assert (tx.fee.asset, tx.fee.amount) == ("USD", Decimal("1.5"))
    assert tx.timestamp.isoformat() == "2024-03-01T14:05:00+00:00"
    assert tx.description == "buy BTC" and tx.source == "koinly"


@pytest.mark.parametrize("row, kind, label", [
    ("2024-03-01 14:05 UTC,,,1,SOL,,,,,,,", Kind.DEPOSIT, None),
    ("2024-03-01 14:05 UTC,1,SOL,,,,,,,,,", Kind.WITHDRAWAL, None),
    ("2024-03-01 14:05 UTC,1,ETH,3,SOL,,,2000,USD,,,", Kind.TRADE, None),
    ("2024-03-01 14:05 UTC,,,1,SOL,,,100,USD,reward,,", Kind.INCOME, "reward"),
    ("2024-03-01 14:05 UTC,,,1,SOL,,,100,USD,Staking,,", Kind.INCOME, "staking"),
    ("2024-03-01 14:05 UTC,,,1,BTC,,,100,USD,mining,,", Kind.INCOME, "mining"),
    ("2024-03-01 14:05 UTC,,,1,UNI,,,100,USD,airdrop,,", Kind.INCOME, "airdrop"),
    ("2024-03-01 14:05 UTC,,,1,BCH,,,100,USD,fork,,", Kind.INCOME, "fork"),
    ("2024-03-01 14:05 UTC,,,1,USDC,,,1,USD,income,,", Kind.INCOME, "income"),
    ("2024-03-01 14:05 UTC,,,1,USDC,,,1,USD,other_income,,", Kind.INCOME, "income"),
    ("2024-03-01 14:05 UTC,,,1,USDC,,,1,USD,Loan Interest,,", Kind.INCOME, "interest"),
    ("2024-03-01 14:05 UTC,,,1,USDC,,,1,USD,lending interest,,", Kind.INCOME, "interest"),
    ("2024-03-01 14:05 UTC,1,ETH,,,,,,,gift,,", Kind.GIFT, "gift"),
    ("2024-03-01 14:05 UTC,,,1,ETH,,,,,gift,,", Kind.DEPOSIT, "gift received"),
    ("2024-03-01 14:05 UTC,1,ETH,,,,,,,donation,,", Kind.DONATION, "donation"),
    ("2024-03-01 14:05 UTC,1,ETH,,,,,,,lost,,", Kind.LOST, "lost"),
    ("2024-03-01 14:05 UTC,1,ETH,,,,,,,stolen,,", Kind.LOST, "stolen"),
    ("2024-03-01 14:05 UTC,1,ETH,,,,,,,cost,,", Kind.FEE, "cost"),
    ("2024-03-01 14:05 UTC,1,ETH,,,,,,,margin fee,,", Kind.FEE, "margin fee"),
    ("2024-03-01 14:05 UTC,1,ETH,,,,,,,interest payment,,", Kind.FEE, "interest payment"),
    ("2024-03-01 14:05 UTC,1,ETH,,,,,,,spend,,", Kind.SPEND, "spend"),
    ("2024-03-01 14:05 UTC,1,ETH,2,SOL,,,,,ignored,,", Kind.IGNORED, "ignored"),
    ("2024-03-01 14:05 UTC,,,,,0.01,ETH,,,,,", Kind.FEE, "fee"),
])
def test_every_label_maps_to_a_ledger_kind(write_koinly, row, kind, label):
    tx = _parse(write_koinly, row)
    assert (tx.kind, tx.label) == (kind, label)


def test_fee_only_row_spends_the_fee_coins(write_koinly):
    tx = _parse(write_koinly, "2024-03-01 14:05 UTC,,,,,0.01,ETH,,,,,")
    assert (tx.sent.asset, tx.sent.amount, tx.fee) == ("ETH", Decimal("0.01"), None)


def test_net_worth_is_the_fair_value(write_koinly):
    tx = _parse(write_koinly, "2024-03-01 14:05 UTC,1,ETH,3,SOL,,,2000.50,usd,,,0xfeed")
    assert (tx.fair_value, tx.fair_value_currency, tx.tx_hash) == (Decimal("2000.50"), "USD", "0xfeed")


@pytest.mark.parametrize("text, iso", [
    ("2024-03-01 14:05:00 UTC", "2024-03-01T14:05:00+00:00"),
    ("2024-03-01 14:05 UTC", "2024-03-01T14:05:00+00:00"),
    ("2024-03-01T14:05:00Z", "2024-03-01T14:05:00+00:00"),
    ("2024-03-01T16:05:00+02:00", "2024-03-01T14:05:00+00:00"),
])
def test_timestamps_are_utc_aware(write_koinly, text, iso):
    assert _parse(write_koinly, f"{text},,,1,SOL,,,,,,,").timestamp.isoformat() == iso


@pytest.mark.parametrize("row, column, words", [
    ("2024-13-01 14:05:00 UTC,,,1,SOL,,,,,,,", "Date", "not a date"),
    ("2024-03-01 14:05:00,,,1,SOL,,,,,,,", "Date", "no time zone"),
    (",,,1,SOL,,,,,,,", "Date", "is empty"),
    ("2024-03-01 14:05 UTC,,,abc,SOL,,,,,,,", "Received Amount", "not a number"),
    ("2024-03-01 14:05 UTC,,,-1,SOL,,,,,,,", "Received Amount", "negative"),
    ("2024-03-01 14:05 UTC,,,NaN,SOL,,,,,,,", "Received Amount", "not a finite number"),
    ("2024-03-01 14:05 UTC,,,0,SOL,,,,,,,", "Received Amount", "zero"),
    ("2024-03-01 14:05 UTC,,,1,,,,,,,,", "Received Currency", "no currency"),
    ("2024-03-01 14:05 UTC,,,,SOL,,,,,,,", "Received Amount", "no amount"),
    ("2024-03-01 14:05 UTC,,,1,SOL,0.1,,,,,,", "Fee Currency", "no currency"),
    ("2024-03-01 14:05 UTC,,,1,SOL,,,,,bribe,,", "Label", "unknown label 'bribe'"),
    ("2024-03-01 14:05 UTC,1,ETH,,,,,,,staking,,", "Label", "marks income"),
    ("2024-03-01 14:05 UTC,,,1,ETH,,,,,lost,,", "Label", "for withdrawals"),
    ("2024-03-01 14:05 UTC,,,,,,,,,,,", "Sent Amount", "neither"),
])
def test_bad_row_names_file_line_column_and_writes_nothing(write_koinly, sqlite_url, row, column, words):
    engine = api.workspace(sqlite_url)
    good = write_koinly([BUY], name="good.csv")
    api.import_csv_file(engine, good, "acct")
    path = write_koinly([BUY.replace("14:05", "15:05"), row, BUY.replace("14:05", "16:05")], name="bad.csv")
    with pytest.raises(InputError) as err:
        api.import_csv_file(engine, path, "acct")
    message = str(err.value)
    assert str(path) in message and "line 3" in message and f"column {column!r}" in message
    assert words in message
    assert (err.value.line, err.value.column) == (3, column)
    assert [a.transactions for a in api.accounts(engine)] == [1]  # the bad file's good rows were not kept


def test_wrong_cell_count_is_reported_with_line(write_koinly):
    path = write_koinly([BUY, "2024-03-01 14:05 UTC,1,ETH"])
    with pytest.raises(InputError, match="line 3: has 3 cells but the header has 12"):
        list(read_records(path, "a")[1])


def test_empty_and_unknown_files_get_clear_messages(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError, match="the file is empty"):
        read_records(empty, "a")
    other = tmp_path / "other.csv"
    other.write_text("Time,Pair,Side,Qty\n2024-01-01,BTCUSD,buy,1\n")
    with pytest.raises(InputError, match=r"unknown CSV format.*Koinly universal: Date,Sent Amount"):
        read_records(other, "a")
    with pytest.raises(InputError, match="file not found"):
        read_records(tmp_path / "missing.csv", "a")
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"Dat\xe9,x\n")
    with pytest.raises(InputError, match="UTF-8"):
        read_records(latin, "a")


def test_reimport_adds_nothing_and_a_longer_export_adds_only_new_rows(db_url, write_koinly):
    engine = api.workspace(db_url)
    rows = [BUY, BUY, "2024-03-02 10:00 UTC,,,1,SOL,,,,,staking,,"]  # two identical fills are both kept
    first = api.import_csv_file(engine, write_koinly(rows, name="2024.csv"), "acct")
    assert (first.rows, first.inserted) == (3, 3)
    again = api.import_csv_file(engine, write_koinly(rows, name="2024.csv"), "acct")
    assert (again.rows, again.inserted, again.duplicates) == (3, 0, 3)
    longer = rows + ["2024-04-01 10:00 UTC,0.01,BTC,,,,,,,,,"]
    grown = api.import_csv_file(engine, write_koinly(longer, name="all.csv"), "acct")
    assert (grown.rows, grown.inserted) == (4, 1)
    assert len(list(api.transactions(engine))) == 4


def test_raw_rows_and_import_runs_are_recorded(sqlite_url, write_koinly):
    from sqlalchemy import select

    from taxer.store import ledger

    engine = api.workspace(sqlite_url)
    path = write_koinly([BUY])
    api.import_csv_file(engine, path, "acct")
    with pytest.raises(InputError):
        api.import_csv_file(engine, write_koinly(["bad,,,,,,,,,,,"], name="bad.csv"), "acct")
    with engine.connect() as conn:
        (tx,) = ledger.query_transactions(conn)
        origin, payload = ledger.raw_records(conn, [tx.id])[tx.id]
        runs = conn.execute(select(ledger.RUNS).order_by(ledger.RUNS.c.id)).all()
    assert origin == "koinly.csv:2" and '"Sent Amount": "1000"' in payload
    assert [(r.outcome, r.rows_read, r.inserted) for r in runs] == [("ok", 1, 1), ("failed", 0, 0)]
    assert "bad.csv, line 2" in runs[1].message and "sha256=" in runs[0].target
