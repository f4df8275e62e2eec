"""Writing report files so a crash never leaves one half-written, no write follows a planted link, and the
same inputs give the same bytes.

Every file taxer writes goes to a NEW temporary file beside its target, created with O_CREAT|O_EXCL|O_NOFOLLOW
(so neither an existing file nor a symbolic link planted under that name is ever opened), then renamed over the
target. A rename replaces a link at the target's name; it never writes through it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import secrets
from collections.abc import Iterable, Sequence
from pathlib import Path

from taxer.money import Amount

_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) \
    | getattr(os, "O_BINARY", 0)


def create_new(path: Path, mode: int = 0o666) -> int:
    """Open a file that did not exist (never an existing file, never through a link): a writable descriptor."""
    return os.open(path, _NEW_FILE, mode)  # the umask applies, as to any ordinary file


def write_new(path: Path, data: bytes) -> None:
    """Write `data` to a file that must not exist yet (FileExistsError if anything, even a link, has the name)."""
    fd = create_new(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write to a new temporary file beside `path`, then rename it over `path`: whole or not at all."""
    path = Path(path)
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            write_new(tmp, data)
            break
        except FileExistsError:
            continue  # someone holds that name (perhaps a planted link): draw another
    else:  # pragma: no cover - 100 collisions of 48 random bits
        raise FileExistsError(f"no free temporary name beside {path}")
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    sync_folder(path.parent)


def sync_folder(folder: Path) -> None:
    """Make renames in `folder` durable (best effort: not every platform can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# A text cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets (OWASP, "CSV
# Injection"): such a cell is written with a leading apostrophe, which spreadsheets show as text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> object:
    """A CSV cell: numbers (int, Decimal, and the Amount strings taxer.money prints) as they are; text that a
    spreadsheet would run as a formula neutralized with a leading apostrophe."""
    if isinstance(value, str) and not isinstance(value, Amount) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A CSV file as bytes; every text cell safe to open in a spreadsheet (see `cell`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([cell(h) for h in header])
    writer.writerows([cell(v) for v in row] for row in rows)
    return buffer.getvalue().encode("utf-8")


def json_bytes(data: object) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
