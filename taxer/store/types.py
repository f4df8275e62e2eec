"""Column types that keep money exact and time zone-aware on SQLite and PostgreSQL alike.

SQLite has no exact decimal type (its NUMERIC affinity goes through float) and no time zones, so there
values are stored as canonical text; PostgreSQL gets NUMERIC and TIMESTAMPTZ, which are exact natively.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Numeric, String, types

UTC = UTC
_SQLITE_TS = "%Y-%m-%d %H:%M:%S.%f"


def decimal_text(value: Decimal) -> str:
    """Canonical text of a Decimal without exponent, so it reads back as the same number."""
    if not value.is_finite():
        raise ValueError(f"not a finite number: {value}")
    return format(value, "f")


class ExactDecimal(types.TypeDecorator):
    """A Decimal stored losslessly: NUMERIC on PostgreSQL, text on SQLite. Never passes through float."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(asdecimal=True))
        return dialect.type_descriptor(String(80))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"ExactDecimal needs a Decimal, got {type(value).__name__}: {value!r}")
        return value if dialect.name == "postgresql" else decimal_text(value)

    def process_result_value(self, value, dialect):
        if value is None or isinstance(value, Decimal):
            return value
        return Decimal(value)


class UTCDateTime(types.TypeDecorator):
    """An aware datetime stored in UTC: TIMESTAMPTZ on PostgreSQL, sortable ISO text on SQLite."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import TIMESTAMP  # only there: SQLite's open need not load it

            return dialect.type_descriptor(TIMESTAMP(timezone=True))
        return dialect.type_descriptor(String(32))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive or non-datetime timestamp {value!r}: taxer stores UTC-aware datetimes only")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.strftime(_SQLITE_TS)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.astimezone(UTC)
        return datetime.fromisoformat(value).replace(tzinfo=UTC)  # the _SQLITE_TS text; ~20x faster than strptime


def sqlite_timestamp(value: datetime) -> str:
    """The SQLite text form of an aware datetime, for bulk paths that bypass the type (same format)."""
    return value.astimezone(UTC).strftime(_SQLITE_TS)
