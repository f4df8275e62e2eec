"""summary.txt: the year on one plain-text page, money as an accountant reads it ($1,234.56, losses in parentheses).

It names the taxpayer (the TIN masked) and the preparer, gives the totals the country's return takes (US Schedule
D lines by Form 8949 box; the UK's SA108 boxes, Canada's Schedule 3 lines, Germany's Anlage SO Zeilen, Australia's
item 18 labels), the income, the holdings with their market value, and the warnings counted by kind with the
command that resolves each kind. Every figure comes from the view: nothing is recomputed here.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from taxer.countries import country
from taxer.money import accounting, quantity
from taxer.reports import holdings as holdings_totals
from taxer.words import mask_tin, plural

WIDTH = 78


@dataclass(frozen=True)
class Taxpayer:
    """Whom a package is for and who prepared it (`taxer config set taxpayer|taxpayer_tin|preparer`)."""

    name: str | None = None
    tin: str | None = None
    preparer: str | None = None

    @property
    def masked_tin(self) -> str | None:
        """The TIN with all but its last four digits hidden: the only form any report file holds."""
        return mask_tin(self.tin)


# The command that resolves each kind of warning (`taxer review` lists each warning with its own commands).
COMMANDS = {
    "oversold": "taxer import csv FILE --account NAME (the missing buys), or taxer correct basis ID COST",
    "missing_value": "taxer prices fetch --year YYYY (or taxer prices import FILE)",
    "unknown_origin": "taxer correct basis ID COST --acquired YYYY-MM-DD (or import the sending wallet)",
    "unmatched_withdrawal": "taxer correct match WITHDRAWAL DEPOSIT, or taxer correct relabel ID gift",
    "pool_allocation": "taxer import csv FILE --account NAME (history before 2025)",
    "misdated": "fix the date in the source file and import it again",
    "correction_not_applied": "taxer correct revoke ID --note TEXT",
}


def command_for(code: str, year_label: str) -> str:
    """The command that resolves warnings of kind `code`; `taxer review` for the rest."""
    review = f"taxer review --year {year_label} --code {code}"
    found = COMMANDS.get(code)
    return f"{found}; see {review}" if found else review


def _line(label: str, value: str, width: int = WIDTH) -> str:
    """`label` and `value` on one line, the value flush right; on two lines where both do not fit."""
    room = width - len(value) - 1
    if len(label) > room:
        return f"{label}\n{value:>{width}}"
    return f"{label:<{room}} {value}"


def _value(value: Any, currency: str) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return accounting(value, currency)
    return "n/a" if value is None else str(value)


def summary_text(view: Any, taxpayer: Taxpayer | None = None) -> str:
    """The whole summary.txt."""
    p = view.params
    rules = country(p.country)
    cur = p.currency
    who = taxpayer or Taxpayer()
    out = [f"Crypto-asset tax summary {p.year_label}".center(WIDTH).rstrip(), ""]
    out.append(_line("Taxpayer", who.name or "(not set: taxer config set taxpayer NAME)"))
    if who.masked_tin:
        out.append(_line("Taxpayer identification number", who.masked_tin))
    if who.preparer:
        out.append(_line("Prepared by", who.preparer))
    out += [_line("Country", f"{rules.name} ({p.country.upper()})"), _line("Tax year", p.year_label),
            _line("Method", rules.method_title(p.method)), _line("Currency", cur), ""]

    t = view.total
    out.append("CAPITAL GAINS AND LOSSES")
    out.append(_line("  Disposals", plural(t.lines, "piece")))
    out += [_line("  Proceeds", accounting(t.proceeds, cur)), _line("  Cost basis", accounting(t.cost_basis, cur))]
    if t.adjustment:
        out.append(_line("  Adjustments", accounting(t.adjustment, cur)))
    if rules.terms is not None or rules.form_totals is not None:
        short, long = rules.terms or ("Short-term", "Long-term")
        out += [_line(f"  {short} gain or (loss)", accounting(view.short.gain, cur)),
                _line(f"  {long} gain or (loss)", accounting(view.long.gain, cur))]
    out += [_line("  Total gain or (loss)", accounting(t.gain, cur)), ""]

    if rules.form_totals is not None:  # US: Schedule D, line by Form 8949 box
        out.append("SCHEDULE D (from Form 8949)")
        out.append(f"  {'Line':<5}{'Box':<4}{'Lines':>6} {'Proceeds':>16} {'Cost basis':>16} {'Gain or (loss)':>18}")
        for _part, line, box, _desc, count, proceeds, basis, _adj, gain in rules.form_totals(view):
            out.append(f"  {line:<5}{box:<4}{count:>6} {accounting(Decimal(proceeds), cur):>16} "
                       f"{accounting(Decimal(basis), cur):>16} {accounting(Decimal(gain), cur):>18}")
        out.append("")
    if rules.return_lines is not None:
        out.append(f"{rules.name.upper()}: THE RETURN'S LINES")
        for ref, label, value in rules.return_lines(view):
            out.append(_line(f"  {ref}: {label}", _value(value, cur)))
        out.append("")

    out.append("INCOME (staking, rewards and other income, at fair value when received)")
    for kind, amount in view.income_by_type.items():
        out.append(_line(f"  {kind}", accounting(amount, cur)))
    out += [_line(f"  Total income ({plural(len(view.income), 'event')})", accounting(view.income_total, cur)), ""]

    h = holdings_totals.totals(view.holdings)
    out.append("HOLDINGS AT THE END OF THE PERIOD")
    if h.assets:
        out.append(f"  {'Asset':<10}{'Quantity':>20} {'Cost basis':>15} {'Market value':>15} {'Unrealized':>14}")
        for a in h.assets:
            value = "unknown" if a.market_value is None else accounting(a.market_value, cur)
            gain = "unknown" if a.unrealized_gain is None else accounting(a.unrealized_gain, cur)
            out.append(f"  {a.asset[:10]:<10}{quantity(a.amount)[:20]:>20} {accounting(a.cost_basis, cur):>15} "
                       f"{value:>15} {gain:>14}")
        out.append(f"  {'Total':<10}{'':>20} {accounting(h.cost_basis, cur):>15} "
                   f"{accounting(h.market_value, cur):>15} {accounting(h.unrealized_gain, cur):>14}")
        if h.unvalued:
            out.append(f"  Market value not known for {', '.join(h.unvalued)} (no year-end price): not in the total.")
    else:
        out.append("  None.")
    out.append("")

    kinds = Counter(w.code for w in view.warnings)
    out.append(f"WARNINGS: {plural(len(view.warnings), 'warning')}" if kinds else "WARNINGS: none")
    for code, count in kinds.items():
        out.append(f"  {plural(count, code.replace('_', ' ') + ' warning')}")
        out += textwrap.wrap(f"resolve: {command_for(code, p.year_label)}", WIDTH, initial_indent="    ",
                             subsequent_indent="      ", break_on_hyphens=False)
    out += ["", "Amounts are rounded to cents per line; totals are sums of the lines. Losses are in parentheses.",
            "The CSV files hold the same figures as plain decimals; report.pdf has the detail."]
    return "\n".join(out) + "\n"
