"""Tax-year bounds and the holding period in the taxpayer's time zone."""

from __future__ import annotations

from datetime import date

import pytest

from taxer.countries import country
from taxer.engine import anniversary, is_long_term
from taxer.errors import ConfigError
from tests.engine.helpers import at


@pytest.mark.parametrize(("year", "zone", "start", "end"), [
    (2024, "UTC", "2024-01-01 00:00", "2025-01-01 00:00"),
    (2025, "Asia/Tokyo", "2024-12-31 15:00", "2025-12-31 15:00"),
    (2024, "America/New_York", "2024-01-01 05:00", "2025-01-01 05:00"),
])
def test_tax_year_bounds(year, zone, start, end):
    # The US tax year is the calendar year, cut in the taxpayer's zone (Country.bounds is the one tax-year cut).
    assert country("us").bounds(year, zone) == (at(start), at(end))
    assert country("us").bounds(year, zone)[0].utcoffset().total_seconds() == 0


def test_tax_year_bounds_rejects_an_unknown_zone():
    with pytest.raises(ConfigError, match="unknown time zone"):
        country("us").bounds(2024, "Nowhere/Special")


@pytest.mark.parametrize(("acquired", "anniversary_date"), [
    (date(2023, 3, 1), date(2024, 3, 1)), (date(2024, 2, 29), date(2025, 2, 28)),
    (date(2023, 12, 31), date(2024, 12, 31)),
])
def test_anniversary(acquired, anniversary_date):
    assert anniversary(acquired) == anniversary_date


@pytest.mark.parametrize(("acquired", "disposed", "long_term"), [
    (date(2023, 3, 1), date(2024, 3, 1), False), (date(2023, 3, 1), date(2024, 3, 2), True),
    (date(2024, 2, 29), date(2025, 2, 28), False), (date(2024, 2, 29), date(2025, 3, 1), True),
])
def test_is_long_term(acquired, disposed, long_term):
    assert is_long_term(acquired, disposed) is long_term
