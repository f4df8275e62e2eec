"""Importers turn exchange APIs and exported files into ledger records. Each CSV format is one module here."""

from taxer.importers import koinly  # noqa: F401  (registers the format)
from taxer.importers import kraken_csv  # noqa: F401  (registers kraken's trades.csv and ledgers.csv)
