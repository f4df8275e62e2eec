"""The Form 1099-DA reconciliation as the PDF prints it: counts and sums by status, then the mismatches.

Formats what taxer.countries.us_1099da found; reconciliation_1099da.csv (written by the US country) lists every row.
"""

from __future__ import annotations

from decimal import Decimal

from taxer.countries.us_1099da import MATCHED, STATUSES

ZERO = Decimal("0.00")
ROWS_SHOWN = 40  # mismatches printed in full; the CSV has every row

TITLES = {"matched": "Matched", "proceeds_differ": "Proceeds differ", "basis_differ": "Basis differs",
          "only_on_1099da": "Only on the 1099-DA", "only_in_ledger": "Only in the ledger"}


def _sum(rows, name: str) -> Decimal | None:
    """The column's sum, or None where no row has a figure (the other side's status)."""
    values = [getattr(r, name) for r in rows if getattr(r, name) is not None]
    return sum(values, ZERO) if values else None


def pdf_context(view) -> dict:
    """`reconciliation` for the PDF's front: None when the year has no Form 1099-DA rows."""
    rows = view.reconciliation
    if not rows:
        return {"reconciliation": None}
    by_status = [(TITLES[s], [r for r in rows if r.status == s]) for s in STATUSES]
    totals = [(title, len(group), _sum(group, "proceeds_1099da"), _sum(group, "proceeds_ledger"),
               _sum(group, "basis_1099da"), _sum(group, "basis_ledger"), _sum(group, "adjustment"))
              for title, group in by_status if group]
    mismatches = [r for r in rows if r.status != MATCHED]
    return {"reconciliation": {
        "totals": totals, "rows": len(rows), "accounts": sorted({r.account for r in rows}),
        "mismatches": mismatches[:ROWS_SHOWN], "mismatches_total": len(mismatches),
        "titles": TITLES,
    }}
