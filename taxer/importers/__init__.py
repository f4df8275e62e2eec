"""Importers turn exchange APIs and exported files into ledger records. Each CSV format is one module here."""

from taxer.importers import (  # noqa: F401  (each registers its formats)
    binance_csv,
    binance_statement,
    bitget_csv,
    coinbase_csv,
    koinly,
    kraken_csv,
    okx_bills,
    okx_csv,
)
