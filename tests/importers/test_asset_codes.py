"""An asset cell a spreadsheet would run as a formula (`=HYPERLINK(...)`, `@SUM(...)`, `-2+3`, `+1`) or that holds
no code is refused where it enters, naming file, line and column, in every format; the ledger stays empty."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from taxer import api
from taxer.errors import InputError
from taxer.importers import rows
from taxer.importers.rows import RowError

EXPORTS = Path(__file__).resolve().parents[1] / "real" / "exports"
BAD = ['=HYPERLINK("http://x","y")', "@SUM(A1:A2)", "-2+3", "+1", "BTC;DROP", "B\tTC"]
# real-layout file -> the column its first data row names an asset in
CELLS = {
    "koinly/universal-label.csv": "Received Currency",
    "kraken/ledgers.csv": "asset",
    "binance/statement-operations.csv": "Coin",
    "binance/deposit-history-v1.csv": "Coin",
    "binance/withdraw-history-v2.csv": "Coin",
    "binance/spot-trade-history-old.csv": "Fee Coin",
    "bitget/spot-financial-record.csv": "Coin",
    "coinbase/transactions-usd-columns.csv": "Asset",
    "okx/funding-history.csv": "Symbol",
    "okx/trades-v1-cst.csv": "currency",
}


def _with_cell(source: Path, column: str, value: str) -> tuple[str, int]:
    """The file with `column` of its first row after the header set to `value`, and that row's line."""
    text = source.read_text(encoding="utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    header = next(i for i, r in enumerate(table) if column in [c.strip() for c in r])
    at = next(i for i in range(header + 1, len(table)) if any(c.strip() for c in table[i]))
    table[at][[c.strip() for c in table[header]].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(table)
    return out.getvalue(), at + 1


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize("name", sorted(CELLS))
def test_a_bad_asset_code_is_refused_naming_file_line_and_column(tmp_path, sqlite_url, name, bad):
    column = CELLS[name]
    text, line = _with_cell(EXPORTS / name, column, bad)
    path = tmp_path / Path(name).name
    path.write_text(text, encoding="utf-8")
    engine = api.workspace(sqlite_url)
    with pytest.raises(InputError) as err:
        api.import_csv_file(engine, path, "acct")
    assert (err.value.file, err.value.line, err.value.column) == (str(path), line, column), str(err.value)
    assert "is not an asset code" in str(err.value)
    assert list(api.transactions(engine)) == []


def test_the_row_helpers_check_the_code_and_the_backstop_finds_its_column():
    with pytest.raises(RowError) as err:
        rows.leg({"Amount": "1", "Currency": "=1+1"}, "Amount", "Currency")
    assert err.value.column == "Currency"
    with pytest.raises(RowError) as err:
        rows.amount_with_unit("0.5@SUM", "Executed", assets=("@SUM",))
    assert err.value.column == "Executed"
    assert rows.asset(" eth2.s ", "Coin") == "ETH2.S" and rows.asset("", "Coin") == ""
    fields = {"received": rows.Leg("-2+3", rows.Decimal(1))}
    with pytest.raises(RowError) as err:
        rows.check_assets(fields, {"When": "2024-01-01", "What": " -2+3 "})
    assert err.value.column == "What"
