"""Which exchanges taxer can sync: one spec module each, one line here."""

from __future__ import annotations

from taxer.errors import TaxerError
from taxer.exchanges.spec import ExchangeSpec


def _specs() -> dict[str, ExchangeSpec]:
    from taxer.exchanges import binance, bitget, coinbase, kraken, okx

    return {s.id: s for s in (bitget.SPEC, binance.SPEC, kraken.SPEC, coinbase.SPEC, okx.SPEC)}


def spec_for(exchange_id: str) -> ExchangeSpec:
    specs = _specs()
    if exchange_id not in specs:
        raise TaxerError(f"syncing {exchange_id!r} through its API is not supported yet (supported: "
                         f"{', '.join(sorted(specs))}). Import its CSV export with `taxer import csv` instead.")
    return specs[exchange_id]

