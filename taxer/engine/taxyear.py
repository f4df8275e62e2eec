"""Calendar questions in the taxpayer's time zone: tax-year bounds, local dates, the US holding period."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from taxer.errors import ConfigError


def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name`; ConfigError when the name is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ConfigError(
            f"unknown time zone {name!r}: use an IANA name such as UTC, America/New_York, Europe/Berlin or "
            "Asia/Tokyo"
        ) from None


@lru_cache(maxsize=8192)
def anniversary(acquired: date) -> date:
    """The same month and day one year later; Feb 29 has its anniversary on Feb 28."""
    if acquired.month == 2 and acquired.day == 29:
        return date(acquired.year + 1, 2, 28)
    return acquired.replace(year=acquired.year + 1)


def is_long_term(acquired: date, disposed: date) -> bool:
    """US rule: held more than one year, i.e. disposed of after the anniversary of the acquisition date."""
    return disposed > anniversary(acquired)
