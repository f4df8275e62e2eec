"""Importers turn exchange APIs and exported files into ledger records. Each CSV format is one module here."""

from taxer.importers import koinly, okx_csv  # noqa: F401  (register the formats)
