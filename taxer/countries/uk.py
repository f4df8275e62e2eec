"""United Kingdom (HMRC): same-day, 30-day and Section 104 pool matching; the HMRC summary per tax year."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from taxer.countries import losses
from taxer.countries.base import Country
from taxer.countries.tables import TRANSFER_FEE, Table, counted, rate_note, sold_on
from taxer.engine import uk as uk_rules
from taxer.engine.records import MARKET_VALUE, NO_GAIN_NO_LOSS
from taxer.files import csv_bytes
from taxer.money import money, quantity

# Annual exempt amount for individuals, by the year the tax year starts in (TCGA 1992 s1K; Finance Act 2023).
ANNUAL_EXEMPT_AMOUNT = {2019: Decimal(12000), 2020: Decimal(12300), 2021: Decimal(12300),
                        2022: Decimal(12300), 2023: Decimal(6000), 2024: Decimal(3000),
                        2025: Decimal(3000)}
# The same amounts as a table that runs forward: TCGA 1992 s1K(2) as amended by Finance Act 2023 s8 sets GBP
# 3,000 "for 2024-25 and subsequent tax years" (no indexation), so a later year keeps it until an act changes it.
EXEMPT_AMOUNT_TABLE = Table(
    "The annual exempt amount", {2014: Decimal(11000), 2015: Decimal(11100), 2017: Decimal(11300),
                                 2018: Decimal(11700), **ANNUAL_EXEMPT_AMOUNT},
    checked_through=2025, law="TCGA 1992 s1K(2) as amended by Finance Act 2023 s8: GBP 3,000 from 2024-25")
# Disposals apart from sales that count in the summary: network fees paid in the moved coin and gifts at market
# value (TCGA s17(1)(a)). Gifts to a spouse or civil partner (s58) and to charity (s257) are at no gain and no loss:
# they change no total and are not among the disposals the return reports, so they stay listed apart only.
COUNTED = (TRANSFER_FEE, "gift")
GIFT_RULES = (("gift", MARKET_VALUE), ("gift_spouse", NO_GAIN_NO_LOSS), ("donation", NO_GAIN_NO_LOSS))


def annual_exempt_amount(year: int) -> Decimal | None:
    """The annual exempt amount of the tax year starting in `year` (None before 2014/15, not tabled)."""
    return EXEMPT_AMOUNT_TABLE.value(year) if year >= 2014 else None
# The main CGT rates rose for disposals on or after 30 October 2024 (Autumn Budget 2024): 2024/25 splits there.
RATE_CHANGE = date(2024, 10, 30)
ZERO = Decimal("0.00")


def _per_disposal(lines: tuple[Any, ...]) -> dict[tuple[str, str], Decimal]:
    """Net gain of each disposal as HMRC counts them: per asset and UK day (the pieces' printed gains)."""
    gains: dict[tuple[str, str], Decimal] = {}
    for r in lines:
        key = (r.asset, sold_on(r))
        gains[key] = gains.get(key, ZERO) + r.gain
    return gains


def totals(year: int, lines: tuple[Any, ...], income: Mapping[str, Decimal], other: tuple[Any, ...] = ()
           ) -> dict[str, Any]:
    """The HMRC capital gains summary of the tax year (SA108's crypto-asset boxes).

    Network fees and gifts (`other`) are disposals too: they count in the gains, losses and disposals.
    """
    extra = counted(other, COUNTED)
    lines = (*lines, *extra)
    per = _per_disposal(lines)
    gains = sum((g for g in per.values() if g > 0), ZERO)
    losses = -sum((g for g in per.values() if g < 0), ZERO)
    exempt = annual_exempt_amount(year)
    out: dict[str, Any] = {
        "disposals": len(per),
        "disposal_proceeds": sum((r.proceeds for r in lines), ZERO),
        "allowable_costs": sum((r.cost_basis for r in lines), ZERO),
        "gains": gains,
        "losses": losses,
        "net_gain": gains - losses,
        "annual_exempt_amount": exempt,
        "net_gain_after_exempt_amount": None if exempt is None else max(gains - losses - exempt, ZERO),
        "pieces_same_day": sum(1 for r in lines if getattr(r, "rule", "") == "same_day"),
        "pieces_thirty_day": sum(1 for r in lines if getattr(r, "rule", "") == "thirty_day"),
        "pieces_pool": sum(1 for r in lines if getattr(r, "rule", "") == "pool"),
    }
    if year == 2024:
        cut = RATE_CHANGE.isoformat()
        out["net_gain_before_30_october_2024"] = sum((g for (_, day), g in per.items() if day < cut), ZERO)
        out["net_gain_from_30_october_2024"] = sum((g for (_, day), g in per.items() if day >= cut), ZERO)
    if extra:
        out["other_disposals_counted"] = len(extra)
    note = rate_note(EXEMPT_AMOUNT_TABLE.note(year, f"{year}/{(year + 1) % 100:02d}"))
    if note:
        out["rate_note"] = note
    return out


RULE_NAMES = {"same_day": "same day", "thirty_day": "30 days", "pool": "Section 104 pool"}
PIECES_HEADER = ("date_disposed", "asset", "amount", "rule", "date_acquired", "proceeds", "allowable_costs",
                 "gain_loss", "account", "disposal_tx_id", "acquisition_tx_id", "flags")


def matched_pieces(view: Any) -> dict[str, bytes]:
    """hmrc_disposals.csv: each matched piece with the rule that matched it, in date order."""
    lines = sorted(view.form8949, key=lambda r: (r.date_sold, r.asset, r.disposal_tx_id or 0))
    rows = ((r.date_sold, r.asset, quantity(r.amount), RULE_NAMES.get(r.rule, r.rule), r.date_acquired,
             money(r.proceeds), money(r.cost_basis), money(r.gain), r.account,
             "" if r.disposal_tx_id is None else str(r.disposal_tx_id),
             "" if r.acquisition_tx_id is None else str(r.acquisition_tx_id), r.flags) for r in lines)
    return {"hmrc_disposals.csv": csv_bytes(PIECES_HEADER, rows)}


UK = Country(
    code="uk", name="United Kingdom", currency="GBP", zone="Europe/London", year_start=(4, 6),
    methods=("pooling",), matching=uk_rules.match,
    matching_title="HMRC share matching (same day, 30 days, Section 104 pool)",
    listing_title="Disposals (HMRC matching)",
    method_rule="TCGA 1992 s104-106A fix the matching (same day, 30 days, Section 104 pool)",
    holding="No holding period: every gain is chargeable alike.",
    totals=totals, extra_csv=matched_pieces, gift_rules=GIFT_RULES, carryover=losses.uk,
    brought_in=(("loss_carryover", "losses"),),
    methodology=(
        ("Matching (HMRC Cryptoassets Manual, CRYPTO22200 series; TCGA 1992 s104, s105, s106A)",
         ("Each cryptoasset is a separate pool. All acquisitions of one asset on one day (UK local date, "
          "Europe/London) are one acquisition and all its disposals that day one disposal. A disposal is matched "
          "first with acquisitions of the same day (same-day rule, s105(1)), then with acquisitions in the 30 days "
          "after it, earliest first, day 1 to day 30 inclusive (bed and breakfast rule, s106A(5)), and what is left "
          "with the Section 104 pool at its average cost (s104). The matched-pieces listing names the rule of each "
          "piece; a day's pieces are shared among its transactions pro rata to quantity.")),
        ("Allowable costs and proceeds",
         ("Proceeds are gross disposal proceeds at market value in GBP. Allowable costs are the matched cost plus "
          "the incidental costs of the disposal (exchange fees), as HMRC's summary takes them (CRYPTO22200 series).")),
        ("Income (HMRC Cryptoassets Manual, income tax pages)",
         ("Staking and similar receipts are income at their market value in GBP when received; that value is the "
          "acquisition cost of the tokens, which enter the matching rules and the pool.")),
        ("Tax year, exempt amount and rates",
         ("The tax year runs from 6 April to 5 April in UK local time. The annual exempt amount is GBP 6,000 for "
          "2023/24 and GBP 3,000 for 2024/25 and 2025/26 (TCGA 1992 s1K). CGT rates changed for disposals on or "
          "after 30 October 2024, so 2024/25 gains are also shown before and from that date. Gains and losses "
          "are counted per disposal (asset and day). From 2026/27 the GBP 3,000 last enacted (Finance Act 2023 s8) "
          "is used, with a note, until a later act changes it.")),
        ("Gifts, spouses and fees (TCGA 1992 s17, s58, s257)",
         ("A gift is a disposal at market value (s17(1)(a)); a gift to a spouse or civil partner living together "
          "(label gift_spouse) and a gift to charity are at no gain and no loss (s58, s257), the proceeds being "
          "the allowable cost. Coins paid as a network fee on a move between own wallets are a disposal. All are "
          "listed apart from sales; gifts at market value and network fees are counted in the gains, losses and "
          "number of disposals, the no-gain/no-loss transfers (which change no total) are not.")),
        ("Losses (TCGA 1992 s2, s2A)",
         ("Losses of the year are set against its gains in full. Losses brought forward from earlier years reduce "
          "the net gains only down to the annual exempt amount; the rest carries forward (a loss must be claimed "
          "within four years of the end of the year it arose in).")),
    ),
)
