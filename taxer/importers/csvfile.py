"""Reading a CSV file into ledger records: detect the format, parse every row strictly, give each a stable id."""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from taxer.errors import InputError
from taxer.importers import formats
from taxer.importers.rows import RowError
from taxer.model import Leg, Transaction


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """A parsed transaction with where it came from and the row as the file gave it."""

    transaction: Transaction
    origin: str     # "file.csv:12"
    payload: str    # JSON object of the row's cells


def open_csv(path: Path) -> tuple[formats.CsvFormat, list[str], Iterator[tuple[int, list[str]]]]:
    """Detect the format from the header; return it, the header and an iterator of (line, cells)."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("file not found; check the path", file=str(path)) from None
    except IsADirectoryError:
        raise InputError("is a folder, not a CSV file", file=str(path)) from None
    except PermissionError:
        raise InputError("cannot be read (permission denied)", file=str(path)) from None
    reader = csv.reader(handle)
    try:
        header = next(reader, None)
    except (UnicodeDecodeError, csv.Error) as exc:
        handle.close()
        raise InputError(f"cannot be read as a UTF-8 CSV file ({exc}); export it again as CSV (UTF-8)",
                         file=str(path), line=1) from None
    if header is None or not any(cell.strip() for cell in header):
        handle.close()
        raise InputError("the file is empty; expected a header row and one row per transaction", file=str(path))
    fmt = formats.detect(header)
    if fmt is None:
        known = "; ".join(f"{f.title}: {','.join(f.required)}" for f in formats.formats())
        handle.close()
        raise InputError(f"unknown CSV format: the header row is {','.join(header)[:200]!r}. taxer reads these "
                         f"formats (header columns): {known}.", file=str(path), line=1)

    def lines() -> Iterator[tuple[int, list[str]]]:
        with handle:
            line = reader.line_num + 1
            try:
                for cells in reader:
                    yield line, cells
                    line = reader.line_num + 1
            except (UnicodeDecodeError, csv.Error) as exc:
                raise InputError(f"cannot be read as CSV ({exc})", file=str(path), line=line) from None

    return fmt, [h.strip() for h in header], lines()


def read_records(path: Path, account: str) -> tuple[formats.CsvFormat, Iterator[SourceRecord]]:
    """The file's format and a lazy iterator of its records; a bad row raises InputError naming file/line/column."""
    fmt, header, lines = open_csv(path)
    name = path.name

    def records() -> Iterator[SourceRecord]:
        seen: dict[str, int] = {}
        width = len(header)
        for line, cells in lines:
            if not any(c.strip() for c in cells):
                continue  # blank lines carry nothing
            if len(cells) != width:
                raise InputError(f"has {len(cells)} cells but the header has {width} columns; check for a "
                                 "missing or extra comma, or quote values that contain commas",
                                 file=str(path), line=line)
            row = dict(zip(header, cells))
            try:
                fields = fmt.parse_row(row)
            except RowError as exc:
                raise InputError(exc.message, file=str(path), line=line, column=exc.column) from None
            if fields is None:
                continue  # a row this format leaves to another file or the API (documented per format)
            external_id = fields.pop("external_id", None) or (
                (row.get(fmt.id_column) or "").strip() if fmt.id_column else "")
            if not external_id:
                # Identical rows are legitimate (two equal fills in one second): number their occurrences so
                # a re-import of the same or a longer export maps each row to the same id.
                digest = _fingerprint(fields)
                seen[digest] = seen.get(digest, 0) + 1
                external_id = f"{digest}-{seen[digest]}"
                if fmt.match_by_content:
                    external_id = formats.CONTENT_PREFIX + external_id  # says: no exchange id, match me by content
            tx = Transaction(account=account, source=fmt.ledger_source, external_id=external_id, **fields)
            yield SourceRecord(tx, f"{name}:{line}", json.dumps(row, ensure_ascii=False))

    return fmt, records()


def _leg_text(leg: Leg | None) -> str:
    return f"{leg.amount.normalize():f} {leg.asset}" if leg else ""


def _fingerprint(f: dict) -> str:
    """A content hash of what makes a transaction itself (not its description), stable across re-exports."""
    text = "|".join((f["timestamp"].isoformat(), f["kind"].value, _leg_text(f.get("sent")),
                     _leg_text(f.get("received")), _leg_text(f.get("fee")), f.get("label") or "",
                     f.get("tx_hash") or ""))
    return hashlib.sha256(text.encode()).hexdigest()[:32]
