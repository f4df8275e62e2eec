"""Every real export layout in tests/real/exports imports as its `.expected.json` says (see the README there).

Each file goes through the real import path (`taxer.api.import_csv` into a real SQLite ledger) and the ledger's
rows are compared with the expectation: kind, legs, fee, UTC time, label, stated value and the lines each came
from. A file with rows taxer must refuse is refused as a whole, naming the first of them, and leaves the ledger
unchanged; the same file with those rows blanked out (line numbers kept) then imports the rest exactly.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from taxer import api
from taxer.store import ledger

EXPORTS = Path(__file__).parent / "exports"
FILES = sorted(EXPORTS.glob("*/*.csv"))


def _lines(entry) -> list[int]:
    line = entry["line"]
    return sorted(line if isinstance(line, list) else [line])


def _leg(leg):
    return None if leg is None else (leg.asset, leg.amount)


def _expected_leg(leg):
    return None if leg is None else (leg["asset"], Decimal(leg["amount"]))


def _import(tmp_path: Path, path: Path, text: bytes | None = None):
    """Import `path` (or `text` under its name: the name can say which export it is) into a fresh ledger."""
    folder = tmp_path / ("blanked" if text is not None else "original")
    folder.mkdir()
    target = folder / path.name
    target.write_bytes(path.read_bytes() if text is None else text)
    engine = api.workspace(f"sqlite:///{folder / 'ledger.db'}")
    (result,) = api.import_csv(engine, [target], "acct")
    return engine, result


def _ledger(engine):
    txs = list(api.transactions(engine, account="acct"))
    with engine.connect() as conn:
        origins = ledger.raw_records(conn, [t.id for t in txs], payload=False)
    return {tuple(int(n) for n in origins[t.id][0].rpartition(":")[2].split(",")): t for t in txs}


def _blank(data: bytes, lines: set[int]) -> bytes:
    """`data` with the given physical lines emptied (a BOM stays; line numbers do not move)."""
    parts = data.split(b"\n")
    for n in lines:
        keep_cr = parts[n - 1].endswith(b"\r")
        parts[n - 1] = b"\r" if keep_cr else b""
    return b"\n".join(parts)


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.name}" for p in FILES])
def test_export_imports_as_expected(tmp_path, path):
    expected = json.loads(path.with_name(path.stem + ".expected.json").read_text(encoding="utf-8"))
    entries = expected["rows"]
    refused = sorted(line for e in entries if "refuse" in e for line in _lines(e))
    if refused:
        engine, result = _import(tmp_path, path)
        assert result.error and f"line {refused[0]}" in result.error, result.error
        assert list(api.transactions(engine)) == []
        engine, result = _import(tmp_path, path, _blank(path.read_bytes(), set(refused)))
    else:
        engine, result = _import(tmp_path, path)
    assert result.error is None, result.error
    got = _ledger(engine)
    want = {tuple(_lines(e)): e for e in entries if "kind" in e}
    assert sorted(got) == sorted(want), "transactions by their lines"
    for lines, e in want.items():
        tx = got[lines]
        assert tx.kind.value == e["kind"], lines
        assert tx.timestamp.isoformat() == e["timestamp"], lines
        assert (_leg(tx.sent), _leg(tx.received), _leg(tx.fee)) == (
            _expected_leg(e.get("sent")), _expected_leg(e.get("received")), _expected_leg(e.get("fee"))), lines
        if "label" in e or tx.kind.value == "income":
            assert tx.label == e.get("label"), lines
        if "fair_value" in e:
            assert (tx.fair_value, tx.fair_value_currency) == (Decimal(e["fair_value"]), e["fair_value_currency"])
    skipped = [e for e in entries if "skip" in e]
    assert result.skipped_rows == sum(len(_lines(e)) for e in skipped), result.skipped
    with engine.connect() as conn:
        kept = {origin for origin, in conn.exec_driver_sql(
            "SELECT origin FROM raw_records WHERE external_id LIKE 'skipped:%'")}
    assert kept == {f"{path.name}:{line}" for e in skipped for line in _lines(e)}, "skipped rows kept as raw records"
