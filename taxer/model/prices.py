"""A price as the cache keeps it: shared by the price sources that make it, the store and the price book."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import NamedTuple


class PriceRow(NamedTuple):
    """One cached price of `asset` in `quote` for the bucket starting at `bucket_start` (UTC)."""

    asset: str
    quote: str
    resolution: str      # "1m" | "1h" | "1d" | "point"
    bucket_start: datetime
    price: Decimal       # a candle's close, or the user's price
    source: str          # "user" or an exchange id
    open: Decimal | None = None   # a candle's other prices
    high: Decimal | None = None
    low: Decimal | None = None
