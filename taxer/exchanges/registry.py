"""Which exchanges taxer can sync: one spec module each, one line here.

A new exchange is a module defining an `ExchangeSpec` (streams, paging, permissions, raw fields, display facts)
and one line in `_builtin()`; `register` adds one from elsewhere (a plugin, a test).
"""

from __future__ import annotations

from taxer.errors import TaxerError
from taxer.exchanges.spec import ExchangeSpec

_EXTRA: dict[str, ExchangeSpec] = {}


def _builtin() -> tuple[ExchangeSpec, ...]:
    from taxer.exchanges import binance, bitget, coinbase, kraken, okx

    return (bitget.SPEC, binance.SPEC, kraken.SPEC, coinbase.SPEC, okx.SPEC)


def specs() -> dict[str, ExchangeSpec]:
    """Every exchange taxer syncs, by ccxt id, in the order help texts list them."""
    return {**{s.id: s for s in _builtin()}, **_EXTRA}


def register(spec: ExchangeSpec) -> ExchangeSpec:
    """Add an exchange that taxer syncs (its ccxt id must be one ccxt knows)."""
    _EXTRA[spec.id] = spec
    return spec


def names() -> str:
    """'bitget, binance, kraken, coinbase, okx': for help texts and messages."""
    return ", ".join(specs())


def spec_for(exchange_id: str) -> ExchangeSpec:
    found = specs().get(exchange_id)
    if found is None:
        raise TaxerError(f"syncing {exchange_id!r} through its API is not supported yet (supported: "
                         f"{', '.join(sorted(specs()))}). Import its CSV export with `taxer import csv` instead.")
    return found


def candle_limit(exchange_id: str) -> int:
    """Candles per request on an exchange; a cautious 100 for one taxer has no spec of."""
    found = specs().get(exchange_id)
    return found.candle_limit if found else 100
