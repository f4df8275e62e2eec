"""Methods and pools each country's law allows; a refused one names the rule and needs allow_nonstandard."""

from __future__ import annotations

from decimal import Decimal

import pytest

from taxer.countries import country
from taxer.errors import ConfigError
from tests.law.ledger import buy, run, sell

D = Decimal


def test_us_refuses_average_cost_for_digital_assets():
    # Treas. Reg. 1.1012-1(e) allows average basis for RIC shares and DRIP stock only.
    with pytest.raises(ConfigError, match=r"1\.1012-1\(e\)"):
        country("us").settings(method="average")
    assert country("us").settings(method="average", allow_nonstandard=True).method == "average"
    assert country("us").method("hifo") == "hifo"


def test_us_refuses_a_universal_pool_for_2025_on():
    # Treas. Reg. 1.1012-1(j), Rev. Proc. 2024-28: per wallet or account from 2025 ("auto" is universal before).
    with pytest.raises(ConfigError, match="Rev. Proc. 2024-28"):
        country("us").settings(pool="universal")
    assert country("us").settings(pool="universal", allow_nonstandard=True).pool == "universal"
    assert country("us").settings().pool == "auto"


@pytest.mark.parametrize("code, method, rule", [
    ("uk", "fifo", "s104-106A"),    # TCGA s104-106A matching only
    ("ca", "fifo", "ITA s47"),      # ITA s47: identical properties at their average cost
    ("de", "lifo", "Rz. 61"),       # BMF 10.05.2022 Rz. 61: individual identification, average or FIFO
    ("de", "hifo", "Rz. 61"),
    ("au", "average", "TD 33"),     # ATO TD 33: average cost only for identical assets bought the same day
])
def test_each_country_refuses_what_its_law_does_not_allow(code, method, rule):
    with pytest.raises(ConfigError, match=rule):
        country(code).settings(method=method)


def test_allowed_methods():
    assert country("de").settings().method == "fifo"
    assert country("de").settings(method="average").method == "average"
    assert [country("au").settings(method=m).method for m in ("fifo", "lifo", "hifo")] == ["fifo", "lifo", "hifo"]


def test_germany_uses_fifo_per_wallet():
    # BMF 10.05.2022 Rz. 61: the order of use is per wallet. Wallet a bought 1 ETH on 2023-01-10 for 1,000,
    # wallet b 1 ETH on 2024-01-10 for 2,500; b sells 1 on 2024-06-10 for 3,000: b's own coin, held under a year:
    # taxable 500 (below the 2024 Freigrenze of 1,000). (Before, one pool across wallets sold a's older coin:
    # 2,000, held over a year, tax-free.)
    result = run("de", buy("2023-01-10 12:00", "ETH", "1", "1000", "EUR", account="a"),
                 buy("2024-01-10 12:00", "ETH", "1", "2500", "EUR", account="b"),
                 sell("2024-06-10 12:00", "ETH", "1", "3000", "EUR", account="b"), year=2024)
    assert [(d.account, d.term, d.cost_basis, d.gain) for d in result.disposals] == [
        ("b", "short", D(2500), D(500))]
    with pytest.raises(ConfigError, match="per wallet"):
        country("de").settings(pool="universal")


def test_germany_average_method_averages_value_and_dates_by_fifo():
    # BMF Rz. 61: the average method values at the average cost, the holding period follows FIFO. Two coins
    # (1,000 on 2023-01-10, 3,000 on 2024-01-10): average 2,000. Selling one on 2024-06-10 for 2,600: gain 600,
    # dated by the first coin, held more than a year: tax-free.
    result = run("de", buy("2023-01-10 12:00", "ETH", "1", "1000", "EUR"),
                 buy("2024-01-10 12:00", "ETH", "1", "3000", "EUR"),
                 sell("2024-06-10 12:00", "ETH", "1", "2600", "EUR"), year=2024, method="average")
    assert [(d.term, d.cost_basis, d.gain) for d in result.disposals] == [("long", D(2000), D(600))]
