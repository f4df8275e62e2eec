"""Coins paid as a network fee on a move between own wallets: a disposal at market value (US Treas. Reg.
1.1001-7(b)(2)), listed apart from sales, its gain counted in every country's totals (DOMAIN.md)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.law.ledger import buy, move, rows, run, totals

D = Decimal


@pytest.mark.parametrize("code, currency, gain_key", [
    ("us", "USD", "short_term_net"), ("uk", "GBP", "gains"), ("ca", "CAD", "net_capital_gain"),
    ("de", "EUR", "gain_held_up_to_one_year"), ("au", "AUD", "gross_capital_gains")])
def test_the_fee_coins_gain_is_in_the_totals(code, currency, gain_key):
    # 1 BTC bought for 30,000; moved a -> b, 1 sent, 0.999 received: 0.001 BTC paid as the fee. The move values
    # the 1 BTC at 50,000, so the fee's 0.001 is worth 50; its basis is 0.001 x 30,000 = 30: gain 20.
    year = 2024
    result = run(code, buy("2024-08-01 12:00", "BTC", "1", "30000", currency),
                 move("2024-09-01 12:00", "BTC", "1", "0.999", "50000", currency), year=year)
    assert rows(result) == [("transfer_fee", "0.001", "50", "30", "20", "short")]
    assert totals(code, year, result)[gain_key] == D("20.00")
