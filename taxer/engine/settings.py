"""The engine's options, validated once where they are built."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from taxer.engine.allocation import SafeHarbor
from taxer.engine.methods import METHODS
from taxer.engine.records import DONATION, GIFT, GIFT_RULES, GIFT_SPOUSE, NO_PROCEEDS
from taxer.engine.taxyear import anniversary, zone
from taxer.errors import ConfigError
from taxer.model import FIAT

if TYPE_CHECKING:
    from taxer.engine.events import EventBooks
    from taxer.engine.records import Disposal, Lot

POOLS = ("auto", "universal", "per_account")

# How disposals meet acquisitions: None for the accounting method's order over lots, or a country's own matching
# over the whole pool of an asset, given by the country (taxer.engine.uk.match: same day, 30 days, Section 104
# pool; taxer.engine.acb.match: Canada's adjusted cost base with the superficial-loss rule). Such a matcher gets
# the year's recorded events and the last local date to match, and returns the disposals and the pool's holdings;
# it needs one universal pool.
Matcher = Callable[["EventBooks", "date | None"], "tuple[list[Disposal], list[Lot]]"]


def _method_name(value: object, where: str) -> str:
    name = value.lower() if isinstance(value, str) else value
    if name not in METHODS:
        raise ConfigError(f"unknown accounting method {value!r}{where}: use one of {', '.join(METHODS)}")
    return name


@dataclass(frozen=True)
class EngineSettings:
    """How to compute: report currency, accounting method (per tax year if need be), pools, time zone, window.

    `pool`: "auto" (one universal pool per asset before 2025, per-account pools from 2025 on, Rev. Proc.
    2024-28), "universal" or "per_account" for every year. `timezone` is an IANA name; it decides calendar
    dates for the holding period and where tax years are cut. `transfer_window` is how long after a
    withdrawal a deposit may arrive to be matched with it. `matcher` is a country's own matching (None: lots).
    `long_after` is the holding-period rule: the last acquisition-date-relative date on which a disposal is still
    short-term (the US anniversary by default; a country passes its own). `gift_rules` maps the categories gift,
    gift_spouse and donation to one of GIFT_RULES (absent: no proceeds, listed apart, as in the US and Germany).
    `allocation_2025` is a US safe-harbor allocation election (Rev. Proc. 2024-28) used when the "auto" pool
    splits per account on 1 January 2025; None: each lot stays in the account whose history holds it. Unknown
    values raise `ConfigError`.
    """

    currency: str = "USD"
    method: str = "fifo"
    method_by_year: Mapping[int, str] = field(default_factory=dict)
    pool: str = "auto"
    timezone: str = "UTC"
    transfer_window: timedelta = timedelta(hours=24)
    matcher: Matcher | None = None
    long_after: Callable[[date], date] = anniversary
    gift_rules: Mapping[str, str] = field(default_factory=dict)
    allocation_2025: SafeHarbor | None = None

    def __post_init__(self) -> None:
        currency = self.currency.upper() if isinstance(self.currency, str) else self.currency
        if currency not in FIAT:
            raise ConfigError(f"report currency {self.currency!r} is not a fiat currency: use one of "
                              f"{', '.join(sorted(FIAT))}")
        object.__setattr__(self, "currency", currency)
        object.__setattr__(self, "method", _method_name(self.method, ""))
        by_year = {}
        for year, name in dict(self.method_by_year).items():
            if not isinstance(year, int) or isinstance(year, bool):
                raise ConfigError(f"method_by_year: tax year {year!r} is not a year number such as 2024")
            by_year[year] = _method_name(name, f" for tax year {year}")
        # Read-only, so a frozen settings object cannot change under a running computation.
        object.__setattr__(self, "method_by_year", MappingProxyType(by_year))
        if self.pool not in POOLS:
            raise ConfigError(f"unknown pool option {self.pool!r}: use one of {', '.join(POOLS)}")
        zone(self.timezone)
        if self.matcher is not None and not callable(self.matcher):
            raise ConfigError(f"matcher must be a matching function or None, not {self.matcher!r}")
        if self.matcher is not None and self.pool != "universal":
            raise ConfigError(f"{self.matching} matching pools each asset across all accounts: pool must be "
                              f"'universal', not {self.pool!r}")
        rules = dict(self.gift_rules)
        for category, rule in rules.items():
            if category not in (GIFT, GIFT_SPOUSE, DONATION) or rule not in GIFT_RULES:
                raise ConfigError(f"gift_rules: {category!r} -> {rule!r}: categories are gift, gift_spouse, "
                                  f"donation; rules {', '.join(GIFT_RULES)}")
        object.__setattr__(self, "gift_rules", MappingProxyType(rules))
        if self.allocation_2025 is not None and not isinstance(self.allocation_2025, SafeHarbor):
            raise ConfigError(f"allocation_2025 must be a SafeHarbor election, not {self.allocation_2025!r}")
        if not isinstance(self.transfer_window, timedelta) or self.transfer_window < timedelta(0):
            raise ConfigError(
                f"transfer_window must be a non-negative timedelta, not {self.transfer_window!r}")

    def __hash__(self) -> int:
        return hash((self.currency, self.method, tuple(sorted(self.method_by_year.items())), self.pool,
                     self.timezone, self.transfer_window, self.matcher, self.long_after,
                     tuple(sorted(self.gift_rules.items())), self.allocation_2025))

    @property
    def matching(self) -> str:
        """The matching's name for messages: 'lots', or the country matcher's module ('uk', 'acb')."""
        return "lots" if self.matcher is None else self.matcher.__module__.rsplit(".", 1)[-1]

    @property
    def zone(self) -> ZoneInfo:
        """The taxpayer's time zone."""
        return zone(self.timezone)

    def method_for(self, year: int) -> str:
        """The accounting method in force for disposals in tax year `year`."""
        return self.method_by_year.get(year, self.method)

    def gift_rule(self, category: str) -> str:
        """How a disposal of `category` (gift, gift_spouse, donation) is valued: one of GIFT_RULES."""
        return self.gift_rules.get(category, NO_PROCEEDS)
