"""Coinbase's transaction history CSV: detection past its preamble, a golden import, bad rows, and overlap with
a sync of the same account (the file and the API give the same ids, so nothing is added twice)."""

from __future__ import annotations

import functools
import shutil
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from taxer import api
from taxer.errors import InputError
from taxer.exchanges.gateway import Gateway, RetryPolicy
from taxer.importers import formats
from taxer.importers.coinbase_csv import COLUMNS, OLD_COLUMNS
from taxer.importers.csvfile import read_records
from taxer.model import Kind
from taxer.sync import AccountSync
from taxer_replica import Permissions, Replica, generate_history
from taxer_replica.coinbase import quote_fee

SAMPLE = Path(__file__).parent / "data" / "coinbase" / "transaction_history.csv"
PREAMBLE = ('"You can use this transaction report to inform your likely tax obligations."\n\nTransactions\n'
            "User,Jane Doe,3f1e1d5c-0000-4000-8000-00000000c0de\n")
HEADER = ",".join(COLUMNS)


def _ledger(engine):
    def leg(x):
        return f"{x.amount} {x.asset}" if x else None
    return [(t.timestamp.isoformat(), t.kind, leg(t.sent), leg(t.received), leg(t.fee), t.label, t.external_id)
            for t in api.transactions(engine)]


def test_detected_by_header_both_layouts_and_past_the_preamble():
    assert formats.detect(list(COLUMNS)).name == "coinbase"
    assert formats.detect(list(reversed(OLD_COLUMNS))).name == "coinbase_2022"
    fmt, records = read_records(SAMPLE, "cb")
    assert fmt.name == "coinbase" and fmt.ledger_source == "coinbase"
    assert [r.origin for r in records] == [f"transaction_history.csv:{n}" for n in range(6, 12)]


def test_golden_import(tmp_path):
    engine = api.workspace(str(tmp_path / "w.db"))
    result = api.import_csv_file(engine, SAMPLE, "cb")
    assert (result.format, result.rows, result.inserted) == ("coinbase", 6, 6)
    assert _ledger(engine) == [
        ("2024-01-03T09:15:02+00:00", Kind.DEPOSIT, None, "2500 USDC", None, None, "deposit:1300000000000012345"),
        ("2024-01-05T12:34:56+00:00", Kind.TRADE, "2160.506 USDC", "0.05 BTC", "5.184 USDC", None,
         "trade:BTC/USDC:1100000000000054321"),
        ("2024-02-10T18:00:00+00:00", Kind.TRADE, "0.02 BTC", "940 USDC", "2.256 USDC", None,
         "trade:BTC/USDC:1100000000000054400"),
        ("2024-03-01T00:00:01+00:00", Kind.INCOME, None, "0.00123456 ETH", None, "staking",
         "income:1500000000000000777"),
        ("2024-03-15T08:30:00+00:00", Kind.WITHDRAWAL, "0.01 BTC", None, None, None,
         "withdrawal:1400000000000000099"),
        ("2024-04-02T10:00:00+00:00", Kind.TRADE, "100 USDC", "0.0312 ETH", None, None,
         "convert:65f0a1b2c3d4e5f6a7b8c9d0"),
    ]
    again = api.import_csv_file(engine, SAMPLE, "cb")
    assert again.inserted == 0


@pytest.mark.parametrize("row, column, words", [
    ("9,2024-05-01 10:00:00 UTC,Staking Income,ETH,abc,USD,$1,$1,$1,$0,", "Quantity Transacted", "not a number"),
    ("9,2024-05-01 10:00:00,Receive,ETH,1,USD,$1,$1,$1,$0,", "Timestamp", "no time zone"),
    ("9,2024-05-01 10:00:00 UTC,Margin Call,ETH,1,USD,$1,$1,$1,$0,", "Transaction Type", "unknown Coinbase"),
    ("9,2024-05-01 10:00:00 UTC,Convert,ETH,1,USD,$1,$1,$1,$0,swapped", "Notes", "Converted 0.5 ETH"),
])
def test_a_bad_row_names_file_line_and_column_and_writes_nothing(tmp_path, row, column, words):
    path = tmp_path / "bad.csv"
    good = SAMPLE.read_text().splitlines()[5:7]
    path.write_text(PREAMBLE + HEADER + "\n" + "\n".join(good) + "\n" + row + "\n")
    engine = api.workspace(str(tmp_path / "w.db"))
    with pytest.raises(InputError) as err:
        api.import_csv_file(engine, path, "cb")
    assert (err.value.file, err.value.line, err.value.column) == (str(path), 8, column)
    assert words in str(err.value)
    assert list(api.transactions(engine)) == []


def _money(x: Decimal) -> str:
    return f"${x:,f}"


def _export(history, path: Path) -> Path:
    """The CSV Coinbase would give for `history`: one row per send, receive, reward and Advanced Trade fill."""
    lines = [PREAMBLE + HEADER]
    for ev in history.events:
        stamp = datetime.fromtimestamp(ev.timestamp // 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        if hasattr(ev, "side"):
            base, quote = ev.symbol.split("/")
            fee = quote_fee(ev)
            total = ev.cost + fee if ev.side == "buy" else ev.cost - fee
            qty = ev.amount if ev.side == "buy" else -ev.amount
            kind = "Advanced Trade Buy" if ev.side == "buy" else "Advanced Trade Sell"
            note = (f"{'Bought' if ev.side == 'buy' else 'Sold'} {ev.amount} {base} for {total} {quote} on "
                    f"{base}-{quote} at {ev.price} {quote}/{base}")
            lines.append(f'{ev.id},{stamp},{kind},{base},{qty},USD,"{_money(ev.price)}","{_money(ev.cost)}",'
                         f'"{_money(total)}","{_money(fee)}",{note}')
        elif hasattr(ev, "label"):
            kind = "Staking Income" if ev.label == "staking" else "Learning Reward"
            lines.append(f"{ev.id},{stamp},{kind},{ev.currency},{ev.amount},USD,$1,$1,$1,$0,")
        elif ev.kind == "deposit":
            lines.append(f"{ev.id},{stamp},Receive,{ev.currency},{ev.amount},USD,$1,$1,$1,$0,")
        else:
            lines.append(f"{ev.id},{stamp},Send,{ev.currency},-{ev.amount},USD,$1,$1,$1,$0,")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_file_and_sync_of_one_account_add_nothing_twice(tmp_path, monkeypatch):
    history = generate_history(seed=4, trades=400, start="2024-01-01", end="2024-12-31")
    key = "organizations/0a0b0c0d/apiKeys/0e0f1011"
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption()).decode()
    monkeypatch.setenv("TAXER_MAIN_API_KEY", key)
    monkeypatch.setenv("TAXER_MAIN_SECRET", pem)
    export = _export(history, tmp_path / "coinbase.csv")
    fast = functools.partial(Gateway, retry=RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.01))
    with Replica("coinbase", history, api_key=key, secret=pem, permissions=Permissions.READ_ONLY) as rep:
        engine = api.workspace(str(tmp_path / "w.db"))
        api.add_account(engine, "main", exchange="coinbase", api_url=rep.url)
        (acct,) = api.accounts(engine)
        report = AccountSync(engine, acct, gateway_factory=fast).run()
        assert report.error is None
        synced = len(list(api.transactions(engine)))
        assert synced == len(history.events)
        result = api.import_csv_file(engine, export, "main")
        assert (result.rows, result.inserted) == (len(history.events), 0)
        # and the other way round: the file first, then the sync adds nothing
        other = api.workspace(str(tmp_path / "o.db"))
        api.add_account(other, "main", exchange="coinbase", api_url=rep.url)
        assert api.import_csv_file(other, shutil.copy(export, tmp_path / "again.csv"), "main").inserted == synced
        (acct2,) = api.accounts(other)
        assert AccountSync(other, acct2, gateway_factory=fast).run().inserted == 0
