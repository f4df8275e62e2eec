"""Taxbit's "1099-DA Form Data" CSV template, which brokers that have Taxbit produce their Forms 1099-DA fill in
(taxbitsupport.zendesk.com, "1099-DA Form Data CSV Ingestion Template Guide"): one row per form line, box numbers
in the guide's field names, dates M/D/YYYY, TRUE/FALSE flags.

The guide has no column for box 2 (basis reported to the IRS): a row with a cost basis that is not a noncovered
security (box 9) counts as basis reported; a `basis_reported` column, where a file has one, wins.
"""

from __future__ import annotations

from collections.abc import Mapping

from taxer.importers import rows
from taxer.importers.form1099da import Layout, day, flag, money, proceeds_type, register, term, units
from taxer.importers.rows import RowError


def parse_row(row: Mapping[str, str]) -> dict:
    asset = rows.asset(row.get("asset_symbol") or "", "asset_symbol")
    if not asset:
        raise RowError("asset_symbol", "is empty; expected the asset's code, e.g. BTC")
    acquired, various = day(row.get("acquired_date"), "acquired_date", various_ok=True)
    sold, _ = day(row.get("disposed_date"), "disposed_date")
    basis = money(row.get("cost_basis"), "cost_basis")
    noncovered = flag(row.get("is_noncovered_security"), "is_noncovered_security")
    if (row.get("basis_reported") or "").strip():
        reported = flag(row.get("basis_reported"), "basis_reported")
    else:
        reported = basis is not None and not noncovered
    return dict(
        asset=asset, asset_name=(row.get("asset_name") or "").strip(),
        units=units(row.get("asset_quantity"), "asset_quantity"), date_acquired=acquired, various=various,
        date_sold=sold, proceeds=money(row.get("proceeds"), "proceeds", required=True), cost_basis=basis,
        term=term((row.get("gain_loss_classification") or "").replace("-", " ").strip(), "gain_loss_classification"),
        basis_reported=reported,
        proceeds_type=proceeds_type(row.get("proceeds_type"), "proceeds_type"), noncovered=noncovered,
        federal_tax_withheld=money(row.get("federal_tax_withheld"), "federal_tax_withheld"),
    )


TAXBIT = register(Layout("taxbit", "Taxbit 1099-DA form data",
                         ("account_id", "asset_symbol", "asset_quantity", "disposed_date", "proceeds", "cost_basis"),
                         parse_row))
