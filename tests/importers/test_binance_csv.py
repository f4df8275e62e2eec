"""Binance's own exports: detection, a golden import, strict cells, and no duplicates with the API path either way."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from taxer import api
from taxer.errors import InputError
from taxer.importers import formats
from taxer.importers.csvfile import read_records
from taxer.model import Kind
from tests.importers.replica_sync import replica, second, set_credentials, small_history, sync, write_csv

DATA = Path(__file__).parent / "data" / "binance"
TRADES_HEADER = ["Date(UTC)", "Pair", "Side", "Price", "Executed", "Amount", "Fee"]


def _rows(path, account="acct"):
    return [r.transaction for r in read_records(path, account)[1]]


def _legs(tx):
    def leg(x):
        return (x.asset, x.amount) if x else None
    return leg(tx.sent), leg(tx.received), leg(tx.fee)


@pytest.mark.parametrize("header, name", [
    ("Date(UTC),Pair,Side,Price,Executed,Amount,Fee", "binance-trades"),
    ("Date(UTC+0),Coin,Network,Amount,Address,TXID,Status", "binance-deposits"),
    ("Date(UTC+0),Coin,Network,Amount,Fee,Address,TXID,Status", "binance-withdrawals"),
    ("User_ID,UTC_Time,Account,Operation,Coin,Change,Remark", "binance-statement"),
    ("UTC_Time,Account,Operation,Coin,Change,Remark", "binance-statement"),
])
def test_each_export_is_detected_by_its_header(header, name):
    fmt = formats.detect(header.split(","))
    assert (fmt.name, fmt.ledger_source, fmt.match_by_content) == (name, "binance", True)


def test_golden_trade_history():
    got = [(t.timestamp.isoformat(), t.kind, _legs(t), t.description, t.source)
           for t in _rows(DATA / "trade_history.csv")]
    buy = ("2024-03-01T14:05:07+00:00", Kind.TRADE,
           (("USDT", Decimal("62.0005")), ("BTC", Decimal("0.001")), ("BTC", Decimal("0.000001"))),
           "buy BTC/USDT", "binance")
    assert got == [
        buy, buy,   # two identical fills in one second stay two
        ("2024-03-02T09:00:00+00:00", Kind.TRADE,
         (("ETH", Decimal("1250.5")), ("BTC", Decimal("62.525")), ("BTC", Decimal("0.062525"))), "sell ETH/BTC",
         "binance"),
        ("2024-03-02T10:30:00+00:00", Kind.TRADE,
         (("BNB", Decimal("2")), ("USDT", Decimal("820")), ("BNB", Decimal("0.0015"))), "sell BNB/USDT", "binance"),
    ]
    ids = [t.external_id for t in _rows(DATA / "trade_history.csv")]
    assert all(i.startswith("content:") for i in ids) and ids[0] != ids[1] and len(set(ids)) == 4


def test_golden_deposits_withdrawals_and_statement():
    (dep,) = _rows(DATA / "deposit_history.csv")   # the Pending row moved nothing
    assert (dep.timestamp.isoformat(), dep.kind, _legs(dep), dep.tx_hash) == (
        "2024-02-28T10:00:00+00:00", Kind.DEPOSIT, (None, ("USDT", Decimal("1000")), None), "7c1e0a11d2")
    (wd,) = _rows(DATA / "withdrawal_history.csv")
    assert (wd.timestamp.isoformat(), wd.kind, _legs(wd), wd.tx_hash) == (
        "2024-03-05T12:00:00+00:00", Kind.WITHDRAWAL, (("ETH", Decimal("1.2")), None, ("ETH", Decimal("0.0015"))),
        "0xfeed01")
    statement = _rows(DATA / "statement.csv")
    income = [(t.timestamp.isoformat(), t.kind, t.received.asset, t.received.amount, t.label)
              for t in statement if t.kind is Kind.INCOME]
    # a trade's rows of one second are one trade; wallet-to-wallet moves change nothing
    (trade,) = [t for t in statement if t.kind is Kind.TRADE]
    assert (trade.timestamp.isoformat(), _legs(trade)) == (
        "2024-03-01T14:05:07+00:00",
        (("USDT", Decimal("62.0005")), ("BTC", Decimal("0.001")), ("BTC", Decimal("0.000001"))))
    assert income == [
        ("2024-03-03T00:00:00+00:00", Kind.INCOME, "USDT", Decimal("0.01234567"), "interest"),
        ("2024-03-04T01:02:03+00:00", Kind.INCOME, "ETH", Decimal("0.00012"), "staking"),
        ("2024-03-04T05:00:00+00:00", Kind.INCOME, "BNB", Decimal("0.5"), "airdrop"),
    ]


def test_importing_all_four_files_and_again_adds_nothing_twice(db_url):
    engine = api.workspace(db_url)
    files = sorted(DATA.glob("*.csv"))
    first = api.import_csv(engine, files, "bn")
    assert [(Path(r.path).name, r.format, r.rows, r.inserted) for r in first] == [
        ("deposit_history.csv", "binance-deposits", 1, 1), ("statement.csv", "binance-statement", 4, 4),
        # the statement's trade is one of the trade history's two identical fills: held once
        ("trade_history.csv", "binance-trades", 4, 3), ("withdrawal_history.csv", "binance-withdrawals", 1, 1)]
    assert first[1].skipped == (("move between own Binance wallets", 1),)
    again = api.import_csv(engine, files, "bn")
    assert [(r.rows, r.inserted) for r in again] == [(1, 0), (4, 0), (4, 0), (1, 0)]
    assert len(list(api.transactions(engine))) == 9


@pytest.mark.parametrize("file, bad, line, column, words", [
    ("trade_history.csv", ("2024-03-01 14:05:07,BTCUSDT,BUY,62000.5,0.001BTC,62.0005USDT,0.000001BTC\n"
                           "2024-03-01 14:05:08,BTCUSDT,BUY,62000.5,0.001 B TC,62USDT,0BTC"), 3, "Executed",
     "not an amount with its asset"),
    ("trade_history.csv", "2024-03-01T14:05:07,BTCUSDT,BUY,1,1BTC,1USDT,0BTC", 2, "Date(UTC)", "not a date"),
    ("trade_history.csv", "2024-03-01 14:05:07,BTCUSDT,HOLD,1,1BTC,1USDT,0BTC", 2, "Side", "'HOLD' is not one of"),
    ("trade_history.csv", "2024-03-01 14:05:07,ETHUSDT,BUY,1,1BTC,1USDT,0BTC", 2, "Pair", "does not match"),
    ("trade_history.csv", "2024-03-01 14:05:07,BTCUSDT,BUY,1,1BTC,1.2.3USDT,0BTC", 2, "Amount", "not an amount"),
    ("trade_history.csv", "2024-03-01 14:05:07,BTCUSDT,BUY,1,1BTC,12,34USDT,0BTC", 2, None, "cells"),
    ("withdrawal_history.csv", "2024-03-05 12:00:00,ETH,ETH,1.2,abc,0x1,0xfe,Completed", 2, "Fee", "not a number"),
    ("deposit_history.csv", "2024-03-05 12:00:00,ETH,ETH,1,0x1,0xfe,Lost", 2, "Status", "'Lost' is not one of"),
    ("statement.csv", "1,2024-03-04 01:02:03,Spot,Mystery Bonus,ETH,1,", 2, "Operation", "does not know"),
    ("statement.csv", "1,2024-03-04 01:02:03,USD-M Futures,Realized Profit and Loss,USDT,1,", 2, "Account",
     "futures and margin"),
    ("statement.csv", "1,2024-03-04 01:02:03,Spot,Staking Rewards,ETH,-1,", 2, "Change", "negative"),
    ("statement.csv", "1,2024-03-04 01:02:03,Spot,Staking Rewards,ETH,1e,", 2, "Change", "not a number"),
])
def test_bad_row_names_file_line_column_and_writes_nothing(db_url, tmp_path, file, bad, line, column, words):
    engine = api.workspace(db_url)
    api.import_csv_file(engine, DATA / "trade_history.csv", "bn")
    header = (DATA / file).read_text().splitlines()[0]
    path = tmp_path / file
    path.write_text(f"{header}\n{bad}\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        api.import_csv_file(engine, path, "bn")
    assert (err.value.line, err.value.column) == (line, column)
    message = str(err.value)
    assert str(path) in message and f"line {line}" in message and words in message
    assert [a.transactions for a in api.accounts(engine)] == [4]


# --- the same account through the API and through its files -------------------------------------------------------

def _export_files(history, folder: Path) -> list[Path]:
    """The four exports Binance would give for `history`: times cut to the second, no Binance ids."""
    markets = {m.symbol: m for m in history.markets}
    trades = [[f"{second(t.timestamp):%Y-%m-%d %H:%M:%S}", m.id, t.side.upper(), f"{t.price:f}",
               f"{t.amount:f}{m.base}", f"{t.cost:f}{m.quote}", f"{t.fee:f}{t.fee_currency}"]
              for t in reversed(history.trades) for m in [markets[t.symbol]]]   # Binance lists the newest first
    deposits = [[f"{second(d.timestamp):%y-%m-%d %H:%M:%S}", d.currency, d.network, f"{d.amount:f}", d.address, d.txid,
                 "Completed"] for d in history.deposits]
    withdrawals = [[f"{second(w.timestamp):%Y-%m-%d %H:%M:%S}", w.currency, w.network, f"{w.amount:f}", f"{w.fee:f}",
                    w.address, w.txid, "Completed"] for w in history.withdrawals]
    statement = [["35493786", f"{second(r.timestamp):%Y-%m-%d %H:%M:%S}", "Spot",
                  "Staking Rewards" if r.label == "staking" else "Airdrop Assets", r.currency, f"{r.amount:f}", ""]
                 for r in history.rewards]
    return [
        write_csv(folder / "trades.csv", TRADES_HEADER, trades),
        write_csv(folder / "deposits.csv", ["Date(UTC+0)", "Coin", "Network", "Amount", "Address", "TXID", "Status"],
                  deposits),
        write_csv(folder / "withdrawals.csv",
                  ["Date(UTC+0)", "Coin", "Network", "Amount", "Fee", "Address", "TXID", "Status"], withdrawals),
        write_csv(folder / "statement.csv", ["User_ID", "UTC_Time", "Account", "Operation", "Coin", "Change", "Remark"],
                  statement),
    ]


def _api_ids(history) -> set[str]:
    ids = {f"trade:{t.symbol}:{t.id}" for t in history.trades}
    ids |= {f"deposit:{d.id}" for d in history.deposits} | {f"withdrawal:{w.id}" for w in history.withdrawals}
    return ids | {f"income:{r.id}" for r in history.rewards}


@pytest.fixture(scope="module")
def history():
    return small_history()


def test_files_after_sync_add_nothing(tmp_path, monkeypatch, history):
    set_credentials(monkeypatch)
    engine = api.workspace(str(tmp_path / "w.db"))
    with replica("binance", history) as rep:
        synced = sync(engine, rep)
    total = len(history.trades) + len(history.deposits) + len(history.withdrawals) + len(history.rewards)
    assert synced.inserted == total
    results = api.import_csv(engine, _export_files(history, tmp_path), "main")
    assert [(r.error, r.rows, r.inserted) for r in results] == [
        (None, len(history.trades), 0), (None, len(history.deposits), 0), (None, len(history.withdrawals), 0),
        (None, len(history.rewards), 0)]
    assert {t.external_id for t in api.transactions(engine)} == _api_ids(history)


def test_sync_after_files_adds_nothing_and_gives_the_file_rows_binance_ids(tmp_path, monkeypatch, history):
    set_credentials(monkeypatch)
    engine = api.workspace(str(tmp_path / "w.db"))
    files = _export_files(history, tmp_path)
    imported = api.import_csv(engine, files, "main")
    total = len(history.trades) + len(history.deposits) + len(history.withdrawals) + len(history.rewards)
    assert sum(r.inserted for r in imported) == total
    with replica("binance", history) as rep:
        first = sync(engine, rep)
        assert (first.records, first.inserted) == (total, 0)
        txs = list(api.transactions(engine))
        assert len(txs) == total
        # each file row now carries the id the API gave its record: later runs match by id
        assert {t.external_id for t in txs} == _api_ids(history)
        assert Counter(t.kind for t in txs)[Kind.INCOME] == len(history.rewards)
        assert sync(engine, rep).inserted == 0
    assert [r.inserted for r in api.import_csv(engine, files, "main")] == [0, 0, 0, 0]
    assert len(list(api.transactions(engine))) == total


def test_only_the_rows_the_api_lacks_are_added(tmp_path, monkeypatch, history):
    """A file overlapping the sync in part: the overlap is skipped, the rest (e.g. older history) is added."""
    set_credentials(monkeypatch)
    engine = api.workspace(str(tmp_path / "w.db"))
    with replica("binance", history) as rep:
        sync(engine, rep)
    first = history.trades[0]
    m = history.market(first.symbol)
    older = ["2023-06-01 08:00:00", m.id, "BUY", "1", f"1{m.base}", f"5{m.quote}", f"0.001{m.base}"]
    same = [f"{second(first.timestamp):%Y-%m-%d %H:%M:%S}", m.id, first.side.upper(), f"{first.price:f}",
            f"{first.amount:f}{m.base}", f"{first.cost:f}{m.quote}", f"{first.fee:f}{first.fee_currency}"]
    path = write_csv(tmp_path / "part.csv", TRADES_HEADER, [older, same, same])   # the file has that fill twice
    result = api.import_csv_file(engine, path, "main")
    assert (result.rows, result.inserted) == (3, 2)   # the older fill and the second copy
