"""Losses across years, per country: carry-in, losses applied, carry-out (taxer.countries.losses)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from taxer.countries import country, losses
from tests.law.ledger import buy, run, sell, totals, year_figures

D = Decimal


def us_year(short: str, long: str) -> dict:
    return {"short_term_net": D(short), "long_term_net": D(long)}


def test_us_loss_limit_and_carryover_keep_short_and_long_apart():
    # 2024: short -10,000, long +2,000. Schedule D line 16: -8,000; line 21: the $3,000 limit (IRC 1211(b)).
    # Capital Loss Carryover Worksheet: line 4 = 3,000; short: line 5 10,000 - (line 4 3,000 + line 6 2,000) =
    # 5,000 carried as short-term (line 8); long: line 9 = 0, so none (line 13).
    # 2025: short +1,000, long 0. Line 7: 1,000 - 5,000 = -4,000; line 16 -4,000; deduction 3,000; short carry
    # 4,000 - 3,000 = 1,000; of the 5,000 brought in, 1,000 of gain and the 3,000 deduction used 4,000.
    rows = losses.us([(2024, us_year("-10000", "2000")), (2025, us_year("1000", "0"))])
    assert [(r["capital_loss_deduction"], r["short_term_carryover_out"], r["long_term_carryover_out"])
            for r in rows] == [(D(3000), D(5000), D(0)), (D(3000), D(1000), D(0))]
    assert (rows[1]["loss_carryover_in"], rows[1]["loss_applied"], rows[1]["loss_carryover_out"]) == \
        (D(5000), D(4000), D(1000))


def test_us_long_term_loss_carries_as_long_term():
    # Short +1,000, long -9,000: line 16 -8,000, deduction 3,000. Worksheet: line 5 = 0 -> no short carryover;
    # line 9 9,000 - (line 10 1,000 + line 11 (3,000 - 0)) = 5,000 long-term (IRC 1212(b)(1)(B)).
    [row] = losses.us([(2024, us_year("1000", "-9000"))])
    assert (row["short_term_carryover_out"], row["long_term_carryover_out"]) == (D(0), D(5000))


def test_us_married_filing_separately_limit_is_1500():
    # IRC 1211(b)(1): $1,500 for a married individual filing a separate return. A 10,000 short loss: deduction
    # 1,500, carryover 8,500.
    [row] = losses.us([(2024, us_year("-10000", "0"))], filing_status="married_filing_separately")
    assert (row["capital_loss_deduction"], row["short_term_carryover_out"]) == (D(1500), D(8500))


def test_us_carryover_brought_in_from_before_the_ledger():
    # 7,000 long-term carried in; a 2024 long gain of 5,000: line 15 = -2,000, deduction 2,000, nothing left.
    [row] = losses.us([(2024, us_year("0", "5000"))], brought_in={"long_term": D(7000)})
    assert (row["net_long_term_gain"], row["capital_loss_deduction"], row["loss_carryover_out"]) == \
        (D(-2000), D(2000), D(0))


def test_us_carryover_through_the_country_from_the_whole_ledger():
    # 2024: 1 BTC bought 2024-01-10 for 20,000 sold 2024-06-01 for 10,000: short -10,000 -> deduction 3,000,
    # carry 7,000 (short). 2025: 1 ETH bought 2025-01-10 for 2,000, sold 2025-05-01 for 6,000: short +4,000;
    # line 7 = 4,000 - 7,000 = -3,000: deduction 3,000, nothing carried to 2026.
    ledger = (buy("2024-01-10 12:00", "BTC", "1", "20000", "USD"), sell("2024-06-01 12:00", "BTC", "1", "10000", "USD"),
              buy("2025-01-10 12:00", "ETH", "1", "2000", "USD"), sell("2025-05-01 12:00", "ETH", "1", "6000", "USD"))
    y2024 = year_figures(run("us", *ledger, year=2024), 2024)
    t = totals("us", 2025, run("us", *ledger, year=2025), history=(y2024,))
    assert (t["short_term_carryover_in"], t["net_short_term_gain"], t["capital_loss_deduction"],
            t["loss_carryover_out"]) == (D(7000), D(-3000), D(3000), D(0))


def test_uk_losses_brought_forward_stop_at_the_exempt_amount():
    # TCGA s2A: 2023/24 gains 1,000, losses 9,000: 8,000 carried forward. 2024/25 gains 10,000, no losses: the
    # brought-forward losses reduce 10,000 only down to the 3,000 exempt amount: 7,000 used, 1,000 carried on,
    # nothing chargeable. 2025/26 gains 5,000 and losses 4,000 of the year: 1,000 net, under the exempt amount,
    # so no brought-forward loss is used.
    years = [(2023, {"gains": D(1000), "losses": D(9000), "annual_exempt_amount": D(6000)}),
             (2024, {"gains": D(10000), "losses": D(0), "annual_exempt_amount": D(3000)}),
             (2025, {"gains": D(5000), "losses": D(4000), "annual_exempt_amount": D(3000)})]
    rows = losses.uk(years)
    assert [(r["loss_carryover_in"], r["loss_applied"], r["loss_carryover_out"],
             r["net_gain_after_losses_and_exempt_amount"]) for r in rows] == [
        (D(0), D(0), D(8000), D(0)), (D(8000), D(7000), D(1000), D(0)), (D(1000), D(0), D(1000), D(0))]


def test_canada_net_capital_loss_carried_forward_at_the_inclusion_rate():
    # ITA s111(1)(b): 2023 net capital loss 6,000 -> allowable 3,000 (1/2). 2024 net gain 4,000 -> taxable 2,000;
    # the deduction is limited to it: 2,000 used, 1,000 carried on.
    years = [(2023, {"inclusion_rate": "1/2", "taxable_capital_gain": D(0), "net_capital_loss": D(6000)}),
             (2024, {"inclusion_rate": "1/2", "taxable_capital_gain": D(2000), "net_capital_loss": D(0)})]
    rows = losses.ca(years)
    assert [(r["loss_carryover_in"], r["net_capital_losses_of_other_years_deducted"], r["loss_carryover_out"])
            for r in rows] == [(D(0), D(0), D("3000.00")), (D("3000.00"), D(2000), D("1000.00"))]


def test_canada_loss_of_a_two_thirds_year_is_adjusted():
    # s111(1.1): a loss allowable at 2/3 (3,000 of a 4,500 loss) used in a 1/2 year is worth 3,000 x (1/2)/(2/3)
    # = 2,250 there.
    [row] = losses.ca([(2024, {"inclusion_rate": "1/2", "taxable_capital_gain": D(5000),
                               "net_capital_loss": D(0)})], brought_in={"net_capital_loss": D(3000)})
    assert row["loss_carryover_in"] == D(3000)  # stated at the first year's rate when brought in
    rows = losses.ca([(2000, {"inclusion_rate": "2/3", "taxable_capital_gain": D(0), "net_capital_loss": D(4500)}),
                      (2024, {"inclusion_rate": "1/2", "taxable_capital_gain": D(5000), "net_capital_loss": D(0)})])
    assert (rows[0]["loss_carryover_out"], rows[1]["loss_carryover_in"]) == (D("3000.00"), D("2250.00"))


def de_year(taxable: str, loss: str) -> dict:
    return {"taxable_private_sales_gain": D(taxable), "private_sales_loss": D(loss)}


def test_germany_loss_is_carried_back_one_year_then_forward():
    # §23 Abs. 3 Satz 8 EStG with §10d: 2023 taxable private-sales gain 5,000; 2024 loss 3,000 goes back to 2023
    # (Verlustrücktrag): 2023 taxable 2,000 after it, nothing carried forward from 2024.
    rows = losses.de([(2023, de_year("5000", "0")), (2024, de_year("0", "3000"))])
    assert (rows[0]["loss_carried_back_in"], rows[0]["taxable_private_sales_gain_after_losses"],
            rows[1]["loss_carried_back"], rows[1]["loss_carryover_out"]) == (D(3000), D(2000), D(3000), D(0))
    # Waived (§10d Abs. 1 Satz 5): all 3,000 carried forward.
    rows = losses.de([(2023, de_year("5000", "0")), (2024, de_year("0", "3000"))], carry_back=False)
    assert rows[1]["loss_carryover_out"] == D(3000)


def test_germany_freigrenze_is_tested_before_losses_of_other_years():
    # 2022 loss 2,000 (carried forward). 2023 gain 500, under the 600 Freigrenze: tax-free, taxable 0, so no loss
    # is spent. 2024 gain 1,500 (not under 1,000): taxable 1,500, of which 1,500 offset: 500 carried on. 2025 loss
    # 700: nothing left in 2024 to carry back to, so 1,200 goes forward.
    rows = losses.de([(2022, de_year("0", "2000")), (2023, de_year("0", "0")), (2024, de_year("1500", "0")),
                      (2025, de_year("0", "700"))])
    assert [(r["loss_carryover_in"], r["loss_applied"], r["loss_carryover_out"]) for r in rows] == [
        (D(0), D(0), D(2000)), (D(2000), D(0), D(2000)), (D(2000), D(1500), D(500)), (D(500), D(0), D(1200))]


def test_germany_through_the_country_only_private_sales_gains_absorb_losses():
    # 2023: ETH bought 2023-02-01 for 10,000, sold 2023-05-01 for 7,000: loss 3,000. 2024: BTC bought 2024-02-01 for
    # 10,000, sold 2024-05-01 for 12,000: gain 2,000, over the 1,000 Freigrenze: taxable 2,000, less the 3,000 loss
    # brought forward: 0, with 1,000 carried on. Staking income (§22 Nr. 3) takes no part.
    ledger = (buy("2023-02-01 12:00", "ETH", "1", "10000", "EUR"), sell("2023-05-01 12:00", "ETH", "1", "7000", "EUR"),
              buy("2024-02-01 12:00", "BTC", "1", "10000", "EUR"), sell("2024-05-01 12:00", "BTC", "1", "12000", "EUR"))
    y2023 = year_figures(run("de", *ledger, year=2023), 2023)
    t = totals("de", 2024, run("de", *ledger, year=2024), history=(y2023,))
    assert (t["taxable_private_sales_gain"], t["loss_applied"], t["taxable_private_sales_gain_after_losses"],
            t["loss_carryover_out"]) == (D(2000), D(3000 - 1000), D(0), D(1000))


def test_australia_prior_losses_come_before_the_discount():
    # ITAA 1997 s102-5(1): 2023/24 a 5,000 capital loss, no gains: net capital loss 5,000. 2024/25: 1,000 not
    # discountable, 10,000 discountable. Step 2: 1,000 of the loss against the 1,000, 4,000 against the 10,000;
    # step 3: 50% of 6,000 = 3,000. Net capital gain 3,000. (Discounting first would give 1,000.)
    years = [(2023, {"gross_capital_gains": D(0), "discountable_gains": D(0), "capital_losses": D(5000)}),
             (2024, {"gross_capital_gains": D(11000), "discountable_gains": D(10000), "capital_losses": D(0)})]
    rows = losses.au(years)
    assert (rows[0]["loss_carryover_out"], rows[1]["loss_applied"], rows[1]["discount_after_losses"],
            rows[1]["net_capital_gain_after_losses"], rows[1]["loss_carryover_out"]) == \
        (D(5000), D(5000), D("3000.00"), D("3000.00"), D(0))


def test_every_country_carries_losses():
    assert {code: country(code).carryover is not None for code in ("us", "uk", "ca", "de", "au")} == \
        dict.fromkeys(("us", "uk", "ca", "de", "au"), True)
    with pytest.raises(ValueError, match="filing status"):
        losses.us([], filing_status="joint")
