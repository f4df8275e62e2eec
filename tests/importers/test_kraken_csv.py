"""kraken's trades.csv and ledgers.csv: detection, golden imports, bad rows, and no duplicates with an API sync."""

from __future__ import annotations

import base64
import functools
from decimal import Decimal
from pathlib import Path

import pytest

from taxer import api
from taxer.errors import InputError
from taxer.exchanges.gateway import Gateway, RetryPolicy
from taxer.importers import formats
from taxer.importers.kraken_csv import pair_symbol
from taxer.model import Kind
from taxer.sync import AccountSync
from taxer_replica import Permissions, Replica, generate_history
from taxer_replica.kraken import export_csv

DATA = Path(__file__).parent / "data" / "kraken"
D = Decimal


def _header(name: str) -> list[str]:
    return (DATA / name).read_text().splitlines()[0].replace('"', "").split(",")


def _rows(engine):
    return [(t.timestamp.isoformat(), t.kind, t.sent and (t.sent.asset, t.sent.amount),
             t.received and (t.received.asset, t.received.amount), t.fee and (t.fee.asset, t.fee.amount), t.label,
             t.source, t.external_id) for t in api.transactions(engine)]


def test_both_exports_are_detected_by_their_header():
    assert formats.detect(_header("trades.csv")).name == "kraken_trades"
    assert formats.detect(_header("ledgers.csv")).name == "kraken_ledgers"
    older = [c for c in _header("ledgers.csv") if c != "wallet"]   # exports before kraken added the wallet column
    assert formats.detect(older).name == "kraken_ledgers"
    assert formats.detect(["txid", "refid", "time", "type", "asset", "amount"]) is None


@pytest.mark.parametrize("pair, symbol", [("XXBTZUSD", "BTC/USD"), ("XETHXXBT", "ETH/BTC"), ("SOLXBT", "SOL/BTC"),
                                          ("XBTUSDT", "BTC/USDT"), ("USDTZUSD", "USDT/USD"), ("XDGEUR", "DOGE/EUR"),
                                          ("XBT/USD", "BTC/USD")])
def test_pair_names_become_ccxt_symbols(pair, symbol):
    assert pair_symbol(pair) == symbol


def test_golden_trades_import(sqlite_url):
    engine = api.workspace(sqlite_url)
    result = api.import_csv_file(engine, DATA / "trades.csv", "kraken-main")
    assert (result.format, result.rows, result.inserted) == ("kraken_trades", 3, 3)
    assert _rows(engine) == [
        ("2024-03-01T14:05:00.123400+00:00", Kind.TRADE, ("USD", D("620.00000")), ("BTC", D("0.01000000")),
         ("USD", D("1.61200")), None, "kraken", "trade:BTC/USD:TDLH43-DVQXD-2KHVYY"),
        ("2024-03-02T09:30:15.500000+00:00", Kind.TRADE, ("ETH", D("0.50000000")), ("BTC", D("0.02700000")),
         ("BTC", D("0.00007020")), None, "kraken", "trade:ETH/BTC:TCCCTY-WE2O6-P3NB37"),
        ("2024-03-03T00:00:01+00:00", Kind.TRADE, ("USDT", D("261.00000")), ("SOL", D("2.00000000")),
         ("USDT", D("0.67860")), None, "kraken", "trade:SOL/USDT:TZX2WP-XSEOP-FP7WYR"),
    ]


def test_golden_ledgers_import_keeps_trades_funding_and_income_and_skips_own_moves(sqlite_url):
    engine = api.workspace(sqlite_url)
    result = api.import_csv_file(engine, DATA / "ledgers.csv", "kraken-main")
    assert (result.format, result.inserted) == ("kraken_ledgers", 6)
    assert result.skipped == (("move between own kraken wallets", 1),
                              ("pending (kraken lists it again with a txid)", 1))
    assert _rows(engine) == [
        ("2023-11-20T01:02:03+00:00", Kind.INCOME, None, ("DOT", D("0.0300000000")), None, "staking", "kraken",
         "income:LD5CJU-T6JDP-ZV6XTM"),
        ("2024-02-28T10:02:11.510000+00:00", Kind.DEPOSIT, None, ("USD", D("1000.0000")), None, None, "kraken",
         "deposit:QCCBN7J-AFMJJG-4OOKTT"),
        # the trade's two rows, with the id trades.csv and the sync give it
        ("2024-03-01T14:05:00.123400+00:00", Kind.TRADE, ("USD", D("620.0000")), ("BTC", D("0.0100000000")),
         ("USD", D("1.6120")), None, "kraken", "trade:BTC/USD:TDLH43-DVQXD-2KHVYY"),
        ("2024-03-05T00:12:40.040000+00:00", Kind.INCOME, None, ("DOT", D("0.0421000000")), None, "staking",
         "kraken", "income:LK7YVB-L5QQN-DFF3YS"),
        ("2024-03-06T08:00:00+00:00", Kind.INCOME, None, ("FLR", D("15.0000")), None, "airdrop", "kraken",
         "income:LGC7HE-FUMCO-FOTU6Q"),
        ("2024-03-08T12:00:00+00:00", Kind.WITHDRAWAL, ("BTC", D("0.0050000000")), None, ("BTC", D("0.0002000000")),
         None, "kraken", "withdrawal:AGBSO6T-UFMTTQ-I7KGS6"),
    ]
    again = api.import_csv_file(engine, DATA / "ledgers.csv", "kraken-main")
    assert again.inserted == 0


@pytest.mark.parametrize("name, line, old, new, column, words", [
    ("trades.csv", 3, '"XETHXXBT"', '"ETHQQQ"', "pair", "not a kraken pair"),
    ("trades.csv", 3, '"sell"', '"short"', "type", "expected buy or sell"),
    ("trades.csv", 3, '"0.50000000"', '"0,5"', "vol", "not a number"),
    ("trades.csv", 3, '"2024-03-02 09:30:15.5000"', '"02/03/2024 09:30"', "time", "not a time"),
    ("ledgers.csv", 4, '"-620.0000"', '"abc"', "amount", "not a number"),
    ("ledgers.csv", 4, '"trade"', '"rollover"', "type", "margin and futures bookkeeping is not supported"),
    ("ledgers.csv", 9, '"airdrop"', '"gift"', "type", "unknown kraken ledger type 'transfer' (subtype 'gift')"),
    ("ledgers.csv", 8, '"earn","allocation"', '"bonus","x"', "type", "unknown kraken ledger type 'bonus'"),
])
def test_a_bad_row_names_file_line_column_and_writes_nothing(tmp_path, sqlite_url, name, line, old, new, column,
                                                             words):
    lines = (DATA / name).read_text().splitlines()
    assert old in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new)
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    engine = api.workspace(sqlite_url)
    with pytest.raises(InputError) as err:
        api.import_csv_file(engine, path, "k")
    assert (err.value.file, err.value.line, err.value.column) == (str(path), line, column)
    assert words in str(err.value) and f"line {line}" in str(err.value)
    assert list(api.transactions(engine)) == []


def test_exports_of_a_synced_account_add_nothing(tmp_path, monkeypatch):
    history = generate_history(seed=5, trades=400, start="2023-01-01", end="2024-06-30")
    secret = base64.b64encode(b"overlap-test-secret").decode()
    for var, value in (("API_KEY", "k-overlap"), ("SECRET", secret)):
        monkeypatch.setenv(f"TAXER_MAIN_{var}", value)
    with Replica("kraken", history, api_key="k-overlap", secret=secret, permissions=Permissions.READ_ONLY) as rep:
        engine = api.workspace(str(tmp_path / "w.db"))
        api.add_account(engine, "main", exchange="kraken", api_url=rep.url)
        (acct,) = api.accounts(engine)
        fast = functools.partial(Gateway, retry=RetryPolicy(attempts=4, base_delay=0.001))
        report = AccountSync(engine, acct, gateway_factory=fast).run()
    assert report.error is None, report.error
    synced = len(list(api.transactions(engine)))
    assert synced == len(history.trades) + len(history.deposits) + len(history.withdrawals) + len(history.rewards)
    for name, text in export_csv(history).items():
        path = tmp_path / name
        path.write_text(text)
        result = api.import_csv_file(engine, path, "main")
        assert result.rows > 0 and result.inserted == 0, (name, result)
    assert len(list(api.transactions(engine))) == synced


def test_exports_first_then_a_sync_adds_nothing_twice(tmp_path, monkeypatch):
    """ledgers.csv and trades.csv imported, then the account synced with a read-only key: the sync's deposits and
    withdrawals (from the Ledgers stream) and trades carry the ids the files gave them."""
    history = generate_history(seed=6, trades=200, start="2023-01-01", end="2024-06-30")
    secret = base64.b64encode(b"overlap-test-secret").decode()
    for var, value in (("API_KEY", "k-overlap"), ("SECRET", secret)):
        monkeypatch.setenv(f"TAXER_MAIN_{var}", value)
    engine = api.workspace(str(tmp_path / "w.db"))
    with Replica("kraken", history, api_key="k-overlap", secret=secret, permissions=Permissions.READ_ONLY) as rep:
        api.add_account(engine, "main", exchange="kraken", api_url=rep.url)
        for name, text in export_csv(history).items():
            (tmp_path / name).write_text(text)
            api.import_csv_file(engine, tmp_path / name, "main")
        from_files = {t.external_id for t in api.transactions(engine)}
        (acct,) = api.accounts(engine)
        fast = functools.partial(Gateway, retry=RetryPolicy(attempts=4, base_delay=0.001))
        report = AccountSync(engine, acct, gateway_factory=fast).run()
    assert report.error is None, report.error
    assert report.records > 0 and report.inserted == 0
    assert {t.external_id for t in api.transactions(engine)} == from_files
    assert {f"deposit:{d.id}" for d in history.deposits} | {f"withdrawal:{w.id}" for w in history.withdrawals} \
        <= from_files


@pytest.mark.parametrize("asset, coin", [("XBT.M", "BTC"), ("XXBT", "BTC"), ("ETH2.S", "ETH"), ("DOT.S", "DOT"),
                                         ("USDC.F", "USDC"), ("SOL.B", "SOL"), ("DOT.P", "DOT"), ("ETH.M", "ETH"),
                                         ("XETH", "ETH"), ("AAPLX.T", "AAPLX.T")])
def test_wallet_suffixed_assets_are_the_coin_the_sync_gives(tmp_path, sqlite_url, asset, coin):
    from taxer.exchanges.kraken import coin as sync_coin

    lines = (DATA / "ledgers.csv").read_text().splitlines()
    reward = next(n for n, line in enumerate(lines) if '"staking"' in line or '"reward"' in line)
    cells = lines[reward].split('","')
    header = lines[0].replace('"', "").split(",")
    cells[header.index("asset")] = asset
    path = tmp_path / "ledgers.csv"
    path.write_text("\n".join([lines[0], '","'.join(cells)]) + "\n")
    engine = api.workspace(sqlite_url)
    api.import_csv_file(engine, path, "k")
    (tx,) = api.transactions(engine)
    assert tx.received.asset == coin == sync_coin(asset)
