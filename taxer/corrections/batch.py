"""Reading a batch of corrections from CSV (for accountants with many): one correction per line.

Columns: kind, transaction, note (required); other, value, acquired, currency, by (as the kind needs). `value`
is the label of a relabel, the cost of a basis, the amount of a value, the parts of a split ("0.4:gift 0.6").
"""

from __future__ import annotations

import csv
from pathlib import Path

from taxer.errors import InputError

COLUMNS = ("kind", "transaction", "other", "value", "acquired", "currency", "note", "by")
REQUIRED = ("kind", "transaction", "note")


def read_rows(path: Path) -> list[dict[str, str]]:
    """The file's lines as dicts keyed by column; InputError for an unreadable file or a wrong header."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip().lower() for name in reader.fieldnames or ()]
            missing = [name for name in REQUIRED if name not in header]
            unknown = [name for name in header if name not in COLUMNS]
            if missing or unknown:
                problem = f"missing column(s) {', '.join(missing)}" if missing else \
                    f"unknown column(s) {', '.join(unknown)}"
                raise InputError(f"{problem}; the header must name columns among {', '.join(COLUMNS)} "
                                 f"(required: {', '.join(REQUIRED)})", file=str(path), line=1)
            rows = []
            for raw in reader:
                if None in raw:
                    raise InputError("more fields than the header has columns (quote values with commas)",
                                     file=str(path), line=reader.line_num)
                row = {name.strip().lower(): (value or "").strip() for name, value in raw.items()}
                if any(row.values()):  # blank lines are skipped
                    rows.append({**row, "line": reader.line_num})
            if not rows:
                raise InputError("the file holds no corrections", file=str(path))
            return rows
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", file=str(path)) from None
    except UnicodeDecodeError:
        raise InputError("the file is not UTF-8 text", file=str(path)) from None
