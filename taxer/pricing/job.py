"""`taxer prices fetch`: cover every value a tax year lacks with the fewest candle pages, source by source.

The engine runs with a recording price function (NeedRecorder) to learn which (asset, moment) values the year
lacks; those are fetched from each value's price source (the account's own exchange, else the default), cached,
and the engine runs again, since a value found may reveal others (a trade valued by its sent asset when the
received one had no market). Three passes are enough in practice; a moment already asked for is not asked again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine

from taxer.engine import EngineSettings, Overrides, compute
from taxer.errors import TaxerError
from taxer.exchanges.gateway import Gateway, is_loopback
from taxer.exchanges.registry import candle_limit
from taxer.model import Transaction
from taxer.pricing.book import PriceBook
from taxer.pricing.fetch import FetchProgress, FetchReport, NeedRecorder, fetch_candles
from taxer.store import ledger, prices

PASSES = 3

def fetch_year_prices(engine: Engine, transactions: Sequence[Transaction], overrides: Overrides,
                      settings: EngineSettings, end: datetime, *, candle: str, sources: dict[str, str],
                      default: str, api_url: str | None, accounts: Iterable[ledger.AccountInfo],
                      on_progress: Callable[[FetchProgress], None] | None = None) -> FetchReport:
    """Fetch and cache the candles that value the corrected `transactions` up to `end`; a FetchReport.

    `sources` maps an account to its price exchange; `default` is the exchange asked for everything else
    (through `api_url` when given). A source that fails is listed in the report's `failed`; the others are
    still asked. `on_progress(FetchProgress)`: values needed, pages planned and fetched, as they change.
    """
    known = list(accounts)
    total, gateways, tried = FetchReport(), {}, set()  # tried: (source, asset, quote, moment) already asked for
    progress = FetchProgress(on_progress) if on_progress else None

    def gateway_for(source: str) -> Gateway:
        if source not in gateways:
            url = api_url if source == default else next(
                (a.api_url for a in known if a.exchange_id == source and a.api_url), None)
            gateways[source] = Gateway(source, None, account=f"price source {source}", api_url=url,
                                       rate_limit=not is_loopback(url))
        return gateways[source]

    def save(rows) -> None:
        with engine.begin() as conn:
            prices.upsert(conn, rows, ledger.now())

    try:
        for _ in range(PASSES):
            needs = _needs(engine, transactions, overrides, settings, end, candle, sources, default)
            needs = {k: {at for at in v if (*k, at) not in tried} for k, v in needs.items()
                     if k[0] not in total.failed}
            needs = {k: v for k, v in needs.items() if v}
            if not needs:
                break
            tried |= {(*k, at) for k, v in needs.items() for at in v}
            by_source: dict[str, dict] = {}
            for (source, asset, quote), moments in needs.items():
                by_source.setdefault(source, {})[(asset, quote)] = moments
            for source, wanted in sorted(by_source.items()):
                try:
                    gateway = gateway_for(source)
                    found = fetch_candles(gateway, wanted, save, limit=candle_limit(gateway.exchange_id),
                                          progress=progress)
                except TaxerError as exc:
                    total.failed[source] = str(exc)
                    continue
                _add(total, found, source)
        return total
    finally:
        for gateway in gateways.values():
            gateway.close()

def _needs(engine: Engine, transactions: Sequence[Transaction], overrides: Overrides, settings: EngineSettings,
           end: datetime, candle: str, sources: dict[str, str], default: str) -> dict[tuple, set[datetime]]:
    """(source, asset, quote) -> moments the cache cannot value yet, year-end values of the holdings included."""
    with engine.connect() as conn:
        book = PriceBook(prices.load(conn, until=end), candle=candle, sources=sources)
    recorder = NeedRecorder(book, default)
    result = compute(transactions, settings, until=end, keep_from=end, price=recorder,  # keeps no rows
                     overrides=overrides)
    for asset in {lot.asset for lot in result.holdings}:
        recorder.need(asset, settings.currency, end - timedelta(microseconds=1))
    return recorder.needs

def _add(total: FetchReport, found: FetchReport, source: str) -> None:
    total.needed += found.needed
    total.candles += found.candles
    total.requests += found.requests
    total.unavailable.update({f"{k} prices on {source}": n for k, n in found.unavailable.items()})

PriceJob = Callable[..., FetchReport]
