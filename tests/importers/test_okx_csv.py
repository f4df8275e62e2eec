"""okx's CSV exports: detection, golden imports, bad rows (file/line/column, nothing written), file + API overlap."""

from __future__ import annotations

import functools
from decimal import Decimal
from pathlib import Path

import pytest

from taxer import api
from taxer.errors import InputError
from taxer.exchanges.gateway import Gateway, RetryPolicy
from taxer.exchanges.normalize import from_ms
from taxer.importers import formats
from taxer.model import Kind
from taxer.sync import AccountSync
from taxer_replica import Permissions, Replica, generate_history
from taxer_replica.okx import CHAINS
from tests.conftest import KOINLY_HEADER

DATA = Path(__file__).parent / "data" / "okx"
TRADES_HEADER = "Trade ID,Order ID,Time,Instrument,Side,Filled Price,Filled Amount,Fee,Fee Currency"
FUNDING_HEADER = "Time,Type,ID,Currency,Amount,Fee,Chain,Address,TxID"


def _rows(engine):
    out = []
    for t in api.transactions(engine):
        legs = tuple((leg.asset, leg.amount) if leg else None for leg in (t.sent, t.received, t.fee))
        out.append((t.timestamp.isoformat(), t.kind, *legs, t.label, t.tx_hash, t.source, t.external_id))
    return sorted(out, key=lambda r: r[-1])


def test_detects_both_exports_by_header_and_not_koinly():
    assert formats.detect(TRADES_HEADER.split(",")).name == "okx-trades"
    assert formats.detect(list(reversed(FUNDING_HEADER.split(",")))).name == "okx-funding"
    assert formats.detect(KOINLY_HEADER.split(",")).name == "koinly"
    assert formats.detect(TRADES_HEADER.split(",")[:-1]) is None


def test_golden_trade_history(sqlite_url):
    engine = api.workspace(sqlite_url)
    result = api.import_csv_file(engine, DATA / "trade_history.csv", "okx-main")
    assert (result.format, result.rows, result.inserted) == ("okx-trades", 3, 3)
    D = Decimal
    assert _rows(engine) == [
        ("2024-03-01T14:05:00+00:00", Kind.TRADE, ("USDT", D("918.5175")), ("BTC", D("0.015")), ("BTC", D("0.000015")),
         None, None, "okx", "trade:BTC/USDT:1100000000000000101"),
        # 0.05712345 x 0.12345 = 0.0070518899025: the quote okx books, at 8 decimals
        ("2024-03-02T09:30:15+00:00", Kind.TRADE, ("ETH", D("0.12345")), ("BTC", D("0.00705189")),
         ("BTC", D("0.00000705")), None, None, "okx", "trade:ETH/BTC:1100000000000000102"),
        ("2024-03-03T06:00:00+00:00", Kind.TRADE, ("USDT", D("355.425")), ("SOL", D("2.5")), ("SOL", D("0.0025")),
         None, None, "okx", "trade:SOL/USDT:1100000000000000103"),
    ]


def test_golden_funding_statement(sqlite_url):
    engine = api.workspace(sqlite_url)
    result = api.import_csv_file(engine, DATA / "funding_statement.csv", "okx-main")
    assert (result.format, result.rows, result.inserted) == ("okx-funding", 5, 5)
    D = Decimal
    assert _rows(engine) == [
        ("2024-02-28T10:00:00+00:00", Kind.DEPOSIT, None, ("USDT", D("5000")), None, None, "0xd1f2a3", "okx",
         "deposit:1300000000000000301"),
        ("2024-03-06T00:00:00+00:00", Kind.INCOME, None, ("ETH", D("0.00123456")), None, "staking", None, "okx",
         "income:1600000000000000501"),
        ("2024-03-07T00:00:00+00:00", Kind.INCOME, None, ("SOL", D("0.5")), None, "airdrop", None, "okx",
         "income:1600000000000000502"),
        ("2024-03-08T00:00:00+00:00", Kind.IGNORED, ("USDT", D("100")), None, None, "internal transfer", None, "okx",
         "transfer:1600000000000000503"),
        ("2024-03-05T12:00:00+00:00", Kind.WITHDRAWAL, ("SOL", D("1.5")), None, ("SOL", D("0.008")), None, "5sigsol",
         "okx", "withdrawal:1400000000000000401"),
    ]


GOOD_TRADE = "1100000000000000101,1200000000000000201,2024-03-01 14:05:00 UTC,BTC-USDT,buy,61234.5,0.015,-0.000015,BTC"
GOOD_FUNDING = "2024-02-28 10:00:00 UTC,Deposit,1300000000000000301,USDT,5000,0,USDT-TRC20,TN3W4,0xd1f2a3"


@pytest.mark.parametrize("header, good, bad, column, words", [
    (TRADES_HEADER, GOOD_TRADE, GOOD_TRADE.replace("61234.5", "61,234.5").replace("1101,", "1104,"), None, "cells"),
    (TRADES_HEADER, GOOD_TRADE, GOOD_TRADE.replace("61234.5", "abc").replace("1101,", "1104,"), "Filled Price",
     "not a number"),
    (TRADES_HEADER, GOOD_TRADE, GOOD_TRADE.replace(" UTC", "").replace("1101,", "1104,"), "Time", "no time zone"),
    (TRADES_HEADER, GOOD_TRADE, GOOD_TRADE.replace("BTC-USDT", "BTC-USDT-SWAP").replace("1101,", "1104,"),
     "Instrument", "not a spot instrument"),
    (TRADES_HEADER, GOOD_TRADE, GOOD_TRADE.replace(",buy,", ",long,").replace("1101,", "1104,"), "Side", "side"),
    (FUNDING_HEADER, GOOD_FUNDING, GOOD_FUNDING.replace("Deposit", "Margin call").replace("0301", "0302"), "Type",
     "unknown type 'Margin call'"),
    (FUNDING_HEADER, GOOD_FUNDING, GOOD_FUNDING.replace(",5000,", ",,").replace("0301", "0302"), "Amount", "is empty"),
])
def test_bad_row_names_file_line_column_and_writes_nothing(tmp_path, sqlite_url, header, good, bad, column, words):
    engine = api.workspace(sqlite_url)
    path = tmp_path / "okx.csv"
    path.write_text(f"{header}\n{good}\n{bad}\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        api.import_csv_file(engine, path, "okx-main")
    message = str(err.value)
    assert str(path) in message and "line 3" in message and words in message
    assert (err.value.line, err.value.column) == (3, column)
    assert list(api.transactions(engine)) == []   # the good first row was not kept either


def _write_exports(history, folder: Path, bill_of: dict[str, str]) -> tuple[Path, Path]:
    """okx's two exports for the account the replica serves, from the same History records."""
    def when(ms: int) -> str:
        t = from_ms(ms)
        return t.strftime("%Y-%m-%d %H:%M:%S.") + f"{t.microsecond // 1000:03d}" + " UTC"

    trades = [TRADES_HEADER] + [
        f"{t.id},{t.order_id},{when(t.timestamp)},{t.symbol.replace('/', '-')},{t.side},{t.price},{t.amount},"
        f"-{t.fee},{t.fee_currency}" for t in history.trades]
    funding = [FUNDING_HEADER]
    for r in (*history.deposits, *history.withdrawals):
        sign, kind = ("", "Deposit") if r.kind == "deposit" else ("-", "Withdrawal")
        funding.append(f"{when(r.timestamp)},{kind},{r.id},{r.currency},{sign}{r.amount},{sign}{r.fee},"
                       f"{r.currency}-{CHAINS[r.network]},{r.address},{r.txid}")
    for w in history.rewards:
        kind = "Staking yield" if w.label == "staking" else "Airdrop"
        funding.append(f"{when(w.timestamp)},{kind},{bill_of[w.id]},{w.currency},{w.amount},,,,")
    paths = folder / "okx_trades.csv", folder / "okx_funding.csv"
    for path, lines in zip(paths, (trades, funding)):
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return paths


def test_export_and_api_sync_of_one_account_hold_each_record_once(tmp_path, monkeypatch):
    history = generate_history(seed=9, trades=400, start="2024-01-01", end="2024-12-31")
    for name, value in (("API_KEY", "k-okx-1"), ("SECRET", "s-okx-secret-1"), ("PASSWORD", "p-okx-1")):
        monkeypatch.setenv(f"TAXER_MAIN_{name}", value)
    fast = functools.partial(Gateway, retry=RetryPolicy(attempts=3, base_delay=0.001))
    with Replica("okx", history, api_key="k-okx-1", secret="s-okx-secret-1", passphrase="p-okx-1",
                 permissions=Permissions.READ_ONLY) as rep:
        engine = api.workspace(str(tmp_path / "w.db"))
        api.add_account(engine, "main", exchange="okx", api_url=rep.url)
        (acct,) = api.accounts(engine)
        report = AccountSync(engine, acct, gateway_factory=fast).run()
    assert report.error is None, report.error
    synced = len(list(api.transactions(engine)))
    bill_of = {e.ref: e.id for e in history.ledger() if e.kind == "reward"}
    trades_csv, funding_csv = _write_exports(history, tmp_path, bill_of)
    trades = api.import_csv_file(engine, trades_csv, "main")
    funding = api.import_csv_file(engine, funding_csv, "main")
    assert (trades.rows, trades.inserted) == (len(history.trades), 0)
    assert (funding.rows, funding.inserted) == (len(history.deposits) + len(history.withdrawals)
                                                + len(history.rewards), 0)
    assert len(list(api.transactions(engine))) == synced
    # and the other way round: files first, then the sync adds nothing
    fresh = api.workspace(str(tmp_path / "files-first.db"))
    for path in (trades_csv, funding_csv):
        api.import_csv_file(fresh, path, "main")
    with Replica("okx", history, api_key="k-okx-1", secret="s-okx-secret-1", passphrase="p-okx-1",
                 permissions=Permissions.READ_ONLY) as rep:
        api.add_account(fresh, "main", exchange="okx", api_url=rep.url)
        (acct,) = api.accounts(fresh)
        again = AccountSync(fresh, acct, gateway_factory=fast).run()
    assert again.error is None and again.inserted == 0 and again.records == synced
