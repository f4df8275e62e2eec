"""User-supplied prices: a CSV with the columns timestamp, asset, quote, price (any order, any case)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime, time
from pathlib import Path

from taxer.errors import InputError
from taxer.importers import rows
from taxer.importers.rows import RowError
from taxer.model import UTC
from taxer.model.names import NameProblem, check_asset
from taxer.model.prices import PriceRow

COLUMNS = ("timestamp", "asset", "quote", "price")


def _when(text: str) -> tuple[datetime, str]:
    """A bare date is a daily price for that UTC day; a timestamp is a price at that instant."""
    value = text.strip()
    if len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return datetime.combine(datetime.fromisoformat(value).date(), time(), tzinfo=UTC), "1d"
        except ValueError:
            raise RowError("timestamp", f"{value!r} is not a date; expected 2024-03-01 or "
                                        "2024-03-01 14:05:00 UTC") from None
    return rows.utc_timestamp(value, "timestamp"), "point"


def read_prices(path: Path) -> list[PriceRow]:
    """Every price in the file, or InputError naming file, line and column; nothing partial."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror}); check the path", file=str(path)) from None
    with handle:
        reader = csv.reader(handle)
        header = [h.strip().lower() for h in next(reader, [])]
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise InputError(f"is not a price file: the header needs the columns {', '.join(COLUMNS)} (missing "
                             f"{', '.join(missing)})", file=str(path), line=1)
        index = {c: header.index(c) for c in COLUMNS}
        out = []
        for line, cells in _numbered(reader):
            if not any(c.strip() for c in cells):
                continue
            try:
                if len(cells) != len(header):
                    raise RowError(None, f"has {len(cells)} cells but the header has {len(header)} columns")
                at, resolution = _when(cells[index["timestamp"]])
                asset = cells[index["asset"]].strip().upper()
                quote = cells[index["quote"]].strip().upper()
                if not asset or not quote:
                    raise RowError("asset" if not asset else "quote", "is empty; expected a symbol such as BTC or USD")
                for column, code in (("asset", asset), ("quote", quote)):
                    try:
                        check_asset(code)
                    except NameProblem as exc:
                        raise RowError(column, str(exc)) from None
                price = rows.amount(cells[index["price"]], "price")
                if price is None:
                    raise RowError("price", "is empty; expected a positive number such as 42150.25")
            except RowError as exc:
                raise InputError(exc.message, file=str(path), line=line, column=exc.column) from None
            out.append(PriceRow(asset, quote, resolution, at, price, "user"))
    return out


def _numbered(reader) -> Iterator[tuple[int, list[str]]]:
    line = reader.line_num + 1
    for cells in reader:
        yield line, cells
        line = reader.line_num + 1
