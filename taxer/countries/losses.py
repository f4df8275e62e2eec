"""Capital losses across years, one pure function per country (Country.carryover).

Each takes the years' totals in order, `[(year, totals), ...]` (what the country's totals, or its `loss_totals`,
give for each tax year the ledger holds, oldest first), the losses brought in from before the ledger, and returns
per year the fields it adds: always `loss_carryover_in`, `loss_applied` (losses brought in used this year) and
`loss_carryover_out`, plus the country's own figures. A report computes every earlier year from the whole ledger
and reads the last row (Country.year_totals does that).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from taxer.countries.tables import TRANSFER_FEE, counted

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
Years = Sequence[tuple[int, Mapping[str, Any]]]

# IRC 1211(b): a net capital loss is deductible against other income up to USD 3,000 a year (1,500 for a married
# person filing separately); IRC 1212(b): the rest carries over, keeping its short- or long-term character.
US_LIMIT = Decimal(3000)
US_LIMIT_MARRIED_SEPARATELY = Decimal(1500)
FILING_STATUSES = ("single", "married_filing_jointly", "head_of_household", "qualifying_surviving_spouse",
                   "married_filing_separately")


def _in(brought_in: Mapping[str, Decimal] | None, key: str) -> Decimal:
    return Decimal((brought_in or {}).get(key, ZERO))


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


# --- United States ------------------------------------------------------------------------------------------

def us_totals(year: int, lines: tuple[Any, ...], income: Mapping[str, Decimal], other: tuple[Any, ...] = ()
              ) -> dict[str, Any]:
    """Schedule D's net short- and long-term gain of the year (lines 7 and 15 before carryovers), with the
    network fees paid on moves between own wallets (Treas. Reg. 1.1001-7(b)(2): a disposal) included."""
    fees = counted(other, (TRANSFER_FEE,))
    return {
        "short_term_net": sum((r.gain for r in (*lines, *fees) if r.term == "short"), ZERO),
        "long_term_net": sum((r.gain for r in (*lines, *fees) if r.term != "short"), ZERO),
        "transfer_fee_gain": sum((r.gain for r in fees), ZERO),
    }


def us(years: Years, brought_in: Mapping[str, Decimal] | None = None, filing_status: str = "single",
       taxable_income: Mapping[int, Decimal] | None = None) -> list[dict[str, Any]]:
    """IRC 1211(b), 1212(b) with the Capital Loss Carryover Worksheet of the Schedule D instructions.

    `brought_in`: {"short_term": ..., "long_term": ...} carried in to the first year (positive amounts).
    `taxable_income`: the year's Form 1040 taxable income where known (worksheet line 1); without it the whole
    deduction is taken as used (a taxable income of at least zero before the deduction).
    """
    if filing_status not in FILING_STATUSES:
        raise ValueError(f"unknown filing status {filing_status!r}: use one of {', '.join(FILING_STATUSES)}")
    limit = US_LIMIT_MARRIED_SEPARATELY if filing_status == "married_filing_separately" else US_LIMIT
    st_in, lt_in = _in(brought_in, "short_term"), _in(brought_in, "long_term")
    rows = []
    for year, t in years:
        line7 = t["short_term_net"] - st_in      # Schedule D line 6 enters the short-term carryover as a loss
        line15 = t["long_term_net"] - lt_in      # line 14: the long-term carryover
        line16 = line7 + line15
        deduction = min(limit, -line16) if line16 < 0 else ZERO    # line 21
        st_out = lt_out = ZERO
        if line16 < 0:
            # The worksheet: line 4 is the deduction actually used (limited by taxable income, lines 1-3).
            used = deduction
            if taxable_income is not None and year in taxable_income:
                used = min(deduction, max(Decimal(taxable_income[year]) + deduction, ZERO))
            l5 = max(-line7, ZERO)
            l6 = max(line15, ZERO)
            st_out = max(l5 - (used + l6), ZERO)                     # line 8
            l9 = max(-line15, ZERO)
            l10 = max(line7, ZERO)
            l11 = max(used - l5, ZERO)
            lt_out = max(l9 - (l10 + l11), ZERO)                     # line 13
        current = t["short_term_net"] + t["long_term_net"]
        carry_in = st_in + lt_in
        rows.append({
            "short_term_carryover_in": st_in, "long_term_carryover_in": lt_in,
            "net_short_term_gain": line7, "net_long_term_gain": line15, "net_capital_gain": line16,
            "capital_loss_deduction": deduction, "capital_loss_limit": limit,
            "short_term_carryover_out": st_out, "long_term_carryover_out": lt_out,
            "loss_carryover_in": carry_in,
            # the losses brought in that this year's gains or its deduction used up
            "loss_applied": min(carry_in, max(current, ZERO) + deduction),
            "loss_carryover_out": st_out + lt_out,
        })
        st_in, lt_in = st_out, lt_out
    return rows


# --- United Kingdom -----------------------------------------------------------------------------------------

def uk(years: Years, brought_in: Mapping[str, Decimal] | None = None) -> list[dict[str, Any]]:
    """TCGA 1992 s2(2), s2A: the year's losses against its gains in full; losses brought forward only down to
    the annual exempt amount; what is left carries forward. `brought_in`: {"losses": ...}."""
    carry = _in(brought_in, "losses")
    rows = []
    for _, t in years:
        net = t["gains"] - t["losses"]
        exempt = t.get("annual_exempt_amount") or ZERO
        applied = min(carry, net - exempt) if net > exempt else ZERO
        out = carry - applied + max(-net, ZERO)
        rows.append({"loss_carryover_in": carry, "loss_applied": applied, "loss_carryover_out": out,
                     "net_gain_after_losses_and_exempt_amount": max(net - applied - exempt, ZERO)})
        carry = out
    return rows


# --- Canada -------------------------------------------------------------------------------------------------

def _rate(text: str) -> Fraction:
    return Fraction(text)


def ca(years: Years, brought_in: Mapping[str, Decimal] | None = None) -> list[dict[str, Any]]:
    """ITA s111(1)(b): net capital losses of other years deducted from the year's taxable capital gains, never
    more than them; a loss of a year with another inclusion rate is adjusted to this year's (s111(1.1), s111(8)).

    Amounts are allowable (taxable) amounts, as line 25300 of the return takes them. `brought_in`:
    {"net_capital_loss": ...} at the rate of the first year. Losses are used oldest first. Carrying a loss back
    three years (form T1A) is an election: not applied here.
    """
    pool: list[list[Any]] = []  # [amount, inclusion rate it is stated at], oldest first
    first = _in(brought_in, "net_capital_loss")
    if first and years:
        pool.append([first, _rate(years[0][1]["inclusion_rate"])])
    rows = []
    for _, t in years:
        rate = _rate(t["inclusion_rate"])
        for entry in pool:
            if entry[1] != rate:
                entry[0] = _cents(entry[0] * rate.numerator * entry[1].denominator
                                  / (rate.denominator * entry[1].numerator))
                entry[1] = rate
        carry = sum((e[0] for e in pool), ZERO)
        want = min(carry, t["taxable_capital_gain"])
        applied, left = want, want
        for entry in pool:
            take = min(entry[0], left)
            entry[0] -= take
            left -= take
        pool = [e for e in pool if e[0] > 0]
        new = _cents(t["net_capital_loss"] * rate.numerator / rate.denominator)
        if new:
            pool.append([new, rate])
        rows.append({"loss_carryover_in": carry, "loss_applied": applied,
                     "net_capital_losses_of_other_years_deducted": applied,
                     "taxable_capital_gain_after_losses": t["taxable_capital_gain"] - applied,
                     "allowable_capital_loss_of_the_year": new,
                     "loss_carryover_out": sum((e[0] for e in pool), ZERO)})
    return rows


# --- Germany ------------------------------------------------------------------------------------------------

def de(years: Years, brought_in: Mapping[str, Decimal] | None = None, carry_back: bool = True
       ) -> list[dict[str, Any]]:
    """EStG §23 Abs. 3 Sätze 7-8 with §10d: a private-sales loss offsets only private-sales gains: first of the
    immediately preceding year (Verlustrücktrag, which the taxpayer may waive: `carry_back`), then of the
    following years (Verlustvortrag).

    The Freigrenze is tested on the year's own total gain before any loss of another year (BFH IX R 13/03): a
    gain below it is tax-free, and losses carried forward are not spent on it. Carried-forward losses apply
    before a carry-back from the next year reaches a year. The §10d amount limits (EUR 1 million carry-back, 60 %
    above EUR 1 million carried forward) are not applied. `brought_in`: {"private_sales_loss": ...}.
    """
    carry = _in(brought_in, "private_sales_loss")
    rows: list[dict[str, Any]] = []
    left: list[Decimal] = []
    for n, (year, t) in enumerate(years):
        taxable, loss = t["taxable_private_sales_gain"], t["private_sales_loss"]
        applied = min(carry, taxable)
        back = ZERO
        if carry_back and loss > 0 and n and years[n - 1][0] == year - 1:
            back = min(loss, left[n - 1])
            left[n - 1] -= back
            rows[n - 1]["loss_carried_back_in"] = back
            rows[n - 1]["taxable_private_sales_gain_after_losses"] -= back
        out = carry - applied + loss - back
        rows.append({"loss_carryover_in": carry, "loss_applied": applied, "loss_carried_back": back,
                     "loss_carried_back_in": ZERO, "loss_carryover_out": out,
                     "taxable_private_sales_gain_after_losses": taxable - applied})
        left.append(taxable - applied)
        carry = out
    return rows


# --- Australia ----------------------------------------------------------------------------------------------

def au(years: Years, brought_in: Mapping[str, Decimal] | None = None) -> list[dict[str, Any]]:
    """ITAA 1997 s102-5(1): step 1 the year's capital losses, step 2 net capital losses of earlier years (in the
    order they were made, s102-15), both against gains not discounted first; step 3 the discount on what remains
    of the discountable gains. A net capital loss carries forward without limit (s102-10).
    `brought_in`: {"net_capital_loss": ...}. Each year's totals carry its `discount_rate`."""
    carry = _in(brought_in, "net_capital_loss")
    rows = []
    for _, t in years:
        other = t["gross_capital_gains"] - t["discountable_gains"]
        discountable = t["discountable_gains"]
        losses = t["capital_losses"]
        step1 = min(losses, other)
        other -= step1
        step1b = min(losses - step1, discountable)
        discountable -= step1b
        unused = losses - step1 - step1b
        step2 = min(carry, other)
        other -= step2
        step2b = min(carry - step2, discountable)
        discountable -= step2b
        applied = step2 + step2b
        discount = _cents(discountable * Decimal(t.get("discount_rate", "0.5")))
        out = carry - applied + unused
        rows.append({"loss_carryover_in": carry, "loss_applied": applied, "discount_after_losses": discount,
                     "net_capital_gain_after_losses": other + discountable - discount,
                     "loss_carryover_out": out})
        carry = out
    return rows
