"""Bitget's own exports: detection, a golden import, strict cells, and the API path's ids (no duplicates either way)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from taxer import api
from taxer.errors import InputError
from taxer.importers import formats
from taxer.importers.csvfile import read_records
from taxer.model import Kind
from taxer_replica.bitget import _bill
from tests.importers.replica_sync import replica, second, set_credentials, small_history, sync, write_csv

DATA = Path(__file__).parent / "data" / "bitget"
FILLS = ["Date", "Order ID", "Trade ID", "Trading pair", "Direction", "Price", "Amount", "Total", "Fee", "Fee coin"]
DEPOSITS = ["Date", "Order ID", "Coin", "Chain", "Amount", "Address", "TxID", "Status"]
WITHDRAWALS = ["Date", "Order ID", "Coin", "Chain", "Amount", "Fee", "Address", "TxID", "Status"]
BILLS = ["Date", "Bill ID", "Coin", "Group type", "Business type", "Amount", "Fee", "Balance"]


def _rows(path):
    return [r.transaction for r in read_records(path, "acct")[1]]


def _legs(tx):
    def leg(x):
        return (x.asset, x.amount) if x else None
    return leg(tx.sent), leg(tx.received), leg(tx.fee)


@pytest.mark.parametrize("header, name", [
    (FILLS, "bitget-fills"), (DEPOSITS, "bitget-deposits"), (WITHDRAWALS, "bitget-withdrawals"),
    (BILLS, "bitget-bills"), (list(reversed(WITHDRAWALS)), "bitget-withdrawals"),
])
def test_each_export_is_detected_by_its_header(header, name):
    fmt = formats.detect(header)
    assert (fmt.name, fmt.ledger_source, fmt.match_by_content) == (name, "bitget", False)


def test_golden_import_gives_the_api_paths_ids():
    got = [(t.timestamp.isoformat(), t.kind, _legs(t), t.label, t.tx_hash, t.external_id, t.source)
           for name in ("spot_fills.csv", "deposits.csv", "withdrawals.csv", "bills.csv") for t in _rows(DATA / name)]
    assert got == [
        ("2024-03-01T14:05:07+00:00", Kind.TRADE,
         (("USDT", Decimal("62.0005")), ("BTC", Decimal("0.001")), ("BTC", Decimal("0.000001"))), None, None,
         "trade:BTC/USDT:1100000000000000001", "bitget"),
        ("2024-03-02T09:00:00+00:00", Kind.TRADE,
         (("ETH", Decimal("1.5")), ("BTC", Decimal("0.075")), ("BTC", Decimal("0.000075"))), None, None,
         "trade:ETH/BTC:1100000000000000002", "bitget"),
        ("2024-02-28T10:00:00+00:00", Kind.DEPOSIT, (None, ("USDT", Decimal("1000")), None), None, "7c1e0a11d2",
         "deposit:1300000000000000001", "bitget"),   # the pending deposit moved nothing
        ("2024-03-05T12:00:00+00:00", Kind.WITHDRAWAL, (("ETH", Decimal("1.2")), None, ("ETH", Decimal("0.0015"))),
         None, "0xfeed01", "withdrawal:1400000000000000001", "bitget"),   # Amount 1.2015 included the fee
        ("2024-03-03T00:00:00+00:00", Kind.INCOME, (None, ("USDT", Decimal("0.01234567")), None), "staking", None,
         "income:1600000000000000002", "bitget"),   # the buy bill is the fill's, not income
        ("2024-03-04T05:00:00+00:00", Kind.INCOME, (None, ("BGB", Decimal("0.5")), None), "airdrop", None,
         "income:1600000000000000003", "bitget"),
    ]


@pytest.mark.parametrize("cell, utc", [
    ("2024-01-01 07:59:59", "2023-12-31T23:59:59+00:00"),   # Bitget's UTC+8: still 2023 in UTC
    ("2024-03-01T22:05:07+08:00", "2024-03-01T14:05:07+00:00"),
    ("2024-03-01T14:05:07Z", "2024-03-01T14:05:07+00:00"),
])
def test_times_are_utc_plus_8_unless_the_cell_has_an_offset(tmp_path, cell, utc):
    path = write_csv(tmp_path / "f.csv", FILLS, [[cell, "1", "2", "BTCUSDT", "buy", "1", "1", "1", "0", "BTC"]])
    (tx,) = _rows(path)
    assert tx.timestamp.isoformat() == utc and tx.fee is None


@pytest.mark.parametrize("file, bad, column, words", [
    ("spot_fills.csv", "2024-03-01 14:05:07,1,2,BTCUSDT,hold,1,1,1,0,BTC", "Direction", "'hold' is not one of"),
    ("spot_fills.csv", "2024-03-01 14:05:07,1,,BTCUSDT,buy,1,1,1,0,BTC", "Trade ID", "is empty"),
    ("spot_fills.csv", "2024-03-01 14:05:07,1,2,XYZ,buy,1,1,1,0,BTC", "Trading pair", "taxer can split"),
    ("spot_fills.csv", "01/03/2024 14:05,1,2,BTCUSDT,buy,1,1,1,0,BTC", "Date", "ambiguous"),
    ("spot_fills.csv", "2024-03-01T14:05:07,1,2,BTCUSDT,buy,1,1,1,0,BTC", "Date", "no time zone"),
    ("spot_fills.csv", "2024-03-01 14:05:07,1,2,BTCUSDT,buy,1,0.5x,1,0,BTC", "Amount", "not a number"),
    ("spot_fills.csv", "2024-03-01 14:05:07,1,2,BTCUSDT,buy,1,1,1,-0.1,", "Fee", "no coin"),
    ("withdrawals.csv", "2024-03-05 12:00:00,1,ETH,ERC20,1,-2,0x1,0xfe,success", "Fee", "not less than Amount"),
    ("deposits.csv", "2024-03-05 12:00:00,1,ETH,ERC20,1,0x1,0xfe,vanished", "Status", "is not one of"),
    ("bills.csv", "2024-03-05 12:00:00,9,USDT,financial,savings_interest,abc,0,1", "Amount", "not a number"),
])
def test_bad_row_names_file_line_column_and_writes_nothing(db_url, tmp_path, file, bad, column, words):
    engine = api.workspace(db_url)
    api.import_csv_file(engine, DATA / "spot_fills.csv", "bg")
    header = (DATA / file).read_text().splitlines()[0]
    good = (DATA / file).read_text().splitlines()[1]
    path = tmp_path / file
    path.write_text(f"{header}\n{good}\n{bad}\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        api.import_csv_file(engine, path, "bg")
    assert (err.value.line, err.value.column) == (3, column)
    assert str(path) in str(err.value) and "line 3" in str(err.value) and words in str(err.value)
    assert [a.transactions for a in api.accounts(engine)] == [2]


def test_reimport_adds_nothing(db_url):
    engine = api.workspace(db_url)
    files = sorted(DATA.glob("*.csv"))
    assert [r.inserted for r in api.import_csv(engine, files, "bg")] == [2, 1, 2, 1]
    assert [(r.rows, r.inserted) for r in api.import_csv(engine, files, "bg")] == [(2, 0), (1, 0), (2, 0), (1, 0)]


# --- the same account through the API and through its files -------------------------------------------------------

def _export_files(history, folder: Path) -> list[Path]:
    """The four exports Bitget would give for `history`: Bitget's ids, times cut to the second."""
    markets = {m.symbol: m for m in history.markets}

    def when(ms):   # Bitget's files are in UTC+8
        return f"{second(ms) + timedelta(hours=8):%Y-%m-%d %H:%M:%S}"

    fills = [[when(t.timestamp), t.order_id, t.id, markets[t.symbol].id, t.side, f"{t.price:f}", f"{t.amount:f}",
              f"{t.cost:f}", f"{-t.fee:f}", t.fee_currency] for t in reversed(history.trades)]
    deposits = [[when(d.timestamp), d.id, d.currency, d.network, f"{d.amount:f}", d.address, d.txid, "success"]
                for d in history.deposits]
    withdrawals = [[when(w.timestamp), w.id, w.currency, w.network, f"{w.amount + w.fee:f}", f"{-w.fee:f}",
                    w.address, w.txid, "success"] for w in history.withdrawals]
    bills = [[when(e.timestamp), b["billId"], b["coin"], b["groupType"], b["businessType"], b["size"], b["fees"],
              b["balance"]] for e in history.ledger() for b in [_bill(e)]]
    return [write_csv(folder / "fills.csv", FILLS, fills), write_csv(folder / "deposits.csv", DEPOSITS, deposits),
            write_csv(folder / "withdrawals.csv", WITHDRAWALS, withdrawals),
            write_csv(folder / "bills.csv", BILLS, bills)]


@pytest.fixture(scope="module")
def history():
    return small_history()


def _same_record(file_tx, api_tx):
    assert (file_tx.kind, _legs(file_tx), file_tx.label, file_tx.tx_hash, file_tx.description) == (
        api_tx.kind, _legs(api_tx), api_tx.label, api_tx.tx_hash, api_tx.description), file_tx.external_id
    assert file_tx.timestamp == api_tx.timestamp.replace(microsecond=0)


def test_files_after_sync_add_nothing_and_hold_the_same_transactions(tmp_path, monkeypatch, history):
    set_credentials(monkeypatch)
    engine = api.workspace(str(tmp_path / "w.db"))
    with replica("bitget", history) as rep:
        synced = sync(engine, rep)
    total = len(history.trades) + len(history.deposits) + len(history.withdrawals) + len(history.rewards)
    assert synced.inserted == total
    files = _export_files(history, tmp_path)
    results = api.import_csv(engine, files, "main")
    assert [(r.error, r.inserted) for r in results] == [(None, 0)] * 4
    ledger = {t.external_id: t for t in api.transactions(engine)}
    assert len(ledger) == total
    parsed = [r.transaction for path in files for r in read_records(path, "main")[1]]
    assert len(parsed) == total
    for tx in parsed:
        _same_record(tx, ledger[tx.external_id])


def test_sync_after_files_adds_nothing(tmp_path, monkeypatch, history):
    set_credentials(monkeypatch)
    engine = api.workspace(str(tmp_path / "w.db"))
    total = len(history.trades) + len(history.deposits) + len(history.withdrawals) + len(history.rewards)
    assert sum(r.inserted for r in api.import_csv(engine, _export_files(history, tmp_path), "main")) == total
    with replica("bitget", history) as rep:
        report = sync(engine, rep)
    assert (report.records, report.inserted) == (total, 0)
    assert len(list(api.transactions(engine))) == total
