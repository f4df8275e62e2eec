"""Rows taxer must never misread: each is refused naming file, line and column, and leaves the ledger unchanged;
one bad file does not stop the others. Also what the summary says about skipped rows, and --date-format."""

from __future__ import annotations

from decimal import Decimal

import pytest
from click.testing import CliRunner

from taxer import api
from taxer.cli import main
from taxer.errors import InputError
from tests.conftest import KOINLY_HEADER, ROOT

BUY = "2024-03-01 14:05:00 UTC,1000,USD,0.015,BTC,1.5,USD,,,,buy BTC,"
BINANCE = "Date(UTC),Pair,Side,Price,Executed,Amount,Fee"
BITGET_FILLS = "Date,Order ID,Trade ID,Trading pair,Direction,Price,Amount,Total,Fee,Fee coin"


def _refused(engine, path, line, column, words):
    with pytest.raises(InputError) as err:
        api.import_csv_file(engine, path, "acct")
    assert (err.value.file, err.value.line, err.value.column) == (str(path), line, column), str(err.value)
    assert words in str(err.value)
    assert list(api.transactions(engine)) == []


@pytest.mark.parametrize("header, column", [
    (KOINLY_HEADER + ",Received Amount", "Received Amount"),
    ("Date," + KOINLY_HEADER, "Date"),
])
def test_a_duplicated_header_column_is_refused(tmp_path, sqlite_url, header, column):
    path = tmp_path / "dup.csv"
    path.write_text(header + "\n" + BUY + "\n")
    _refused(api.workspace(sqlite_url), path, 1, column, "twice")


@pytest.mark.parametrize("cell, column", [
    ("0,001BTC", "Executed"),        # a decimal comma, not one thousandth... nor one
    ("1,0000BTC", "Executed"),       # groups of four digits are no thousands
    ("1e999999999BTC", "Pair"),      # read as 1 of an asset 'E999999999BTC', which is not the pair's
])
def test_an_ambiguous_or_absurd_binance_amount_is_refused(tmp_path, sqlite_url, cell, column):
    path = tmp_path / "trades.csv"
    path.write_text(f'{BINANCE}\n2024-03-01 14:05:07,BTCUSDT,BUY,62000,"{cell}",62USDT,0BTC\n')
    engine = api.workspace(sqlite_url)
    with pytest.raises(InputError) as err:
        api.import_csv_file(engine, path, "acct")
    assert (err.value.line, err.value.column) == (2, column), str(err.value)
    assert list(api.transactions(engine)) == []


@pytest.mark.parametrize("cell, words", [
    ("1e999999999", "out of the range"),
    ("1E+41", "out of the range"),
    ("NaN", "not a finite number"),
    ("Infinity", "not a finite number"),
])
def test_an_absurd_number_is_refused(write_koinly, sqlite_url, cell, words):
    path = write_koinly([f"2024-03-01 14:05:00 UTC,,,{cell},BTC,,,,,,,"])
    _refused(api.workspace(sqlite_url), path, 2, "Received Amount", words)


@pytest.mark.parametrize("when", ["0001-01-01 00:00:00 UTC", "0001-01-01T00:30:00+01:00",
                                  "9999-12-31T23:30:00-01:00", "9999-12-31 23:59:59 UTC", "1969-12-31 23:59:59 UTC"])
def test_a_date_outside_the_calendar_is_refused(write_koinly, sqlite_url, when):
    path = write_koinly([f"{when},,,1,BTC,,,,,,,"])
    _refused(api.workspace(sqlite_url), path, 2, "Date", "outside the years")


def test_a_bitget_time_in_year_one_is_refused(tmp_path, sqlite_url):
    # UTC+8 at the first second of year 1 is before the calendar starts in UTC
    path = tmp_path / "fills.csv"
    path.write_text(f"{BITGET_FILLS}\n0001-01-01 00:00:00,1,2,BTCUSDT,buy,1,1,1,0,BTC\n")
    _refused(api.workspace(sqlite_url), path, 2, "Date", "outside the years")


def test_one_exchange_id_with_other_amounts_is_refused_in_one_file(tmp_path, sqlite_url):
    path = tmp_path / "fills.csv"
    path.write_text(f"{BITGET_FILLS}\n"
                    "2024-03-01 14:05:00,1,77,BTCUSDT,buy,60000,0.01,600,0,BTC\n"
                    "2024-03-01 14:05:00,1,77,BTCUSDT,buy,60000,0.02,1200,0,BTC\n")
    _refused(api.workspace(sqlite_url), path, 3, None, "id '77' of line 2 but other amounts")


def test_the_same_row_twice_in_one_file_is_one_record(tmp_path, sqlite_url):
    path = tmp_path / "fills.csv"
    row = "2024-03-01 14:05:00,1,77,BTCUSDT,buy,60000,0.01,600,0,BTC\n"
    path.write_text(f"{BITGET_FILLS}\n{row}{row}")
    result = api.import_csv_file(api.workspace(sqlite_url), path, "acct")
    assert (result.rows, result.inserted) == (2, 1)


def test_one_exchange_id_with_other_amounts_is_refused_against_the_ledger(tmp_path, sqlite_url):
    engine = api.workspace(sqlite_url)
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text(f"{BITGET_FILLS}\n2024-03-01 14:05:00,1,77,BTCUSDT,buy,60000,0.01,600,0,BTC\n")
    second.write_text(f"{BITGET_FILLS}\n2024-03-02 10:00:00,1,78,BTCUSDT,buy,60000,0.01,600,0,BTC\n"
                      "2024-03-01 14:05:00,1,77,BTCUSDT,buy,60000,0.05,3000,0,BTC\n")
    assert api.import_csv_file(engine, first, "acct").inserted == 1
    with pytest.raises(InputError) as err:
        api.import_csv_file(engine, second, "acct")
    assert (err.value.file, err.value.line) == (str(second), 3)
    assert "already in the ledger (a.csv:2)" in str(err.value)
    (held,) = api.transactions(engine)
    assert held.received.amount == Decimal("0.01")   # nothing of b.csv written


def test_a_bad_file_does_not_stop_the_others(tmp_path, sqlite_url, write_koinly):
    engine = api.workspace(sqlite_url)
    good_a = write_koinly([BUY], name="a.csv")
    bad = write_koinly([BUY.replace("0.015", "0,015")], name="b.csv")
    good_c = write_koinly([BUY.replace("14:05", "15:05")], name="c.csv")
    results = api.import_csv(engine, [good_a, bad, good_c], "acct")
    assert [(r.error is None, r.inserted) for r in results] == [(True, 1), (False, 0), (True, 1)]
    assert "b.csv, line 2, column 'Received Amount'" in results[1].error
    assert len(list(api.transactions(engine))) == 2


def test_the_summary_counts_skipped_rows_by_reason(tmp_path):
    path = tmp_path / "statement.csv"
    path.write_text("User_ID,UTC_Time,Account,Operation,Coin,Change,Remark\n"
                    "1,2024-02-09 01:00:00,Spot,Staking Rewards,DOT,0.01234,\n"
                    "1,2024-02-09 05:00:00,Spot,Transfer Between Main and Funding Wallet,USDT,-50,\n"
                    "1,2024-02-09 05:00:00,Funding,Transfer Between Main and Funding Wallet,USDT,50\n")
    out = CliRunner().invoke(main, ["--db", str(tmp_path / "w.db"), "import", "csv", str(path), "-a", "bn"])
    assert out.exit_code == 0, out.output
    assert "1 row, 1 new, 0 already in the ledger, 2 skipped (2 move between own Binance wallets)" in out.output


@pytest.mark.parametrize("option, expected", [
    ([], None), (["--date-format", "DD/MM/YYYY"], "2024-03-01T14:05:00+00:00"),
    (["--date-format", "MM/DD/YYYY"], "2024-01-03T14:05:00+00:00"),
])
def test_a_day_month_date_needs_date_format(tmp_path, option, expected):
    path = tmp_path / "trades.csv"
    path.write_text(f"{BINANCE}\n01/03/2024 14:05,BTCUSDT,BUY,62000,0.001BTC,62USDT,0BTC\n")
    db = str(tmp_path / "w.db")
    out = CliRunner().invoke(main, ["--db", db, "import", "csv", str(path), "-a", "bn", *option])
    if expected is None:
        assert out.exit_code != 0 and "ambiguous" in out.output and "--date-format" in out.output
        return
    assert out.exit_code == 0, out.output
    (tx,) = api.transactions(api.workspace(db))
    assert tx.timestamp.isoformat() == expected


def test_an_unambiguous_spreadsheet_date_needs_no_option(write_koinly, sqlite_url):
    path = write_koinly(["25/03/2024 14:05 UTC,,,1,BTC,,,,,,,", "3/25/2024 2:05 PM UTC,,,2,BTC,,,,,,,"])
    engine = api.workspace(sqlite_url)
    api.import_csv_file(engine, path, "acct")
    assert [t.timestamp.isoformat() for t in api.transactions(engine)] == ["2024-03-25T14:05:00+00:00"] * 2


def _fills(path, rows):
    path.write_text(f"{BITGET_FILLS}\n" + "".join(
        f"2024-03-{day:02d} 14:05:00,1,{trade},BTCUSDT,buy,60000,{qty},600,0,BTC\n" for day, trade, qty in rows))
    return path


def test_chunks_of_new_ids_look_nothing_up_and_a_later_held_id_with_other_amounts_is_refused(
        tmp_path, db_url, monkeypatch):
    from taxer.store import ledger

    monkeypatch.setattr(ledger, "CHUNK", 3)
    looked_up = []
    real = ledger.conflicting_row
    monkeypatch.setattr(ledger, "conflicting_row", lambda conn, *args: looked_up.append(args[2]) or real(conn, *args))
    engine = api.workspace(db_url)
    held = _fills(tmp_path / "a.csv", [(1, 77, "0.01"), (2, 78, "0.01")])
    assert api.import_csv_file(engine, held, "acct").inserted == 2
    assert looked_up == []   # a first import: every chunk new
    # two chunks of new ids (no lookup), then one holding id 77 with another amount beside two new ones
    edited = _fills(tmp_path / "b.csv", [(day, 100 + day, "0.01") for day in range(3, 9)]
                    + [(9, 109, "0.01"), (1, 77, "0.05"), (10, 110, "0.01")])
    with pytest.raises(InputError) as err:
        api.import_csv_file(engine, edited, "acct")
    assert (err.value.file, err.value.line) == (str(edited), 9)
    assert "id '77' of a record already in the ledger (a.csv:2)" in str(err.value)
    assert [len(rows) for rows in looked_up] == [3]   # only the chunk the insert skipped a row of
    held_77, held_78 = api.transactions(engine)   # nothing of b.csv
    assert held_77.external_id.endswith(":77") and held_78.external_id.endswith(":78")
    assert held_77.received.amount == Decimal("0.01")


def test_a_reimport_with_the_same_amounts_written_otherwise_is_no_conflict(tmp_path, db_url, monkeypatch):
    from taxer.store import ledger

    monkeypatch.setattr(ledger, "CHUNK", 2)
    engine = api.workspace(db_url)
    first = _fills(tmp_path / "a.csv", [(1, 77, "0.01"), (2, 78, "0.01"), (3, 79, "0.01")])
    assert api.import_csv_file(engine, first, "acct").inserted == 3
    again = _fills(tmp_path / "b.csv", [(1, 77, "0.0100"), (2, 78, "0.01"), (3, 79, "0.010"), (4, 80, "0.01")])
    result = api.import_csv_file(engine, again, "acct")
    assert (result.rows, result.inserted) == (4, 1)


def test_a_held_record_of_two_rows_with_other_amounts_is_refused_naming_its_lines(tmp_path, sqlite_url):
    # A Kraken ledgers trade is two rows (one refid): its origin is 'ledgers.csv:4,5'. Found again with another
    # amount, the refusal names the file and the record's first line, and says which lines the record spans.
    source = ROOT / "tests" / "importers" / "data" / "kraken" / "ledgers.csv"
    engine = api.workspace(sqlite_url)
    first = tmp_path / "first" / "ledgers.csv"
    first.parent.mkdir()
    first.write_bytes(source.read_bytes())
    api.import_csv_file(engine, first, "kraken")
    before = [t.id for t in api.transactions(engine)]
    edited = tmp_path / "ledgers.csv"
    edited.write_text(source.read_text().replace('"-620.0000","1.6120"', '"-630.0000","1.6120"'))
    with pytest.raises(InputError) as err:
        api.import_csv_file(engine, edited, "kraken")
    assert (err.value.file, err.value.line) == (str(edited), 4)
    assert "(lines 4 and 5 of the file)" in str(err.value)
    assert [t.id for t in api.transactions(engine)] == before
