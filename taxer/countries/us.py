"""United States (IRS): the engine's defaults, and the forms a US return takes (Form 8949 boxes, Schedule D lines).

Form 8949 instructions (2025): digital assets go in boxes G, H, I (short-term) and J, K, L (long-term) by whether
a Form 1099-DA was received and showed basis reported to the IRS; before 2025 a crypto sale without a Form 1099-B
goes in box C or F. Schedule D takes each box's totals on lines 1b/2/3 (short) and 8b/9/10 (long), with lines 7,
15 and 16 the nets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from taxer.countries import losses, us_1099da
from taxer.countries.base import Country
from taxer.engine.allocation import SNAPSHOT_HEADER, snapshot_rows
from taxer.files import csv_bytes
from taxer.money import money, quantity

# Digital-asset boxes from tax year 2025 (Form 1099-DA): basis reported / not reported / no 1099-DA.
BOXES_FROM_2025 = {"basis_reported": ("G", "J"), "basis_not_reported": ("H", "K"), "none": ("I", "L")}
BOXES_BEFORE_2025 = ("C", "F")  # no Form 1099-B received
REPORTING_SETTING = "form1099da"  # per-account setting: basis_reported | basis_not_reported | none (default)

# Schedule D line for each Form 8949 box (2025+ digital-asset boxes G-L share lines with A-F).
SCHEDULE_D_LINES = {"A": "1b", "G": "1b", "B": "2", "H": "2", "C": "3", "I": "3",
                    "D": "8b", "J": "8b", "E": "9", "K": "9", "F": "10", "L": "10"}

BOXES = {
    "A": "short-term transactions reported on Form(s) 1099-B showing basis was reported to the IRS",
    "B": "short-term transactions reported on Form(s) 1099-B showing basis wasn't reported to the IRS",
    "C": "short-term transactions not reported to you on Form 1099-B",
    "D": "long-term transactions reported on Form(s) 1099-B showing basis was reported to the IRS",
    "E": "long-term transactions reported on Form(s) 1099-B showing basis wasn't reported to the IRS",
    "F": "long-term transactions not reported to you on Form 1099-B",
    "G": "short-term transactions reported on Form(s) 1099-DA showing basis was reported to the IRS",
    "H": "short-term transactions reported on Form(s) 1099-DA showing basis wasn't reported to the IRS",
    "I": "short-term transactions not reported to you on Form 1099-DA",
    "J": "long-term transactions reported on Form(s) 1099-DA showing basis was reported to the IRS",
    "K": "long-term transactions reported on Form(s) 1099-DA showing basis wasn't reported to the IRS",
    "L": "long-term transactions not reported to you on Form 1099-DA",
}

FORM8949_HEADER = ("part", "box", "description", "date_acquired", "date_sold", "proceeds", "cost_basis",
                   "adjustment_code", "adjustment_amount", "gain_loss", "term", "account", "asset", "amount",
                   "disposal_tx_id", "acquisition_tx_id", "method", "flags")
SCHEDULE_D_HEADER = ("part", "line", "box", "description", "form8949_lines", "proceeds", "cost_basis", "adjustment",
                     "gain_loss")


def box_for(year: int, term: str, account_settings: Mapping[str, object]) -> str:
    """The Form 8949 box of a line: by the tax year, the term, and the account's 1099-DA setting."""
    short = term == "short"
    if year < 2025:
        return BOXES_BEFORE_2025[0 if short else 1]
    reporting = str(account_settings.get(REPORTING_SETTING, "none"))
    pair = BOXES_FROM_2025.get(reporting, BOXES_FROM_2025["none"])
    return pair[0 if short else 1]


def schedule_d_rows(view: Any) -> list[tuple[object, ...]]:
    """Schedule D: each Form 8949 box's totals on its line, then lines 7, 15 and 16."""
    rows: list[tuple[object, ...]] = []
    for (part, box), t in view.totals_by_box.items():
        rows.append((part, SCHEDULE_D_LINES[box], box, f"Form 8949 box {box}", t.lines, money(t.proceeds),
                     money(t.cost_basis), money(t.adjustment), money(t.gain)))
    rows.append(("I", "7", "", "Net short-term capital gain or (loss)", view.short.lines, money(view.short.proceeds),
                 money(view.short.cost_basis), money(view.short.adjustment), money(view.short.gain)))
    rows.append(("II", "15", "", "Net long-term capital gain or (loss)", view.long.lines, money(view.long.proceeds),
                 money(view.long.cost_basis), money(view.long.adjustment), money(view.long.gain)))
    rows.append(("III", "16", "", "Total (line 7 + line 15)", view.total.lines, money(view.total.proceeds),
                 money(view.total.cost_basis), money(view.total.adjustment), money(view.total.gain)))
    return rows


def forms(view: Any) -> dict[str, bytes]:
    """The US files of a package: the Form 8949 statement and the Schedule D totals, from 2025 the 31 December
    2024 holdings per account the per-account pools started from, and the reconciliation with the brokers' Forms
    1099-DA when the year has any."""
    files = {"form8949.csv": csv_bytes(FORM8949_HEADER, (_form8949_row(r) for r in view.form8949)),
             "schedule_d.csv": csv_bytes(SCHEDULE_D_HEADER, schedule_d_rows(view))}
    if view.params.year >= 2025 and view.params.pool == "auto":
        # Rev. Proc. 2024-28: the holdings per account at the end of 31 December 2024 that the 2025 pools start from
        lots = view.law.allocation_2025 if view.law else ()
        files["allocation_2025.csv"] = csv_bytes(SNAPSHOT_HEADER, snapshot_rows(lots, view.params.timezone))
    if view.reconciliation:
        files["reconciliation_1099da.csv"] = csv_bytes(us_1099da.HEADER, us_1099da.csv_rows(view.reconciliation))
    return files


def _form8949_row(r: Any) -> tuple[object, ...]:
    return (r.part, r.box, r.description, r.date_acquired, r.date_sold, money(r.proceeds), money(r.cost_basis),
            r.adjustment_code, money(r.adjustment), money(r.gain), r.term, r.account, r.asset, quantity(r.amount),
            _id(r.disposal_tx_id), _id(r.acquisition_tx_id), r.method, r.flags)


def _id(value: int | None) -> str:
    return "" if value is None else str(value)


US = Country(
    code="us", name="United States", currency="USD", zone=None, year_start=(1, 1),
    methods=("fifo", "lifo", "hifo"), pool="auto", carryover=losses.us,
    loss_totals=losses.us_totals,
    brought_in=(("loss_carryover_short", "short_term"), ("loss_carryover_long", "long_term")),
    carryover_options=("filing_status",), safe_harbor=True,
    nonstandard=(("average", "average cost is allowed only for regulated investment company shares and dividend "
                  "reinvestment plans (Treas. Reg. 1.1012-1(e)), not for digital assets"),),
    refused_pools=(("universal", "from 2025 basis is tracked per wallet or account (Treas. Reg. 1.1012-1(j), "
                    "Rev. Proc. 2024-28); --pool auto uses the universal pool before 2025 and per-account pools "
                    "after"),),
    holding="Long-term when sold after the anniversary of the acquisition date (held more than one year).",
    methodology=(), form_box=box_for, form_totals=schedule_d_rows, extra_csv=forms,
    reconcile=us_1099da.reconcile,
)
