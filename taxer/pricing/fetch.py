"""Fetching the candles a tax year needs through the ccxt gateway, in as few requests as the exchange allows.

The engine is run once with a price function that records what it could not value; those (asset, moment) pairs
are covered by candle pages greedily (one page covers `limit` candles from the first uncovered moment), at the
finest timeframe the exchange has for them (1m, then 1h, then 1d). Candles (open, high, low, close) go into the
price cache, under the exchange that gave them.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from taxer.exchanges.normalize import EPOCH, from_ms
from taxer.model.prices import PriceRow
from taxer.pricing.book import VIA

TIMEFRAMES = (("1m", 60_000), ("1h", 3_600_000), ("1d", 86_400_000))


@dataclass
class FetchReport:
    needed: int = 0                  # distinct (asset, moment) values the year lacked
    candles: int = 0
    requests: int = 0
    unavailable: dict[str, int] = field(default_factory=dict)  # "SOL/USD" (api: "SOL/USD prices on kraken") -> moments
    failed: dict[str, str] = field(default_factory=dict)       # price source -> why it could not be asked


@dataclass
class FetchProgress:
    """How far a price fetch has got, for a progress display: `notify(self)` after each page."""

    notify: Callable[[FetchProgress], None]
    needed: int = 0       # values asked for so far (a later pass adds the fallbacks the first one revealed)
    pages: int = 0        # candle pages fetched
    planned: int = 0      # pages planned so far (grows when a coarser timeframe fills what finer candles lacked)


class NeedRecorder:
    """A price callable for the engine: answers from the book, and remembers what the book could not answer,
    by the price source that should answer it (the account's own, else `default`).

    The engine asks for a trade's received asset, then for its sent asset when the first has no price: an ask
    right after a failed one for the same moment is that fallback, not a need of its own. A fallback whose first
    choice stays unpriced shows up as a need in the next pass (see `api.fetch_prices`).
    """

    def __init__(self, book, default: str = "") -> None:
        self.book = book
        self.default = default
        self.needs: dict[tuple[str, str, str], set[datetime]] = defaultdict(set)  # (source, asset, quote)
        self._failed_at: tuple[datetime, str | None] | None = None

    def __call__(self, asset: str, quote: str, at: datetime, account: str | None = None) -> Decimal | None:
        price = self.book.price(asset, quote, at, account)
        if price is not None:
            self._failed_at = None
            return price
        if (at, account) != self._failed_at:
            source = self.book.account_sources.get(account, self.default)
            self.needs[(source, asset, quote)].add(at)
        self._failed_at = (at, account)
        return None

    def need(self, asset: str, quote: str, at: datetime) -> None:
        """Record a value wanted on its own (a holding's year-end price), unless the book has it."""
        if self.book.price(asset, quote, at) is None:
            self.needs[(self.default, asset, quote)].add(at)


def _dec(value) -> Decimal | None:
    """A candle price as the exchange wrote it (ccxt gives floats: their shortest repr is the exchange's text)."""
    return None if value is None else Decimal(str(value))


def _ms(at: datetime) -> int:
    return (at - EPOCH) // timedelta(milliseconds=1)


def plan_pages(moments_ms: list[int], step_ms: int, limit: int) -> list[int]:
    """Start times of the fewest pages of `limit` candles covering every moment (sorted input)."""
    pages: list[int] = []
    end = None
    for t in moments_ms:
        if end is None or t >= end:
            start = t - t % step_ms
            pages.append(start)
            end = start + limit * step_ms
    return pages


def route(markets, asset: str, quote: str) -> list[str] | None:
    """The market symbols that price `asset` in `quote`: the pair, its inverse, or two legs through one of VIA."""
    def pair(a: str, b: str) -> str | None:
        for symbol in (f"{a}/{b}", f"{b}/{a}"):
            if symbol in markets:
                return symbol
        return None

    direct = pair(asset, quote)
    if direct:
        return [direct]
    for via in VIA:
        if via in (asset, quote):
            continue
        first, second = pair(asset, via), pair(via, quote)
        if first and second:
            return [first, second]
    return None


def fetch_candles(gateway, needs: dict[tuple[str, str], set[datetime]], save, *, limit: int,
                  progress: FetchProgress | None = None) -> FetchReport:
    """Fetch candles for every need and `save(rows)` each page as it arrives (a crash keeps what was saved);
    `progress` is told the values needed, the pages planned and each page fetched."""
    report = FetchReport(needed=sum(len(v) for v in needs.values()))
    if progress is not None:
        progress.needed += report.needed
        progress.notify(progress)
    markets = gateway.markets()
    by_symbol: dict[str, set[datetime]] = defaultdict(set)
    for (asset, quote), moments in sorted(needs.items()):
        symbols = route(markets, asset, quote)
        if symbols is None:
            report.unavailable[f"{asset}/{quote}"] = len(moments)
            continue
        for symbol in symbols:
            by_symbol[symbol] |= moments
    first_step = TIMEFRAMES[0][1]
    if progress is not None:  # every symbol's pages at the finest timeframe, so the total is known up front
        progress.planned += sum(len(plan_pages(sorted(_ms(m) for m in moments), first_step, limit))
                                for moments in by_symbol.values())
        progress.notify(progress)
    for symbol, moments in sorted(by_symbol.items()):
        base, quote = symbol.split("/")
        left = sorted(_ms(m) for m in moments)
        for timeframe, step in TIMEFRAMES:
            if not left:
                break
            covered: set[int] = set()
            pages = plan_pages(left, step, limit)
            if progress is not None and step != first_step:
                progress.planned += len(pages)
            for since in pages:
                candles = gateway.call("fetch_ohlcv", symbol, timeframe, since, limit)
                report.requests += 1
                if progress is not None:
                    progress.pages += 1
                    progress.notify(progress)
                page = left[bisect_left(left, since):bisect_left(left, since + limit * step)]
                wanted = {t - t % step for t in page}
                # Only the candles holding a needed moment are kept: a page of 1,000 minutes for one reward
                # would otherwise fill the cache with 999 prices nobody asked for. All four prices are kept:
                # which one values an event is the report's setting (close by default).
                rows = [PriceRow(base, quote, timeframe, from_ms(c[0]), _dec(c[4]), gateway.exchange_id,
                                 _dec(c[1]), _dec(c[2]), _dec(c[3]))
                        for c in candles if c[4] is not None and c[0] in wanted]
                save(rows)
                report.candles += len(rows)
                opens = {c[0] for c in candles}
                covered.update(t for t in page if t - t % step in opens)
            left = [t for t in left if t not in covered]
        if left:
            report.unavailable[symbol] = len(left)
    return report
