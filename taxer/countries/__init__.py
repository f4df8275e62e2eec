"""Countries: each one a small module of rules and report pieces plugged into the same engine.

A new country is one module defining a `Country` and one line in `COUNTRIES`.
"""

from __future__ import annotations

from taxer.countries.au import AU
from taxer.countries.base import Country
from taxer.countries.ca import CA
from taxer.countries.de import DE
from taxer.countries.uk import UK
from taxer.countries.us import US
from taxer.errors import ConfigError

COUNTRIES: dict[str, Country] = {c.code: c for c in (US, UK, CA, DE, AU)}


def register(rules: Country) -> Country:
    """Add a country (its code becomes a --country choice)."""
    COUNTRIES[rules.code] = rules
    return rules


def country(code: str) -> Country:
    """The country with ISO-like code `code` (us, uk, ca, de, au); ConfigError for any other."""
    found = COUNTRIES.get(str(code).lower())
    if found is None:
        raise ConfigError(f"country {code!r} is not supported: use one of {', '.join(COUNTRIES)}")
    return found


__all__ = ["COUNTRIES", "Country", "country", "register"]
