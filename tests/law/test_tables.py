"""Rate tables that run forward with their last enacted value, and say so once (rate_note)."""

from __future__ import annotations

from decimal import Decimal

from taxer.countries import country
from taxer.countries.de import freigrenze
from taxer.countries.uk import annual_exempt_amount

D = Decimal


def test_uk_exempt_amount_after_2025_26_is_the_3000_last_enacted():
    # TCGA s1K(2) as amended by Finance Act 2023 s8: GBP 3,000 for 2024-25 and subsequent years. 2026/27 past the
    # table: still 3,000, with a note. (Before: no amount, and net_gain_after_exempt_amount None.)
    assert [annual_exempt_amount(y) for y in (2022, 2023, 2024, 2025, 2026)] == \
        [D(12300), D(6000), D(3000), D(3000), D(3000)]
    t = country("uk").totals(2026, (), {})
    assert t["annual_exempt_amount"] == D(3000) and t["net_gain_after_exempt_amount"] == D("0.00")
    assert "2026/27" in t["rate_note"] and "Finance Act 2023 s8" in t["rate_note"]
    assert "rate_note" not in country("uk").totals(2025, (), {})


def test_canada_inclusion_rate_runs_forward_at_one_half():
    t = country("ca").totals(2026, (), {})
    assert t["inclusion_rate"] == "1/2" and "ITA s38(a)" in t["rate_note"]
    assert "rate_note" not in country("ca").totals(2025, (), {})


def test_germany_limits_run_forward():
    # §23 Abs. 3 Satz 5 EStG: EUR 600 to 2023, EUR 1,000 from 2024 (Wachstumschancengesetz); §22 Nr. 3: EUR 256.
    assert [freigrenze(y) for y in (2023, 2024, 2026)] == [D(600), D(1000), D(1000)]
    t = country("de").totals(2026, (), {})
    assert (t["freigrenze"], t["income_limit"]) == (D(1000), D(256))
    # one note for the year, naming both tables
    assert t["rate_note"].count("checked through 2025") == 2 and "Wachstumschancengesetz" in t["rate_note"]


def test_australia_discount_runs_forward():
    t = country("au").totals(2026, (), {})
    assert t["discount_rate"] == "0.5" and "s115-100" in t["rate_note"]
    assert "rate_note" not in country("au").totals(2025, (), {})
