"""Reading a CSV file into ledger records: detect the format, parse every row strictly, give each a stable id."""

from __future__ import annotations

import csv
import hashlib
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
from taxer.importers import rows as cells_
from taxer.importers.rows import Part, RowError, Skip
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
    def detect(cells: list[str]):
        try:
            return formats.detect(cells, path.name)
        except ValueError as exc:
            handle.close()
            raise InputError(str(exc), file=str(path), line=reader.line_num) from None

    fmt = detect(header)
    first = header
    # Some exports (Coinbase) put a few lines of notice before the header row: look a little further.
    for _ in range(PREAMBLE_LINES if fmt is None else 0):
        try:
            row = next(reader, None)
        except (UnicodeDecodeError, csv.Error):
            break
        if row is None:
            break
        fmt = detect(row)
        if fmt is not None:
            header = row
            break
    if fmt is not None:
        names = [h.strip() for h in header]
        for name in fmt.repeated:   # the layout's own repeated columns, told apart by position
            at = [i for i, h in enumerate(names) if h == name]
            for k, i in enumerate(at[1:], start=2):
                names[i] = f"{name} {k}"
        header = names
        if fmt.columns is not None:
            known = {*fmt.columns, *fmt.required, *(f"{n} {k}" for n in fmt.repeated for k in range(2, 4)), ""}
            extra = [h for h in names if h not in known]
            if extra:
                handle.close()
                raise InputError(f"the header looks like the {fmt.title} but has the column {extra[0]!r}, which "
                                 f"that export does not have (its columns: {', '.join((*fmt.required, *fmt.columns))});"
                                 " check that the header was not edited", file=str(path), line=reader.line_num,
                                 column=extra[0])
        twice = sorted({h for h in names if h and names.count(h) > 1})
        if twice:
            handle.close()
            raise InputError(f"the header names {', '.join(repr(h) for h in twice)} twice; taxer cannot tell which "
                             "column holds the value: remove or rename the extra column", file=str(path),
                             line=reader.line_num, column=twice[0])
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


@dataclass(frozen=True, slots=True)
class SkippedRow:
    """A row that holds nothing for the ledger (a move between the exchange's own wallets, a pending transfer):
    counted by reason and kept in the raw records under `raw_id`."""

    reason: str
    origin: str
    payload: str
    raw_id: str


def read_records(path: Path, account: str, *, skipped: list | None = None, date_format: str | None = None
                 ) -> tuple[formats.CsvFormat, Iterator[SourceRecord]]:
    """The file's format and a lazy iterator of its records; a bad row raises InputError naming file/line/column.
    Skipped rows are appended to `skipped` (SkippedRow) when given."""
    fmt, header, lines = open_csv(path)
    parsed = (_parse_batch(fmt.name, account, header, batch, date_format=date_format)
              for batch in _batches(lines, BATCH))

    def build(fields):
        return Transaction(account=account, source=fmt.ledger_source, **fields)

    return fmt, (SourceRecord(replace(tx, external_id=external_id), origin, payload)
                 for tx, external_id, origin, payload in _with_ids(path, fmt, parsed, build, skipped))


def read_rows(path: Path, account: str, *, workers: int | None = None, batch: int = BATCH,
              skipped: list | None = None, date_format: str | None = None
              ) -> tuple[formats.CsvFormat, Iterator[tuple[tuple, str, str]]]:
    """`read_records` as (`ledger.stored_row`, origin, payload) for `ledger.insert_rows`, parsed in `workers`
    processes when more than one (default: by file size and cores). Same rows, same order, same errors."""
    fmt, header, lines, data_line = _open_csv(path)
    workers = default_workers(path) if workers is None else workers
    start = _data_offset(path, data_line) if workers > 1 else None
    if start is not None:
        lines.close()
        parsed = _parse_parallel(fmt.name, account, header, str(path),
                                 _byte_chunks(path, start, data_line, batch * 120), workers, date_format)
    else:
        parsed = (_parse_stored(fmt.name, account, header, b, date_format) for b in _batches(lines, batch))

    def build(fields):
        return stored_values(source=fmt.ledger_source, **fields)

    return fmt, ((row[:-1] + (external_id,), origin, payload)
                 for row, external_id, origin, payload in _with_ids(path, fmt, parsed, build, skipped))


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


def _parse_piece(fmt_name: str, account: str, header: list[str], path: str, date_format: str | None,
                 piece: tuple[int, int, int]):
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
    return _parse_stored(fmt_name, account, header, batch, date_format)


def _with_ids(path: Path, fmt: formats.CsvFormat, parsed: Iterator, build, skipped: list | None) -> Iterator[tuple]:
    """Give every parsed row its external id and origin; raise the first bad row as an InputError.

    Skipped rows go to `skipped`; parts of a record spread over rows are combined here (in file order, whatever
    process parsed them); an exchange id seen twice must hold the same transaction both times."""
    # A hash id of a format matched by content says so: a later sync recognizes the row (taxer.store.matching).
    prefix = formats.CONTENT_PREFIX if fmt.match_by_content else ""
    seen: dict[str, int] = {}
    own_ids: dict[str, tuple[int, int]] = {}   # exchange id -> (content hash, line)
    name = path.name
    parts: list[tuple[int, Part, str]] = []

    def fail(message: str, line: int | None, column: str | None = None):
        return InputError(message, file=str(path), line=line, column=column)

    def one(line, item, external_id, digest, payload, origin):
        if not external_id:
            # Identical rows are legitimate (two equal fills in one second): number their occurrences so
            # a re-import of the same or a longer export maps each row to the same id.
            seen[digest] = seen.get(digest, 0) + 1
            external_id = f"{prefix}{digest}-{seen[digest]}"
        else:
            content = _content_hash(item)
            first = own_ids.setdefault(external_id, (content, line))
            if first[0] != content:
                raise fail(f"has the id {external_id.rpartition(':')[2]!r} of line {first[1]} but other amounts, "
                           "kind or time; one id is one record: the file was edited or mixes two exports",
                           line)
        return item, external_id, origin, payload

    def flush():
        if not parts:
            return
        group = list(parts)
        parts.clear()
        try:
            combined = fmt.combine([part for _line, part, _payload in group])
        except RowError as exc:
            line = next((n for n, part, _payload in group if part is exc.part), group[0][0])
            raise fail(exc.message, line, exc.column) from None
        by_part = {id(part): (line, payload) for line, part, payload in group}
        for members, fields in combined:
            lines = [by_part[id(p)][0] for p in members]
            payload = "[" + ",".join(by_part[id(p)][1] for p in members) + "]"
            external_id = fields.pop("external_id", None) or ""
            digest = "" if external_id else _fingerprint(fields)
            yield one(lines[0], build(fields), external_id, digest, payload,
                      f"{name}:{','.join(map(str, lines))}")

    for rows in parsed:
        if isinstance(rows, _Failure):
            raise fail(rows.message, rows.line, rows.column)
        for line, item, external_id, digest, payload in rows:
            if isinstance(item, Skip):
                if skipped is not None:
                    seen[payload] = seen.get(payload, 0) + 1
                    raw = "skipped:" + content_digest_text(payload) + f"-{seen[payload]}"
                    skipped.append(SkippedRow(item.reason, f"{name}:{line}", payload, raw))
                continue
            if isinstance(item, Part):
                if parts and parts[-1][1].key != item.key:
                    yield from flush()
                parts.append((line, item, payload))
                continue
            yield one(line, item, external_id, digest, payload, f"{name}:{line}")
    yield from flush()


def content_digest_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _content_hash(item) -> int:
    """What must agree between two rows with one exchange id: time, kind and legs (amounts as numbers)."""
    if isinstance(item, Transaction):
        return hash((item.timestamp, item.kind, item.sent, item.received, item.fee))
    return hash((item[0], item[1], item[2], _number_text(item[3]), item[4], _number_text(item[5]), item[6],
                 _number_text(item[7])))


def _number_text(text: str | None) -> str | None:
    return text.rstrip("0").rstrip(".") if text and "." in text else text


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
                 stored: bool = False, date_format: str | None = None):
    """Rows of a batch as (line, transaction without its id, own id or "", content hash or "", payload), or the
    first bad row as a _Failure. With `stored`, each transaction is a `ledger.stored_row` instead (plain values,
    cheap to send between processes; the record itself is never built). A skipped row's item is its Skip, a
    part of a record spread over rows its Part (the driver combines them)."""
    fmt = formats.by_name(fmt_name)
    source = fmt.ledger_source
    width = len(header)
    out = []
    cells_.date_order = cells_.DATE_ORDERS.get(date_format or "", date_format)
    try:
        for line, cells in batch:
            if not any(c.strip() for c in cells):
                continue  # blank lines carry nothing
            if len(cells) != width:
                if len(cells) > width and not any(c.strip() for c in cells[width:]):
                    cells = cells[:width]   # trailing empty cells a spreadsheet added
                elif len(cells) == width - 1:
                    cells = cells + [""]   # exporters drop an empty last cell (Binance's statement, its Remark)
                else:
                    return _Failure(line, None, f"has {len(cells)} cells but the header has {width} columns; check "
                                                "for an extra comma, or quote values that contain commas")
            row = dict(zip(header, cells))
            try:
                fields = fmt.parse_row(row)
                cells_.check_assets(fields, row)   # whatever the format read its assets with
            except RowError as exc:
                return _Failure(line, exc.column, exc.message)
            if fields is None:
                fields = Skip("holds nothing for the ledger")
            if isinstance(fields, (Skip, Part)):
                out.append((line, fields, "", "", _PAYLOAD(row)))
                continue
            external_id = fields.pop("external_id", None) or (
                (row.get(fmt.id_column) or "").strip() if fmt.id_column else "")
            digest = "" if external_id else _fingerprint(fields)
            try:
                item = stored_values(source=source, **fields) if stored else \
                    Transaction(account=account, source=source, **fields)
            except (ValueError, OverflowError) as exc:
                return _Failure(line, None, f"cannot be stored ({exc})")
            out.append((line, item, external_id, digest, _PAYLOAD(row)))
    finally:
        cells_.date_order = None
    return out


def _parse_stored(fmt_name: str, account: str, header: list[str], batch: list[tuple[int, list[str]]],
                  date_format: str | None = None):
    return _parse_batch(fmt_name, account, header, batch, stored=True, date_format=date_format)


def _parse_parallel(fmt_name: str, account: str, header: list[str], path: str,
                    pieces: Iterator[tuple[int, int, int]], workers: int, date_format: str | None = None):
    """`_parse_piece` over the file's pieces in worker processes, results in file order, at most 2 pieces per
    worker in flight so memory stays flat whatever the file's size. The main process only writes."""
    # fork starts fast and needs no `if __name__ == "__main__"` guard in the caller's script; it is unsafe only
    # when other threads may hold locks (a test server, a GUI), where spawn is used instead.
    context = multiprocessing.get_context("fork" if threading.active_count() == 1 else "spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    pending: deque = deque()
    try:
        for piece in pieces:
            pending.append(pool.submit(_parse_piece, fmt_name, account, header, path, date_format, piece))
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
