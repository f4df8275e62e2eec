"""The price book: answers `price(asset, quote, at)` from the cached prices, the same way every time.

Order (stated on the methodology page): a user's price at or before the moment (within 24 hours), then a user's
daily price for that UTC day, then the finest fetched candle containing the moment (1m, 1h, 1d), from the
account's own price source first where one is set; for the pair itself, then its inverse, then through one
intermediate (USDT, USDC, BTC, ETH, USD, EUR). Which price of a candle counts is a setting (`CANDLE_PRICES`,
close by default). None otherwise: a missing price is a warning in the engine, never a guess.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal

from taxer.errors import ConfigError
from taxer.model.prices import PriceRow

RESOLUTIONS = {"1m": timedelta(minutes=1), "1h": timedelta(hours=1), "1d": timedelta(days=1)}
VIA = ("USDT", "USDC", "BTC", "ETH", "USD", "EUR")  # intermediates for triangulation, in order of preference
POINT_REACH = timedelta(hours=24)


CANDLE_PRICES = ("close", "open", "high", "low", "mid")  # mid = (high + low) / 2


def _candle_value(row: PriceRow, candle: str) -> Decimal | None:
    if candle == "close":
        return row.price
    if candle == "mid":
        return None if row.high is None or row.low is None else (row.high + row.low) / 2
    return getattr(row, candle)


class PriceBook:
    """Cached prices indexed for lookups; `used` records every price handed out (for the accountant).

    `candle`: which price of a candle counts (one of CANDLE_PRICES); a cached candle without it (fetched before
    taxer kept open, high and low) counts as missing. `sources`: account -> the exchange whose candles value
    that account's events first (a per-account price source); the others follow.
    """

    def __init__(self, rows: Iterable[PriceRow], *, candle: str = "close",
                 sources: Mapping[str, str] | None = None) -> None:
        if candle not in CANDLE_PRICES:
            raise ConfigError(f"candle price {candle!r} is not one of {', '.join(CANDLE_PRICES)}")
        series: dict[tuple[str, str, str, str], list[tuple[datetime, Decimal]]] = defaultdict(list)
        for row in rows:
            value = row.price if row.source == "user" else _candle_value(row, candle)
            if value is not None:
                series[(row.asset, row.quote, row.resolution, row.source)].append((row.bucket_start, value))
        self._series = {}
        self._sources: dict[tuple[str, str, str], list[str]] = defaultdict(list)  # fetched sources per series
        for key, points in sorted(series.items()):
            points.sort()
            self._series[key] = ([p[0] for p in points], [p[1] for p in points])
            if key[3] != "user":
                self._sources[key[:3]].append(key[3])
        self.candle = candle
        self.account_sources = dict(sources or {})
        self.used: dict[tuple[str, str, datetime], tuple[Decimal, str]] = {}

    def _at_or_before(self, key, at: datetime) -> tuple[datetime, Decimal] | None:
        found = self._series.get(key)
        if not found:
            return None
        starts, prices = found
        i = bisect_right(starts, at) - 1
        return (starts[i], prices[i]) if i >= 0 else None

    def lookup(self, asset: str, quote: str, at: datetime, prefer: str | None = None) -> tuple[Decimal, str] | None:
        """(price, how it was found) or None: the pair, its inverse, or through one intermediate; candles of
        source `prefer` before the others'."""
        if asset == quote:
            return Decimal(1), "same currency"
        found = self._rate(asset, quote, at, prefer)
        if found is not None:
            return found
        for via in VIA:
            if via in (asset, quote):
                continue
            first = self._rate(asset, via, at, prefer)
            if first is None:
                continue
            second = self._rate(via, quote, at, prefer)
            if second is not None:
                return first[0] * second[0], f"{first[1]} x {second[1]} (via {via})"
        return None

    def _rate(self, asset: str, quote: str, at: datetime, prefer: str | None) -> tuple[Decimal, str] | None:
        found = self._direct(asset, quote, at, prefer)
        if found is not None:
            return found
        inverse = self._direct(quote, asset, at, prefer)
        if inverse is not None and inverse[0]:
            return 1 / inverse[0], f"1 / {inverse[1]}"
        return None

    def _direct(self, asset: str, quote: str, at: datetime, prefer: str | None) -> tuple[Decimal, str] | None:
        hit = self._at_or_before((asset, quote, "point", "user"), at)
        if hit and at - hit[0] <= POINT_REACH:
            return hit[1], f"{asset}/{quote} user price of {hit[0].isoformat()}"
        hit = self._at_or_before((asset, quote, "1d", "user"), at)
        if hit and at - hit[0] < RESOLUTIONS["1d"]:
            return hit[1], f"{asset}/{quote} user daily price of {hit[0].date().isoformat()}"
        # The account's own source first, at any resolution (the exchange where the event happened); then all.
        for only in ((prefer,) if prefer else ()), None:
            for resolution, length in RESOLUTIONS.items():
                for source in only if only is not None else self._sources.get((asset, quote, resolution), ()):
                    hit = self._at_or_before((asset, quote, resolution, source), at)
                    if hit and at - hit[0] < length:
                        return hit[1], (f"{asset}/{quote} {resolution} candle of {hit[0].isoformat()} "
                                        f"({self.candle}, {source})")
        return None

    def price(self, asset: str, quote: str, at: datetime, account: str | None = None) -> Decimal | None:
        """The engine's price callable: `account`'s own price source first where one is set."""
        found = self.lookup(asset, quote, at, self.account_sources.get(account))
        if found is None:
            return None
        self.used[(asset, quote, at)] = found
        return found[0]
