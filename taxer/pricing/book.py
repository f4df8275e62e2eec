"""The price book: answers `price(asset, quote, at)` from the cached prices, the same way every time.

Order (stated on the methodology page): a user's price at or before the moment (within 24 hours), then a user's
daily price for that UTC day, then the finest fetched candle containing the moment (1m, 1h, 1d); for the pair
itself, then its inverse, then through one intermediate (USDT, USDC, BTC, ETH, USD, EUR). None otherwise: a
missing price is a warning in the engine, never a guess.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Iterable

from taxer.store.prices import PriceRow

RESOLUTIONS = {"1m": timedelta(minutes=1), "1h": timedelta(hours=1), "1d": timedelta(days=1)}
VIA = ("USDT", "USDC", "BTC", "ETH", "USD", "EUR")  # intermediates for triangulation, in order of preference
POINT_REACH = timedelta(hours=24)


class PriceBook:
    """Cached prices indexed for lookups; `used` records every price handed out (for the accountant)."""

    def __init__(self, rows: Iterable[PriceRow]) -> None:
        series: dict[tuple[str, str, str, bool], list[tuple[datetime, Decimal]]] = defaultdict(list)
        for row in rows:
            user = row.source == "user"
            series[(row.asset, row.quote, row.resolution, user)].append((row.bucket_start, row.price))
        self._series = {}
        for key, points in series.items():
            points.sort()
            self._series[key] = ([p[0] for p in points], [p[1] for p in points])
        self.used: dict[tuple[str, str, datetime], tuple[Decimal, str]] = {}

    def _at_or_before(self, key, at: datetime) -> tuple[datetime, Decimal] | None:
        found = self._series.get(key)
        if not found:
            return None
        starts, prices = found
        i = bisect_right(starts, at) - 1
        return (starts[i], prices[i]) if i >= 0 else None

    def lookup(self, asset: str, quote: str, at: datetime) -> tuple[Decimal, str] | None:
        """(price, how it was found) or None: the pair, its inverse, or through one intermediate."""
        if asset == quote:
            return Decimal(1), "same currency"
        found = self._rate(asset, quote, at)
        if found is not None:
            return found
        for via in VIA:
            if via in (asset, quote):
                continue
            first = self._rate(asset, via, at)
            if first is None:
                continue
            second = self._rate(via, quote, at)
            if second is not None:
                return first[0] * second[0], f"{first[1]} x {second[1]} (via {via})"
        return None

    def _rate(self, asset: str, quote: str, at: datetime) -> tuple[Decimal, str] | None:
        found = self._direct(asset, quote, at)
        if found is not None:
            return found
        inverse = self._direct(quote, asset, at)
        if inverse is not None and inverse[0]:
            return 1 / inverse[0], f"1 / {inverse[1]}"
        return None

    def _direct(self, asset: str, quote: str, at: datetime) -> tuple[Decimal, str] | None:
        hit = self._at_or_before((asset, quote, "point", True), at)
        if hit and at - hit[0] <= POINT_REACH:
            return hit[1], f"{asset}/{quote} user price of {hit[0].isoformat()}"
        hit = self._at_or_before((asset, quote, "1d", True), at)
        if hit and at - hit[0] < RESOLUTIONS["1d"]:
            return hit[1], f"{asset}/{quote} user daily price of {hit[0].date().isoformat()}"
        for resolution, length in RESOLUTIONS.items():
            hit = self._at_or_before((asset, quote, resolution, False), at)
            if hit and at - hit[0] < length:
                return hit[1], f"{asset}/{quote} {resolution} candle of {hit[0].isoformat()}"
        return None

    def price(self, asset: str, quote: str, at: datetime) -> Decimal | None:
        """The engine's price callable."""
        found = self.lookup(asset, quote, at)
        if found is None:
            return None
        self.used[(asset, quote, at)] = found
        return found[0]
