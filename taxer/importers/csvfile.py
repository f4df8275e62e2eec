"""Reading a CSV file into ledger records: detect the format, parse every row strictly, give each a stable id."""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from taxer.errors import InputError
from taxer.importers import formats
from taxer.importers.rows import RowError
from taxer.model import Transaction
from taxer.model.identity import content_digest
from taxer.model.stored import stored_values

PREAMBLE_LINES = 10


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """A parsed transaction with where it came from and the row as the file gave it."""

    transaction: Transaction
    origin: str     # "file.csv:12"
    payload: str    # JSON object of the row's cells


def open_csv(path: Path) -> tuple[formats.CsvFormat, list[str], Iterator[tuple[int, list[str]]]]:
    """Detect the format from the header; return it, the header and an iterator of (line, cells)."""
    fmt, header, lines, _data_line = _open_csv(path)
    return fmt, header, lines


def _open_csv(path: Path) -> tuple[formats.CsvFormat, list[str], Iterator[tuple[int, list[str]]], int]:
    """`open_csv`, plus the line number the data starts on."""
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
        while header is not None and not any(c.strip() for c in header) and reader.line_num < PREAMBLE_LINES:
            header = next(reader, None)   # blank lines before a preamble or header
    except (UnicodeDecodeError, csv.Error) as exc:
        handle.close()
        raise InputError(f"cannot be read as a UTF-8 CSV file ({exc}); export it again as CSV (UTF-8)",
                         file=str(path), line=1) from None
    if header is None or not any(cell.strip() for cell in header):
        handle.close()
        raise InputError("the file is empty; expected a header row and one row per transaction", file=str(path))
    fmt = formats.detect(header)
    first = header
    # Some exports (Coinbase) put a few lines of notice before the header row: look a little further.
    for _ in range(PREAMBLE_LINES if fmt is None else 0):
        try:
            row = next(reader, None)
        except (UnicodeDecodeError, csv.Error):
            break
        if row is None:
            break
        fmt = formats.detect(row)
        if fmt is not None:
            header = row
            break
    if fmt is None:
        header = first
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

    return fmt, [h.strip() for h in header], lines(), reader.line_num + 1


# Files above this size parse in worker processes (the main one reads cells and writes the database meanwhile);
# below it, starting workers costs more than it saves.
PARALLEL_BYTES = 8 << 20
BATCH = 2000
_PAYLOAD = json.JSONEncoder(ensure_ascii=False).encode


def default_workers(path: Path) -> int:
    """How many parser processes suit this file on this machine (1: parse in this process)."""
    try:
        size = path.stat().st_size
    except OSError:
        return 1
    return min(os.cpu_count() or 1, 4) if size > PARALLEL_BYTES else 1


def read_records(path: Path, account: str) -> tuple[formats.CsvFormat, Iterator[SourceRecord]]:
    """The file's format and a lazy iterator of its records; a bad row raises InputError naming file/line/column."""
    fmt, header, lines = open_csv(path)
    parsed = (_parse_batch(fmt.name, account, header, batch) for batch in _batches(lines, BATCH))
    return fmt, (SourceRecord(replace(tx, external_id=external_id), origin, payload)
                 for tx, external_id, origin, payload in _with_ids(path, fmt, parsed))


def read_rows(path: Path, account: str, *, workers: int | None = None, batch: int = BATCH
              ) -> tuple[formats.CsvFormat, Iterator[tuple[tuple, str, str]]]:
    """`read_records` as (`ledger.stored_row`, origin, payload) for `ledger.insert_rows`, parsed in `workers`
    processes when more than one (default: by file size and cores). Same rows, same order, same errors."""
    fmt, header, lines, data_line = _open_csv(path)
    workers = default_workers(path) if workers is None else workers
    start = _data_offset(path, data_line) if workers > 1 else None
    if start is not None:
        lines.close()
        parsed = _parse_parallel(fmt.name, account, header, str(path),
                                 _byte_chunks(path, start, data_line, batch * 120), workers)
    else:
        parsed = (_parse_stored(fmt.name, account, header, b) for b in _batches(lines, batch))
    return fmt, ((row[:-1] + (external_id,), origin, payload)
                 for row, external_id, origin, payload in _with_ids(path, fmt, parsed))


def _data_offset(path: Path, data_line: int) -> int | None:
    """The byte offset of line `data_line` when every line break of the file ends a record (no quoted field
    spans lines), so worker processes can read pieces of it on their own; None when a field may span lines.

    A quoted field that spans lines leaves an odd number of quote characters on its first line."""
    with path.open("rb") as handle:
        for _ in range(data_line - 1):
            handle.readline()
        start = handle.tell()
        while block := handle.read(4 << 20):
            block += handle.readline()
            if b'"' in block and any(line.count(b'"') & 1 for line in block.split(b"\n")):
                return None
            if b"\n" not in block and len(block) > 1 << 16:
                return None  # lines end in a lone carriage return: leave them to the csv reader
    return start


def _byte_chunks(path: Path, start: int, line: int, size: int) -> Iterator[tuple[int, int, int]]:
    """(offset, length, first line number) of pieces of about `size` bytes, each ending at a line break."""
    with path.open("rb") as handle:
        handle.seek(start)
        offset = start
        while block := handle.read(size):
            if not block.endswith(b"\n"):
                block += handle.readline()
            yield offset, len(block), line
            offset += len(block)
            line += block.count(b"\n")


def _parse_piece(fmt_name: str, account: str, header: list[str], path: str, piece: tuple[int, int, int]):
    """In a worker process: read one piece of the file and `_parse_stored` its rows."""
    offset, length, first = piece
    with open(path, "rb") as handle:
        handle.seek(offset)
        data = handle.read(length)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _Failure(first + data.count(b"\n", 0, exc.start), None,
                        f"cannot be read as CSV ({exc}); export it again as CSV (UTF-8)")
    reader = csv.reader(io.StringIO(text, newline=""))
    batch = []
    line = first
    try:
        for cells in reader:
            batch.append((line, cells))
            line = first + reader.line_num
    except csv.Error as exc:
        return _Failure(line, None, f"cannot be read as CSV ({exc})")
    return _parse_stored(fmt_name, account, header, batch)


def _with_ids(path: Path, fmt: formats.CsvFormat, parsed: Iterator) -> Iterator[tuple]:
    """Give every parsed row its external id and origin; raise the first bad row as an InputError."""
    # A hash id of a format matched by content says so: a later sync recognizes the row (taxer.store.matching).
    prefix = formats.CONTENT_PREFIX if fmt.match_by_content else ""
    seen: dict[str, int] = {}
    name = path.name
    for rows in parsed:
        if isinstance(rows, _Failure):
            raise InputError(rows.message, file=str(path), line=rows.line, column=rows.column)
        for line, item, external_id, digest, payload in rows:
            if not external_id:
                # Identical rows are legitimate (two equal fills in one second): number their occurrences so
                # a re-import of the same or a longer export maps each row to the same id.
                seen[digest] = seen.get(digest, 0) + 1
                external_id = f"{prefix}{digest}-{seen[digest]}"
            yield item, external_id, f"{name}:{line}", payload


@dataclass(frozen=True)
class _Failure:
    """A bad row found by a parser (process): exceptions with keyword arguments do not cross processes."""

    line: int | None
    column: str | None
    message: str


def _batches(lines: Iterator[tuple[int, list[str]]], size: int) -> Iterator[list[tuple[int, list[str]]]]:
    batch: list[tuple[int, list[str]]] = []
    for item in lines:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _parse_batch(fmt_name: str, account: str, header: list[str], batch: list[tuple[int, list[str]]],
                 stored: bool = False):
    """Rows of a batch as (line, transaction without its id, own id or "", content hash or "", payload), or the
    first bad row as a _Failure. With `stored`, each transaction is a `ledger.stored_row` instead (plain values,
    cheap to send between processes; the record itself is never built)."""
    fmt = formats.by_name(fmt_name)
    source = fmt.ledger_source
    width = len(header)
    out = []
    for line, cells in batch:
        if not any(c.strip() for c in cells):
            continue  # blank lines carry nothing
        if len(cells) != width:
            return _Failure(line, None, f"has {len(cells)} cells but the header has {width} columns; check for a "
                                        "missing or extra comma, or quote values that contain commas")
        row = dict(zip(header, cells))
        try:
            fields = fmt.parse_row(row)
        except RowError as exc:
            return _Failure(line, exc.column, exc.message)
        if fields is None:
            continue  # a row the format says holds nothing for the ledger (kraken ledgers.csv's trade legs)
        external_id = fields.pop("external_id", None) or (
            (row.get(fmt.id_column) or "").strip() if fmt.id_column else "")
        digest = "" if external_id else _fingerprint(fields)
        item = stored_values(source=source, **fields) if stored else \
            Transaction(account=account, source=source, **fields)
        out.append((line, item, external_id, digest, _PAYLOAD(row)))
    return out


def _parse_stored(fmt_name: str, account: str, header: list[str], batch: list[tuple[int, list[str]]]):
    return _parse_batch(fmt_name, account, header, batch, stored=True)


def _parse_parallel(fmt_name: str, account: str, header: list[str], path: str,
                    pieces: Iterator[tuple[int, int, int]], workers: int):
    """`_parse_piece` over the file's pieces in worker processes, results in file order, at most 2 pieces per
    worker in flight so memory stays flat whatever the file's size. The main process only writes."""
    # fork starts fast and needs no `if __name__ == "__main__"` guard in the caller's script; it is unsafe only
    # when other threads may hold locks (a test server, a GUI), where spawn is used instead.
    context = multiprocessing.get_context("fork" if threading.active_count() == 1 else "spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    pending: deque = deque()
    try:
        for piece in pieces:
            pending.append(pool.submit(_parse_piece, fmt_name, account, header, path, piece))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _fingerprint(f: dict) -> str:
    """A content hash of what makes a transaction itself (not its description), stable across re-exports."""
    return content_digest(f["timestamp"], f["kind"], f.get("sent"), f.get("received"), f.get("fee"), f.get("label"),
                          f.get("tx_hash"))
