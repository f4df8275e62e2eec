"""Workspace settings: what each key means, which values it takes, and the defaults a report starts from.

Stored in the ledger database (`settings` table; per-account keys in the account's settings), so a workspace
folder or a PostgreSQL database carries its taxpayer's choices with it. Command-line options still win.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from taxer.countries.losses import FILING_STATUSES
from taxer.countries.us import BOXES_FROM_2025, REPORTING_SETTING
from taxer.engine.allocation import SafeHarbor, SpecificUnits
from taxer.engine.methods import METHODS
from taxer.engine.settings import POOLS
from taxer.engine.taxyear import zone
from taxer.errors import ConfigError
from taxer.model import FIAT
from taxer.pricing.book import CANDLE_PRICES

ACCOUNT_PREFIX = "account."
DEFAULT_COUNTRY = "us"
BOX_KEY = REPORTING_SETTING  # account.NAME.form1099da: the key the Form 8949 writer reads


def _countries() -> tuple[str, ...]:
    from taxer.countries import COUNTRIES

    return tuple(COUNTRIES)


def _choice(allowed: Callable[[], tuple[str, ...]] | tuple[str, ...], lower: bool = True):
    def parse(key: str, text: str) -> str:
        options = allowed() if callable(allowed) else allowed
        value = text.strip().lower() if lower else text.strip()
        if value not in options:
            raise ConfigError(f"setting {key!r}: {text!r} is not allowed; use one of {', '.join(options)}")
        return value
    return parse


def _text(key: str, text: str) -> str:
    value = " ".join(text.split())
    if not value or len(value) > 200:
        raise ConfigError(f"setting {key!r}: give a non-empty name of at most 200 characters")
    return value


def _timezone(key: str, text: str) -> str:
    try:
        zone(text.strip())
    except ConfigError:
        raise ConfigError(f"setting {key!r}: {text!r} is not a time zone; use an IANA name such as UTC, "
                          "America/New_York or Europe/Berlin") from None
    return text.strip()


def _currency(key: str, text: str) -> str:
    value = text.strip().upper()
    if value not in FIAT:
        raise ConfigError(f"setting {key!r}: {text!r} is not a fiat currency; use one of {', '.join(sorted(FIAT))}")
    return value


def _hours(key: str, text: str) -> str:
    raw = text.strip().lower().removesuffix("h")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value <= 0 or value > 24 * 90:
        raise ConfigError(f"setting {key!r}: {text!r} is not a number of hours; use a positive number up to 2160, "
                          "such as 24 or 72")
    return format(value.normalize(), "f")


def _box(key: str, text: str) -> str:
    letters = {"g": "basis_reported", "j": "basis_reported", "h": "basis_not_reported", "k": "basis_not_reported",
               "i": "none", "l": "none"}
    value = letters.get(text.strip().lower(), text.strip().lower())
    if value not in BOXES_FROM_2025:
        raise ConfigError(f"setting {key!r}: {text!r} is not allowed; use one of {', '.join(BOXES_FROM_2025)} "
                          "(Form 1099-DA with basis reported: boxes G/J; without basis: H/K; no 1099-DA: I/L)")
    return value


def _exchange(key: str, text: str) -> str:
    value = text.strip().lower()
    from taxer.exchanges.gateway import supported_exchanges  # imports ccxt: only when setting this key

    if value not in supported_exchanges():
        raise ConfigError(f"setting {key!r}: {text!r} is not an exchange id ccxt knows; use one such as kraken, "
                          "binance, bitget, coinbase or okx")
    return value


def _days(key: str, text: str) -> str:
    raw = text.strip().lower().removesuffix("d")
    if not raw.isdigit() or not 1 <= int(raw) <= 3650:
        raise ConfigError(f"setting {key!r}: {text!r} is not a number of days; use a whole number from 1 to 3650, "
                          "such as 90")
    return str(int(raw))


def _amount(key: str, text: str) -> str:
    try:
        value = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value < 0 or value >= Decimal(10) ** 15:
        raise ConfigError(f"setting {key!r}: {text!r} is not an amount; give the loss as a positive number in the "
                          "report currency, such as 7000 or 1234.56")
    return format(value.normalize(), "f")


# Shorter names people use for the US filing statuses (Form 1040's checkboxes).
FILING_ALIASES = {"married_joint": "married_filing_jointly", "joint": "married_filing_jointly",
                  "married_separate": "married_filing_separately", "separate": "married_filing_separately",
                  "head": "head_of_household", "widow": "qualifying_surviving_spouse"}


def _filing_status(key: str, text: str) -> str:
    value = text.strip().lower().replace("-", "_").replace(" ", "_")
    value = FILING_ALIASES.get(value, value)
    if value not in FILING_STATUSES:
        raise ConfigError(f"setting {key!r}: {text!r} is not a filing status; use one of {', '.join(FILING_STATUSES)}")
    return value


def _yes_no(key: str, text: str) -> str:
    value = text.strip().lower()
    if value in ("yes", "true", "1", "on"):
        return "yes"
    if value in ("no", "false", "0", "off"):
        return "no"
    raise ConfigError(f"setting {key!r}: {text!r} is not allowed; use yes or no")


def _election(key: str, text: str) -> str:
    """The stored form of a safe-harbor election: checked, with the date it was recorded (today when not given)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"setting {key!r}: not JSON ({exc}); see the README's allocation_2025 example") from None
    if not isinstance(data, dict):
        raise ConfigError(f"setting {key!r}: give a JSON object with either \"rule\" or \"units\"")
    data.setdefault("recorded_on", date.today().isoformat())
    election(json.dumps(data))  # raises ConfigError when it is not a valid election
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def election(text: str | None) -> SafeHarbor | None:
    """A stored `allocation_2025` setting as the engine's election (None: none made).

    JSON: {"rule": "oldest_first" | "highest_cost_first" | "lowest_cost_first", "account_order": [names],
    "recorded_on": "YYYY-MM-DD"} for a global allocation, or {"units": [{"account": ..., "asset": ...,
    "acquisition_tx_id": N, "amount": "0.5"}, ...], "recorded_on": ...} for specific units.
    """
    if not text:
        return None
    data = json.loads(text)
    known = {"rule", "units", "account_order", "recorded_on"}
    if not isinstance(data, dict) or set(data) - known:
        raise ConfigError(f"setting 'allocation_2025': unknown fields {', '.join(sorted(set(data) - known))}; "
                          f"use {', '.join(sorted(known))}")
    try:
        units = tuple(SpecificUnits(str(u["account"]), str(u["asset"]).upper(),
                                    None if u.get("acquisition_tx_id") is None else int(u["acquisition_tx_id"]),
                                    Decimal(str(u["amount"])))
                      for u in data.get("units", ()))
        recorded = data.get("recorded_on")
        return SafeHarbor(units=units, rule=data.get("rule"), account_order=tuple(data.get("account_order", ())),
                          recorded_on=date.fromisoformat(recorded) if recorded else None)
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise ConfigError(f"setting 'allocation_2025': {exc!r} in the election; each unit needs account, asset, "
                          "acquisition_tx_id and amount, recorded_on is YYYY-MM-DD") from None


def _exchange_or_own(key: str, text: str) -> str:
    return "own" if text.strip().lower() == "own" else _exchange(key, text)


@dataclass(frozen=True)
class Key:
    name: str
    parse: Callable[[str, str], str]
    default: str | None
    help: str
    default_text: str = ""  # what an unset key means when it has no single default value


KEYS: dict[str, Key] = {k.name: k for k in (
    Key("taxpayer", _text, None, "taxpayer's name, printed on the report's cover"),
    Key("country", _choice(_countries), DEFAULT_COUNTRY, "tax rules to apply"),
    Key("method", _choice(tuple(METHODS)), None, "default cost-basis method", "the country's (US: fifo)"),
    Key("timezone", _timezone, None, "time zone that cuts US tax years and dates holding periods (other "
        "countries use their own)", "the country's (US: UTC)"),
    Key("currency", _currency, None, "report currency (default: the country's)"),
    Key("transfer_window", _hours, "24", "hours after a withdrawal within which a deposit may match it"),
    Key("pool", _choice(tuple(p.replace("_", "-") for p in POOLS)), "auto", "basis pools"),
    Key("candle_price", _choice(CANDLE_PRICES), "close", "which price of an exchange candle values an event "
        "(mid = (high + low) / 2)"),
    Key("price_exchange", _exchange, "kraken", "exchange whose candles `taxer prices fetch` takes (a ccxt id)"),
    Key("key_max_age_days", _days, "90", "days after which `taxer account check` calls an API key old (key_old)"),
    Key("filing_status", _filing_status, "single", "US filing status: married_filing_separately limits the net "
        "capital loss deduction to 1,500 a year instead of 3,000 (IRC 1211(b))"),
    Key("loss_carryover_short", _amount, None, "US short-term capital loss carried into the ledger's first year "
        "from before it (Capital Loss Carryover Worksheet)", "0"),
    Key("loss_carryover_long", _amount, None, "US long-term capital loss carried into the ledger's first year "
        "from before it", "0"),
    Key("loss_carryover", _amount, None, "UK, Canada, Germany, Australia: the loss carried into the ledger's first "
        "tax year from before it (UK losses, Canada net capital loss at that year's inclusion rate, Germany §23 "
        "Verlustvortrag, Australia net capital loss)", "0"),
    Key("allow_nonstandard", _yes_no, "no", "accept a method or pool the country's law does not allow (printed on "
        "every page of the report)"),
    Key("allocation_2025", _election, None, "US Rev. Proc. 2024-28 safe-harbor allocation election (JSON), made "
        "before the first 2025 sale", "none elected"),
)}
ACCOUNT_KEY = Key(BOX_KEY, _box, "none", "Form 1099-DA for this account: basis_reported (boxes G/J), "
                  "basis_not_reported (H/K) or none (I/L)")
PRICE_SOURCE_KEY = Key("price_source", _exchange_or_own, None, "exchange whose candles value this account's events "
                       "first: a ccxt id, or `own` for the account's own exchange", "price_exchange")
ACCOUNT_KEYS = {k.name: k for k in (ACCOUNT_KEY, PRICE_SOURCE_KEY)}


def split_key(key: str) -> tuple[str | None, str]:
    """'method' -> (None, 'method'); 'account.coinbase.form1099da' -> ('coinbase', 'form1099da')."""
    key = key.strip()
    if key.startswith(ACCOUNT_PREFIX) and key.count(".") >= 2:
        account, _, name = key[len(ACCOUNT_PREFIX):].rpartition(".")
        if name not in ACCOUNT_KEYS:
            raise ConfigError(f"unknown account setting {name!r} in {key!r}; the per-account keys are "
                              + ", ".join(f"account.NAME.{k}" for k in ACCOUNT_KEYS))
        return account, name
    if key not in KEYS:
        raise ConfigError(f"unknown setting {key!r}; the keys are {', '.join(KEYS)} and "
                          + ", ".join(f"account.NAME.{k}" for k in ACCOUNT_KEYS))
    return None, key


def parse(key: str, text: str) -> str:
    """The stored form of `text` for `key`; ConfigError naming the key and the allowed values."""
    account, name = split_key(key)
    return (ACCOUNT_KEYS[name] if account is not None else KEYS[name]).parse(key, text)


@dataclass(frozen=True)
class ReportDefaults:
    """The options a report runs with once the command line and the workspace settings are combined."""

    method: str
    country: str
    currency: str | None
    timezone: str
    pool: str
    transfer_window: timedelta
    taxpayer: str | None
    candle_price: str = "close"
    price_exchange: str = "kraken"
    allow_nonstandard: bool = False


def resolve(stored: Mapping[str, object], allow_nonstandard: bool | None = None,
            **given: str | None) -> ReportDefaults:
    """Options given (not None) win over the workspace's settings, which win over taxer's defaults."""
    def pick(name: str) -> str | None:
        value = given.get(name)
        return value if value is not None else stored.get(name, KEYS[name].default)
    hours = Decimal(str(pick("transfer_window")))
    return ReportDefaults(method=pick("method"), country=pick("country"), currency=pick("currency"),
                          timezone=pick("timezone"), pool=pick("pool"),
                          transfer_window=timedelta(seconds=int(hours * 3600)), taxpayer=pick("taxpayer"),
                          candle_price=pick("candle_price"), price_exchange=pick("price_exchange"),
                          allow_nonstandard=bool(allow_nonstandard) or stored.get("allow_nonstandard") == "yes")


CARRYOVER_SETTINGS = ("loss_carryover_short", "loss_carryover_long", "loss_carryover")


def brought_in(stored: Mapping[str, object], keys: tuple[tuple[str, str], ...],
               country_name: str = "this country") -> dict[str, Decimal]:
    """The losses carried in from before the ledger, by the country's carryover keys (Country.brought_in).

    A carryover setting the country does not read raises ConfigError: it would otherwise be left out silently."""
    used = [setting for setting, _ in keys]
    stray = [k for k in CARRYOVER_SETTINGS if k not in used and stored.get(k) not in (None, "0")]
    if stray:
        raise ConfigError(f"setting {stray[0]!r} does not apply to {country_name}: its loss brought in from "
                          f"before the ledger is {' and '.join(used) or 'not a setting'} (`taxer config unset "
                          f"{stray[0]}`)")
    return {name: Decimal(str(stored[setting])) for setting, name in keys if stored.get(setting)}


def price_sources(accounts) -> dict[str, str]:
    """account name -> the exchange whose candles value its events first (the accounts' price_source keys)."""
    out = {}
    for a in accounts:
        source = a.settings.get(PRICE_SOURCE_KEY.name)
        if source == "own":
            source = a.exchange_id
        if source:
            out[a.name] = source
    return out


def shown(stored: Mapping[str, object]) -> list[tuple[str, str, str]]:
    """(key, value, 'set' or 'default') for every workspace key; unset keys without a default show ''."""
    return [(k.name, str(stored[k.name]) if k.name in stored else (k.default or k.default_text),
             "set" if k.name in stored else "default") for k in KEYS.values()]
