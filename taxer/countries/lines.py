"""The printed sale lines of a year: one per lot-matched piece, rounded to cents (US Form 8949 lines; other countries
list the same pieces under their own titles). The country says which form box a line goes in."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from taxer.countries.base import BoxRule, no_box
from taxer.engine import Disposal
from taxer.engine.records import POOLED_RULES
from taxer.money import cents, quantity


@dataclass(frozen=True)
class Form8949Line:
    part: str               # "I" short-term, "II" long-term
    box: str
    description: str        # "0.5 BTC"
    date_acquired: str      # ISO date in the taxpayer's zone
    date_sold: str
    proceeds: Decimal       # cents
    cost_basis: Decimal     # cents
    adjustment_code: str
    adjustment: Decimal
    gain: Decimal           # proceeds - cost_basis + adjustment, of the rounded figures
    term: str
    account: str
    asset: str
    amount: Decimal
    disposal_tx_id: int | None
    acquisition_tx_id: int | None
    method: str
    flags: str              # "basis_missing", "value_missing" (see warnings)
    rule: str = ""          # how the piece was matched where the country names it (UK: same_day, thirty_day, pool)


def acquired_date(d: Disposal) -> str:
    """Column (b): the local acquisition date, or VARIOUS for a piece priced at a pool's average cost."""
    if d.rule in POOLED_RULES:
        return "VARIOUS"
    return (d.acquired_date or d.acquired_at.date()).isoformat()


def line(d: Disposal, year: int, settings_by_account: Mapping[str, Mapping[str, object]],
         box_for: BoxRule = no_box) -> Form8949Line:
    """The printed line of one sale piece, rounded to cents, in the box the country's rule gives."""
    proceeds, basis, adjustment = cents(d.proceeds), cents(d.cost_basis), cents(d.adjustment)
    flags = ";".join(f for f, on in (("basis_missing", d.basis_missing), ("value_missing", d.value_missing)) if on)
    return Form8949Line(
        part="I" if d.term == "short" else "II",
        box=box_for(year, d.term, settings_by_account.get(d.account, {})),
        description=f"{quantity(d.amount)} {d.asset}",
        date_acquired=acquired_date(d),
        date_sold=(d.disposed_date or d.disposed_at.date()).isoformat(),
        proceeds=proceeds, cost_basis=basis, adjustment_code=d.adjustment_code, adjustment=adjustment,
        gain=proceeds - basis + adjustment, term=d.term, account=d.account, asset=d.asset, amount=d.amount,
        disposal_tx_id=d.dispose_tx_id, acquisition_tx_id=d.acquire_tx_id, method=d.method, flags=flags,
        rule=d.rule,
    )


def sort_lines(rows: Iterable[Form8949Line]) -> list[Form8949Line]:
    """Part I (short) before Part II (long), then by box, date sold and asset."""
    return sorted(rows, key=lambda r: (r.part, r.box, r.date_sold, r.asset, r.date_acquired, r.account,
                                       r.disposal_tx_id or 0, r.acquisition_tx_id or 0, r.amount))


def lines(disposals: Iterable[Disposal], year: int, settings_by_account: Mapping[str, Mapping[str, object]],
          box_for: BoxRule = no_box) -> list[Form8949Line]:
    """The printed lines of the year's sale disposals (`sort_lines` order); `box_for` is the country's form-box
    rule (taxer.countries.Country.form_box)."""
    return sort_lines(line(d, year, settings_by_account, box_for) for d in disposals if d.is_sale)


@dataclass(frozen=True)
class Totals:
    lines: int
    proceeds: Decimal
    cost_basis: Decimal
    adjustment: Decimal
    gain: Decimal


def totals(rows: Iterable[Form8949Line]) -> Totals:
    rows = list(rows)
    zero = Decimal("0.00")
    return Totals(len(rows), sum((r.proceeds for r in rows), zero), sum((r.cost_basis for r in rows), zero),
                  sum((r.adjustment for r in rows), zero), sum((r.gain for r in rows), zero))


def totals_by_box(rows: Iterable[Form8949Line]) -> dict[tuple[str, str], Totals]:
    """Totals per (part, box), as Schedule D takes them."""
    groups: dict[tuple[str, str], list[Form8949Line]] = defaultdict(list)
    for r in rows:
        groups[(r.part, r.box)].append(r)
    return {key: totals(group) for key, group in sorted(groups.items())}
