"""Importers turn exchange APIs and exported files into ledger records. Each CSV format is one module here."""

from taxer.importers import coinbase_csv, koinly, kraken_csv  # noqa: F401  (register their formats)
