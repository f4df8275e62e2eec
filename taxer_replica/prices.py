"""Deterministic price paths and OHLCV candles for the replica's markets.

Each asset has an hourly USD price path (a seeded, mean-reverting log random walk); a price at any millisecond is the
linear interpolation between two hourly points, so every trade's price lies inside the 1m, 1h and 1d candles that
cover it (a pair's price, the ratio of two linear segments, is monotone within the hour too). Candles are computed on
demand from the path: nothing per minute is stored.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import Decimal

HOUR = 3_600_000
MINUTE = 60_000
DAY = 86_400_000
TIMEFRAMES = {"1m": MINUTE, "1h": HOUR, "1d": DAY}

# Rough early-2022 prices, so generated values look familiar; other assets get a seeded price.
START_PRICES = {"BTC": 46_000.0, "ETH": 3_700.0, "SOL": 170.0, "BNB": 510.0, "XRP": 0.83, "ADA": 1.3,
                "DOGE": 0.17, "DOT": 26.0, "AVAX": 108.0, "LTC": 146.0, "LINK": 20.0, "MATIC": 2.5}
STABLE = frozenset({"USDT", "USDC", "BUSD", "DAI", "FDUSD", "USD", "EUR", "GBP"})
HOURLY_SIGMA = 0.007   # ~3.4 % a day
REVERSION = 1 / 2000   # pulls the log price back towards its start: the walk stays in a plausible band


@dataclass(frozen=True, slots=True)
class Candle:
    """One OHLCV bar; `timestamp` is the bar's open time in ms UTC."""

    timestamp: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


def _noise(*parts: int) -> float:
    """A deterministic number in [0, 1) from integers (cheaper than a Random per candle)."""
    x = 0x9E3779B97F4A7C15
    for p in parts:
        x = ((x ^ (p & 0xFFFFFFFFFFFFFFFF)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 31
    return (x >> 11) / float(1 << 53)  # float ok: a uniform draw in [0, 1) for the price walk


class PricePaths:
    """Hourly USD price points per asset from `start` (floored to the hour) to past `end`."""

    def __init__(self, seed: int, assets: tuple[str, ...], start: int, end: int) -> None:
        self.seed = seed
        self.origin = start - start % HOUR
        hours = (end - self.origin) // HOUR + 2
        self._paths: dict[str, list[float]] = {}
        for i, asset in enumerate(assets):
            if asset in STABLE:
                continue
            rng = random.Random(seed * 1_000_003 + i * 7919 + 17)
            p0 = START_PRICES.get(asset) or 10 ** rng.uniform(-1, 3)
            mu = x = math.log(p0)
            path = [p0]
            gauss = rng.gauss
            for _ in range(hours - 1):
                x += gauss(0.0, HOURLY_SIGMA) - REVERSION * (x - mu)
                path.append(math.exp(x))
            self._paths[asset] = path

    def usd(self, asset: str, ts: int) -> float:
        """The asset's USD price at `ts` (ms); stablecoins and fiat count as 1."""
        path = self._paths.get(asset)
        if path is None:
            return 1.0
        h, rest = divmod(ts - self.origin, HOUR)
        h = min(max(h, 0), len(path) - 2)
        a = path[h]
        return a + (path[h + 1] - a) * (rest / HOUR)

    def pair(self, base: str, quote: str, ts: int) -> float:
        return self.usd(base, ts) / self.usd(quote, ts)

    def candle(self, base: str, quote: str, decimals: int, tf: int, t0: int) -> Candle:
        """The bar of `tf` ms opening at `t0` (a multiple of `tf`)."""
        if tf >= DAY:
            hours = [self._float_bar(base, quote, HOUR, t) for t in range(t0, t0 + tf, HOUR)]
            o, c = hours[0][0], hours[-1][3]
            hi, lo = max(b[1] for b in hours), min(b[2] for b in hours)
            vol = sum(b[4] for b in hours)
        else:
            o, hi, lo, c, vol = self._float_bar(base, quote, tf, t0)
        q = f"{{:.{decimals}f}}"
        return Candle(t0, Decimal(q.format(o)), Decimal(q.format(hi)), Decimal(q.format(lo)),
                      Decimal(q.format(c)), Decimal(f"{vol:.4f}"))

    def _float_bar(self, base: str, quote: str, tf: int, t0: int) -> tuple[float, float, float, float, float]:
        o, c = self.pair(base, quote, t0), self.pair(base, quote, t0 + tf)
        salt = sum(map(ord, base + "/" + quote))
        wick = 0.0002 + 0.002 * math.sqrt(tf / HOUR) * _noise(self.seed, salt, t0, 1)
        # rounding is monotone, so a trade price (between o and c) stays inside the rounded bar
        hi = max(o, c) * (1 + wick)
        lo = min(o, c) * (1 - wick * _noise(self.seed, salt, t0, 2))
        usd = self.usd(base, t0)
        vol = (50_000 + 950_000 * _noise(self.seed, salt, t0, 3)) * (tf / HOUR) / max(usd, 1e-9)
        return o, hi, lo, c, vol
