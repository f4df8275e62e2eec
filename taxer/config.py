"""Workspace settings: what each key means, which values it takes, and the defaults a report starts from.

Stored in the ledger database (`settings` table; per-account keys in the account's settings), so a workspace
folder or a PostgreSQL database carries its taxpayer's choices with it. Command-line options still win.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from taxer.countries.us import BOXES_FROM_2025, REPORTING_SETTING
from taxer.engine.methods import METHODS
from taxer.engine.settings import POOLS
from taxer.engine.taxyear import zone
from taxer.errors import ConfigError
from taxer.model import FIAT
from taxer.pricing.book import CANDLE_PRICES
from taxer.words import mask_tin

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


def _tin(key: str, text: str) -> str:
    value = text.strip().upper()
    plain = value.replace("-", "").replace(" ", "")
    if not plain.isascii() or not plain.isalnum() or not 6 <= len(plain) <= 20 or sum(c.isdigit() for c in plain) < 4:
        raise ConfigError(f"setting {key!r}: give the taxpayer identification number (US SSN or ITIN as "
                          "123-45-6789, EIN 12-3456789; or the country's own number), 6 to 20 letters and digits")
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
    Key("taxpayer", _text, None, "taxpayer's name, printed on the report's cover and page headers"),
    Key("taxpayer_tin", _tin, None, "taxpayer identification number (SSN, ITIN, EIN...): reports print only its "
        "last four digits, ***-**-6789"),
    Key("preparer", _text, None, "who prepared the report (name or firm), printed on the cover and summary.txt"),
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
    taxpayer_tin: str | None = None
    preparer: str | None = None
    price_exchange: str = "kraken"


def resolve(stored: Mapping[str, object], **given: str | None) -> ReportDefaults:
    """Options given (not None) win over the workspace's settings, which win over taxer's defaults."""
    def pick(name: str) -> str | None:
        value = given.get(name)
        return value if value is not None else stored.get(name, KEYS[name].default)
    hours = Decimal(str(pick("transfer_window")))
    return ReportDefaults(method=pick("method"), country=pick("country"), currency=pick("currency"),
                          timezone=pick("timezone"), pool=pick("pool"),
                          transfer_window=timedelta(seconds=int(hours * 3600)), taxpayer=pick("taxpayer"),
                          candle_price=pick("candle_price"), price_exchange=pick("price_exchange"),
                          taxpayer_tin=pick("taxpayer_tin"), preparer=pick("preparer"))


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
    """(key, value, 'set' or 'default') for every workspace key; unset keys without a default show ''; the TIN
    masked."""
    def value(k: Key) -> str:
        text = str(stored[k.name])
        return (mask_tin(text) or "") if k.name == "taxpayer_tin" else text
    return [(k.name, value(k) if k.name in stored else (k.default or k.default_text),
             "set" if k.name in stored else "default") for k in KEYS.values()]
