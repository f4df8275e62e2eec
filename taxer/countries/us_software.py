"""turbotax.csv and taxact.csv: the year's Form 8949 lines in the CSV layouts online tax software uploads.

TurboTax Online (crypto upload, "other source" gains and losses CSV): the header
`Currency Name,Purchase Date,Cost Basis,Date Sold,Proceeds`, one row per sale, dates MM/DD/YYYY, plain amounts.
Sources: Intuit's help article "How do I create a CSV file for an unsupported source?" (TurboTax support,
ttlc.intuit.com, L1yhp71Nt: headers must match its accepted names, negative numbers make the upload fail, at most
8 decimal places); the same five columns are what open-source exporters write for TurboTax (for example
nickdnickd.com's 2021 write-up of the TurboTax error message, and several public repositories' TurboTax exporters).
The layout has no column for the Form 8949 box or the column (g) adjustment: rows go in Form 8949 order (box by
box), and a line's adjustment must be entered in TurboTax after the upload (the proceeds and basis are the
form's). Row limit: we found no statement of it on Intuit's pages we could search; taxer starts a new numbered
file (turbotax_2.csv, ...) after TURBOTAX_ROWS rows: 4,000, a figure we could not confirm in the sources we
searched (lower it if TurboTax refuses a file).

TaxAct (Stock Assistant, "Import from CSV"): TaxAct's help article 882 "Form 1099-B - Create Your Own Spreadsheet
(CSV File)" names the columns Description, Date Sold, Sales Proceeds, Date Acquired, Cost or Other Basis, and the
optional Adjustment Code, Adjustment Amount and Reporting Category (the Form 8949 box); article 1026 accepts
"Various" as a date acquired. The help page we read lists reporting categories A-F; digital-asset lines of 2025
and later are written with their own boxes G-L, as Form 8949 has them. We found no documented row limit for
TaxAct's CSV import, so taxact.csv is one file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from taxer.files import csv_bytes
from taxer.money import money

TURBOTAX_HEADER = ("Currency Name", "Purchase Date", "Cost Basis", "Date Sold", "Proceeds")
TURBOTAX_ROWS = 4000
TAXACT_HEADER = ("Description", "Date Acquired", "Date Sold", "Sales Proceeds", "Cost or Other Basis",
                 "Adjustment Code", "Adjustment Amount", "Reporting Category")
TAXACT_ROWS: int | None = None  # no documented limit found


def us_date(iso: str, various: str = "VARIOUS") -> str:
    """'2024-03-01' -> '03/01/2024'."""
    if iso.upper() == "VARIOUS":
        return various
    d = date.fromisoformat(iso)
    return f"{d.month:02d}/{d.day:02d}/{d.year:04d}"


def numbered(name: str, header: Sequence[str], rows: Sequence[Sequence[object]], limit: int | None
             ) -> dict[str, bytes]:
    """`name` holding the first `limit` rows, then name_2, name_3 ... each with the header (one file when None)."""
    if limit is None or len(rows) <= limit:
        return {name: csv_bytes(header, rows)}
    stem, dot, ext = name.rpartition(".")
    return {(name if n == 0 else f"{stem}_{n + 1}{dot}{ext}"): csv_bytes(header, rows[at:at + limit])
            for n, at in enumerate(range(0, len(rows), limit))}


def turbotax_rows(lines: Iterable[Any]) -> list[tuple[str, ...]]:
    return [(r.description, us_date(r.date_acquired), money(r.cost_basis), us_date(r.date_sold), money(r.proceeds))
            for r in lines]


def taxact_rows(lines: Iterable[Any]) -> list[tuple[str, ...]]:
    return [(r.description, us_date(r.date_acquired, "Various"), us_date(r.date_sold), money(r.proceeds),
             money(r.cost_basis), r.adjustment_code, money(r.adjustment) if r.adjustment else "", r.box)
            for r in lines]


def turbotax(view: Any, limit: int | None = None) -> dict[str, bytes]:
    """turbotax.csv (and turbotax_2.csv ... past the row limit)."""
    return numbered("turbotax.csv", TURBOTAX_HEADER, turbotax_rows(view.form8949), limit or TURBOTAX_ROWS)


def taxact(view: Any) -> dict[str, bytes]:
    """taxact.csv."""
    return numbered("taxact.csv", TAXACT_HEADER, taxact_rows(view.form8949), TAXACT_ROWS)
