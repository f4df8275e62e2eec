"""Importers turn exchange APIs and exported files into ledger records. Each CSV format is one module here."""

from taxer.importers import koinly  # noqa: F401  (registers the format)
