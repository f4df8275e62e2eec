"""What a country is to taxer: a small set of hooks over the one engine (in the manner of RP2's country plugins).

A `Country` names its currency, time zone, tax year, accounting methods, holding-period rule and matching, and
its report pieces: the totals its tax return takes (`totals`, from the year's printed lines), the methodology
text with the law it rests on, and any extra CSV files. Nothing else in taxer asks which country it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from taxer.engine import EngineSettings
from taxer.engine.methods import METHODS
from taxer.engine.settings import Matcher
from taxer.engine.taxyear import anniversary, zone
from taxer.errors import ConfigError

# Report totals: (year, printed sale lines, income by type, other=printed other disposals) -> {field: value};
# Decimals are money. `other` (keyword, default none) are the other-disposal lines (transfer fees, gifts...), whose
# gains the country counts where its law makes them disposals.
Totals = Callable[..., dict[str, Any]]
ExtraCsv = Callable[[Any], dict[str, bytes]]
# Losses across years: ([(year, that year's totals), ...] oldest first, losses brought in from before the
# ledger, options) -> per year, the fields it adds (loss_carryover_in, loss_applied, loss_carryover_out, ...).
Carryover = Callable[..., list[dict[str, Any]]]
# One earlier year in `year_totals`' history: (year, printed sale lines, income by type, other lines).
YearLines = tuple[int, tuple[Any, ...], Mapping[str, Decimal], tuple[Any, ...]]
# A form-box rule: (tax year, "short" | "long", the account's settings) -> the box a printed line goes in.
BoxRule = Callable[[int, str, Mapping[str, object]], str]


def no_box(year: int, term: str, account_settings: Mapping[str, object]) -> str:
    """A country whose return has no form boxes."""
    return ""


def no_totals(year: int, lines: tuple[Any, ...], income: Mapping[str, Decimal], other: tuple[Any, ...] = ()
              ) -> dict[str, Any]:
    """A country whose return takes only the common summary fields."""
    return {}


def no_csv(view: Any) -> dict[str, bytes]:
    """A country without files of its own."""
    return {}


@dataclass(frozen=True)
class Country:
    """One country's tax rules as data and a few functions.

    `zone` is None where the taxpayer's own time zone cuts the year (US). `year_start` is the (month, day) the
    tax year starts on. `methods` are the names --method accepts, the first being the default; under a
    country with its own `matching` (a matcher) the method is a name only. `long_after(acquired)` is the last date a
    disposal is still short-term (`holding` says the rule in words). `methodology` is (title, text) pairs for
    the PDF, citing the law. `listing_title` heads the PDF's listing of matched pieces.
    Its forms: `form_box` puts a printed sale line in its form box (US Form 8949 boxes), `form_totals` gives the
    return's summary lines (US Schedule D), `extra_csv` the country's own files (US form8949.csv and
    schedule_d.csv, UK hmrc_disposals.csv); no country writes another's forms.

    `nonstandard` names methods (and `refused_pools` pool options) the country's law does not allow, each with
    the rule that says so: refused unless the user insists (`allow_nonstandard=True`). `gift_rules` says how a
    gift, a gift to a spouse and a donation are disposed of (EngineSettings.gift_rules). `carryover` carries
    losses across years (see `year_totals`); `loss_totals` gives the per-year figures it needs where `totals`
    does not (None: `totals`); `brought_in` names the workspace settings that hold losses carried in from before
    the ledger, with the carryover's key for each, and `carryover_options` the settings passed on to it.
    `safe_harbor`: the country takes the US 2025 allocation election (Rev. Proc. 2024-28). `reconcile` matches
    what brokers reported (US Forms 1099-DA) with the sale lines and re-boxes them
    (taxer.countries.us_1099da.reconcile).
    """

    code: str
    name: str
    currency: str
    zone: str | None
    year_start: tuple[int, int]
    methods: tuple[str, ...]
    holding: str
    methodology: tuple[tuple[str, str], ...]
    pool: str = "universal"
    matching: Matcher | None = None  # the country's own matching over each asset's pool; None: lots
    long_after: Callable[[date], date] = anniversary
    totals: Totals = no_totals
    extra_csv: ExtraCsv = no_csv
    form_box: BoxRule = no_box
    form_totals: Callable[[Any], list[tuple[object, ...]]] | None = None  # the return's summary lines (US: Schedule D)
    listing_title: str = "Form 8949"
    terms: tuple[str, str] | None = None  # how the PDF names short and long pieces; None: no holding period
    matching_title: str = ""              # the country's own matching as the methodology page names it
    nonstandard: tuple[tuple[str, str], ...] = ()
    refused_pools: tuple[tuple[str, str], ...] = ()
    gift_rules: tuple[tuple[str, str], ...] = ()
    carryover: Carryover | None = None
    loss_totals: Totals | None = None
    method_rule: str = ""  # why only `methods` are allowed, where the law fixes the matching (UK, Canada)
    reconcile: Callable[..., Any] | None = None  # brokers' forms against the sale lines (US Form 1099-DA)
    # (workspace setting, carryover key): the losses brought in from before the ledger (`year_totals` brought_in)
    brought_in: tuple[tuple[str, str], ...] = ()
    carryover_options: tuple[str, ...] = ()  # workspace settings the carryover takes as options (US filing_status)
    safe_harbor: bool = False  # takes a Rev. Proc. 2024-28 allocation election (the allocation_2025 setting)

    def timezone(self, requested: str | None) -> str:
        """The time zone that cuts the tax year: the country's, or the taxpayer's where the country has none."""
        if self.zone is None:
            return requested or "UTC"
        if requested not in (None, self.zone):
            raise ConfigError(f"{self.name} tax years and days are cut in {self.zone}, not {requested}: leave "
                              "--timezone out for this country.")
        return self.zone

    def method(self, requested: str | None, allow_nonstandard: bool = False) -> str:
        """The accounting method: `requested` when the country allows it, else its default.

        A method the country's law does not allow (`nonstandard`) raises ConfigError naming the rule, unless
        `allow_nonstandard`.
        """
        if requested is None:
            return self.methods[0]
        name = requested.lower()
        refused = dict(self.nonstandard)
        if name in refused and not allow_nonstandard:
            raise ConfigError(f"accounting method {requested!r} is not allowed in {self.name}: {refused[name]}. "
                              f"Use {' or '.join(self.methods)}, or insist with allow_nonstandard=True.")
        if name not in self.methods and name not in refused:
            why = f" ({self.method_rule})" if self.method_rule else ""
            raise ConfigError(f"unknown accounting method {requested!r} for {self.name}: use "
                              f"{' or '.join(self.methods)}{why}")
        return name

    def method_title(self, name: str) -> str:
        """How the methodology page names method `name`: the engine method's title, or the country's matching."""
        found = METHODS.get(name)
        if found is not None and self.matching is None:
            return found.title
        return self.matching_title or name

    def settings(self, *, method: str | None = None, currency: str | None = None, timezone: str | None = None,
                 pool: str | None = None, allow_nonstandard: bool = False,
                 allocation_2025: Any = None) -> EngineSettings:
        """The engine settings for this country, from the user's options (None: the country's default).

        `allow_nonstandard` accepts a method or pool option the country's law does not allow (see `nonstandard`);
        `allocation_2025` is a US safe-harbor election (taxer.engine.allocation.SafeHarbor).
        """
        name = self.method(method, allow_nonstandard)
        pool = (pool or "auto").replace("-", "_")
        refused = dict(self.refused_pools)
        if pool in refused and not allow_nonstandard:
            raise ConfigError(f"--pool {pool} is not allowed in {self.name}: {refused[pool]}. Leave it out, or "
                              "insist with allow_nonstandard=True.")
        if pool == "auto":
            pool = self.pool
        elif self.matching is not None and pool != "universal":
            raise ConfigError(f"{self.name} matches each asset across all accounts: --pool {pool} does not apply; "
                              "leave it out.")
        return EngineSettings(currency=(currency or self.currency).upper(),
                              method=name if self.matching is None else "average", pool=pool,
                              timezone=self.timezone(timezone), matcher=self.matching, long_after=self.long_after,
                              gift_rules=dict(self.gift_rules), allocation_2025=allocation_2025)

    def loss_basis(self, year: int, lines: tuple[Any, ...], income: Mapping[str, Decimal],
                   other: tuple[Any, ...] = ()) -> dict[str, Any]:
        """The figures of one year that the carryover reads (`loss_totals`, else `totals`)."""
        return (self.loss_totals or self.totals)(year, lines, income, other=other)

    def year_totals(self, year: int, lines: tuple[Any, ...], income: Mapping[str, Decimal],
                    other: tuple[Any, ...] = (), history: Sequence[YearLines] = (),
                    brought_in: Mapping[str, Decimal] | None = None,
                    earlier: Sequence[tuple[int, Mapping[str, Any]]] = (), **options: Any) -> dict[str, Any]:
        """The year's totals with losses carried across years: `history` is (year, lines, income, other) of each
        earlier year the ledger holds, oldest first, or `earlier` the same years as (year, `loss_basis`) already
        computed (a report keeps only those, not every earlier line; `earlier` come before `history`);
        `brought_in` the losses carried in from before the ledger (the country's carryover names its keys);
        `options` go to the carryover (US: filing_status)."""
        out = self.totals(year, lines, income, other=other)
        if self.carryover is None:
            return out
        basis = self.loss_totals or self.totals
        years = [*earlier, *((y, basis(y, ls, inc, other=o)) for y, ls, inc, o in history)]
        this = out if basis is self.totals else basis(year, lines, income, other=other)
        years.append((year, this))
        carried = self.carryover(years, brought_in, **options)
        if this is not out:
            out.update(this)
        out.update(carried[-1])
        return out

    def bounds(self, year: int, timezone: str) -> tuple[datetime, datetime]:
        """Start and end (exclusive) of the tax year starting in `year`, as aware UTC datetimes."""
        tz = zone(timezone)
        month, day = self.year_start
        return (datetime(year, month, day, tzinfo=tz).astimezone(UTC),
                datetime(year + 1, month, day, tzinfo=tz).astimezone(UTC))

    def parse_year(self, text: str | int) -> int:
        """The tax year a user named: '2024' (the year it starts in), or the country's own label '2024/25' where
        its tax year straddles two calendar years. ConfigError for anything else."""
        value = str(text).strip()
        head, _, tail = value.partition("/")
        if head.isdigit() and len(head) == 4 and 1 < int(head) < 9999:
            year = int(head)
            if not tail:
                return year
            if self.year_start != (1, 1) and tail.isdigit() and len(tail) in (2, 4) \
                    and int(tail) % 100 == (year + 1) % 100:
                return year
        example = "2024" if self.year_start == (1, 1) else "2024 or 2024/25"
        raise ConfigError(f"tax year {value!r} is not a year taxer can report for {self.name}: use the year it "
                          f"starts in, such as {example}")

    def year_of(self, moment: datetime, timezone: str) -> int:
        """The tax year (by the year it starts in) that holds instant `moment`."""
        local = moment.astimezone(zone(timezone))
        month, day = self.year_start
        return local.year if (local.month, local.day) >= (month, day) else local.year - 1

    def label(self, year: int) -> str:
        """The tax year's own name: '2024', or '2024/25' where it straddles two calendar years."""
        if self.year_start == (1, 1):
            return str(year)
        return f"{year}/{(year + 1) % 100:02d}"

    def is_long(self, acquired: date, disposed: date) -> bool:
        """The holding-period rule: whether a disposal on `disposed` of coins acquired on `acquired` is long."""
        return disposed > self.long_after(acquired)
