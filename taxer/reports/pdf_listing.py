"""The PDF's long listings (Form 8949 statement, income, other disposals, holdings) as pages of fixed-width text.

WeasyPrint takes about 4 ms to lay out and draw a table row of eight cells. So each listing is laid out here in
padded columns of monospaced text and paginated here: every page has a known number of lines, which makes every
page number known before anything is drawn, and pdf_text writes the lines straight into the PDF (~0.1 ms a row).
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from taxer.countries import country
from taxer.countries.us import BOXES, SCHEDULE_D_LINES
from taxer.money import money, quantity
from taxer.reports.package import other_gain  # one rule for other_disposals.csv and the PDF
from taxer.reports.view import ReportView

WIDTH = 140          # characters a line: DejaVu Sans Mono 8.5pt is 5.12pt a character, 716pt of the 720pt
PAGE_LINES = 42      # column-heading and body lines a landscape Letter page holds (pdf_text: 11pt lines)
GAP = "  "
MONEY = 13           # "-123456789.12"

PARTS = {"I": "Form 8949 Part I: short-term", "II": "Form 8949 Part II: long-term"}


@dataclass(frozen=True)
class Column:
    label: tuple[str, ...]   # heading lines, each at most `width` characters
    width: int               # 0: what is left of WIDTH
    right: bool = False


@dataclass(frozen=True)
class Line:
    text: str
    kind: str                # "row" | "alt" (shaded) | "total first" | "total"


@dataclass(frozen=True)
class Page:
    section: str             # "Form 8949 Part I: short-term"
    heading: str             # "Box C: short-term transactions not reported to you on Form 1099-B (2 lines)"
    continued: bool
    anchor: str              # the listing's id (its first page carries it and the bookmark)
    toc: str                 # the listing's line in the contents
    header: tuple[str, ...]  # column headings, laid out
    lines: tuple[Line, ...]
    legend: str


@dataclass(frozen=True)
class Listing:
    section: str
    heading: str
    anchor: str
    toc: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]
    totals: tuple[tuple[str, ...], ...]
    legend: str = ""


def _widths(columns: Sequence[Column]) -> list[int]:
    fixed = sum(c.width for c in columns) + len(GAP) * (len(columns) - 1)
    return [c.width or max(8, WIDTH - fixed) for c in columns]


def _wrap(text: str, width: int) -> list[str]:
    """`text` in pieces of at most `width` characters, broken at spaces where possible; none of it dropped."""
    pieces, rest = [], text
    while len(rest) > width:
        cut = rest.rfind(" ", 1, width + 1)
        cut = cut if cut > 0 else width
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    pieces.append(rest)
    return pieces


def _lay_out(cells: Sequence[str], columns: Sequence[Column], widths: Sequence[int]) -> list[str]:
    """One row as lines of at most WIDTH characters: each cell padded (or wrapped) to its column."""
    wrapped = [_wrap(cell, w) for cell, w in zip(cells, widths)]
    lines = []
    for i in range(max(len(w) for w in wrapped)):
        parts = []
        for pieces, column, w in zip(wrapped, columns, widths):
            piece = pieces[i] if i < len(pieces) else ""
            parts.append(piece.rjust(w) if column.right else piece.ljust(w))
        lines.append(GAP.join(parts).rstrip())
    return lines


def _row_format(columns: Sequence[Column], widths: Sequence[int]) -> str:
    """A str.format pattern that lays out a row whose cells all fit their columns (most rows) in one call."""
    return GAP.join(f"{{:{'>' if c.right else '<'}{w}}}" for c, w in zip(columns, widths))


def paginate(listing: Listing) -> list[Page]:
    """The listing's pages: a row never splits across pages; the totals stay together after the last row.

    Lines carry no trailing spaces; pdf_text shades every other row across the whole width.
    """
    columns, widths = listing.columns, _widths(listing.columns)
    depth = max(len(c.label) for c in columns)
    header = tuple(_lay_out([c.label[i] if i < len(c.label) else "" for c in columns], columns, widths)[0]
                   for i in range(depth))
    room = PAGE_LINES - depth
    pattern = _row_format(columns, widths).format
    blocks = []
    for n, cells in enumerate(listing.rows):
        kind = "alt" if n % 2 else "row"
        if all(map(operator.le, map(len, cells), widths)):
            blocks.append([Line(pattern(*cells).rstrip(), kind)])
        else:
            blocks.append([Line(t, kind) for t in _lay_out(cells, columns, widths)])
    totals = [t for cells in listing.totals for t in _lay_out(cells, columns, widths)]
    if totals:
        blocks.append([Line(t, "total first" if n == 0 else "total") for n, t in enumerate(totals)])
    pages: list[list[Line]] = [[]]
    for block in blocks:
        if pages[-1] and len(pages[-1]) + len(block) > room:
            pages.append([])
        for start in range(0, len(block), room):  # only a pathological block is longer than a page
            if start:
                pages.append([])
            pages[-1].extend(block[start:start + room])
    return [Page(listing.section, listing.heading, n > 0, listing.anchor, listing.toc, header, tuple(lines),
                 listing.legend) for n, lines in enumerate(pages)]


FORM8949_COLUMNS = (
    Column(("(a) Description", "of property"), 0),
    Column(("(b) Date", "acquired"), 10),
    Column(("(c) Date sold", "or disposed of"), 14),
    Column(("(d) Proceeds", "(sales price)"), MONEY, True),
    Column(("(e) Cost or", "other basis"), MONEY, True),
    Column(("(f)", "Code"), 4),
    Column(("(g) Amount of", "adjustment"), MONEY, True),
    Column(("(h) Gain", "or (loss)"), MONEY, True),
    Column(("", "Flag"), 4),
)
FLAG_LEGEND = ("Flag B: basis missing (coins of unknown origin or sold beyond the holdings; zero basis used "
               "until supplied, see Warnings). Flag V: fair value missing (see Warnings).")


def _flag(flags: str) -> str:
    if not flags:  # nearly every line: no generator to run
        return ""
    return "".join(code for name, code in (("basis_missing", "B"), ("value_missing", "V")) if name in flags)


RULES = {"same_day": "same day", "thirty_day": "30 days", "pool": "S104 pool", "acb": "ACB"}
COUNTRY_COLUMNS = FORM8949_COLUMNS[:-1] + (Column(("Matched", "by rule"), 9), FORM8949_COLUMNS[-1])
TERMS = {"I": "held short", "II": "held long"}


def country_listings(view: ReportView, title: str) -> list[Listing]:
    """Outside the US: the matched pieces, one listing per term, each piece with the rule that matched it."""
    groups: dict[str, list] = defaultdict(list)
    for r in view.form8949:
        groups[r.part].append(
            (r.description, r.date_acquired, r.date_sold, money(r.proceeds), money(r.cost_basis),
             r.adjustment_code, money(r.adjustment), money(r.gain), RULES.get(r.rule, r.rule), _flag(r.flags)))
    out = []
    for part, rows in sorted(groups.items()):
        t = view.short if part == "I" else view.long
        section = title if len(groups) == 1 else f"{title}, {TERMS[part]}"
        total = ("Totals", "", "", money(t.proceeds), money(t.cost_basis), "", money(t.adjustment), money(t.gain),
                 "", "")
        heading = f"{section} ({t.lines:,} {'piece' if t.lines == 1 else 'pieces'})"
        out.append(Listing(section, heading, f"pieces-{part}", section, COUNTRY_COLUMNS, tuple(rows), (total,),
                           FLAG_LEGEND))
    return out


def form8949_listings(view: ReportView) -> list[Listing]:
    """One listing per (part, box), as each box is a separate Form 8949, ending with the totals for Schedule D."""
    rules = country(view.params.country)
    if rules.code != "us":
        return country_listings(view, rules.listing_title)
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for r in view.form8949:
        groups[(r.part, r.box)].append(
            (r.description, r.date_acquired, r.date_sold, money(r.proceeds), money(r.cost_basis),
             r.adjustment_code, money(r.adjustment), money(r.gain), _flag(r.flags)))
    out = []
    for (part, box), rows in sorted(groups.items()):
        t = view.totals_by_box[(part, box)]
        total = (f"Totals, box {box} (Schedule D line {SCHEDULE_D_LINES[box]})", "", "", money(t.proceeds),
                 money(t.cost_basis), "", money(t.adjustment), money(t.gain), "")
        heading = f"Box {box}: {BOXES.get(box, '')} ({t.lines:,} {'line' if t.lines == 1 else 'lines'})"
        out.append(Listing(PARTS[part], heading, f"f8949-{part}-{box}", f"{PARTS[part]}, box {box}",
                           FORM8949_COLUMNS, tuple(rows), (total,), FLAG_LEGEND))
    return out


def _sum(values: Iterable[Decimal]) -> Decimal:
    return sum(values, Decimal("0.00"))


def income_listing(view: ReportView) -> Listing:
    cur = view.params.currency
    columns = (Column(("Date",), 10), Column(("Type",), 16), Column(("Asset",), 10),
               Column(("Amount",), 28, True), Column((f"Fair value {cur}",), MONEY + 2, True),
               Column(("Flag",), 4), Column(("Account",), 0), Column(("Tx id",), 8, True))
    rows = tuple((i.date, i.type, i.asset, quantity(i.amount),
                  "unknown" if i.fair_value is None else money(i.fair_value), "V" if i.fair_value is None else "",
                  i.account, "" if i.tx_id is None else str(i.tx_id)) for i in view.income)
    totals = tuple(("", f"Total {t}", "", "", money(v), "", "", "") for t, v in view.income_by_type.items())
    totals += (("", "Total income", "", "", money(view.income_total), "", "", ""),)
    return Listing("Income", "Ordinary income at fair value when received (Schedule 1 or Schedule C, not "
                   "Form 8949)", "income", "Income", columns, rows, totals,
                   "Flag V: fair value unknown, not included in the totals (see Warnings).")


def other_totals(view: ReportView) -> list[tuple[str, int, str, str, str]]:
    """(category, lines, proceeds, cost basis, gain) of each category of other disposals, as printed.

    Only a transfer fee is a disposal with a gain; a gift, donation or loss shows its basis (as in
    other_disposals.csv).
    """
    groups: dict[str, list] = defaultdict(list)
    for o in view.other_disposals:
        groups[o.category].append(o)
    return [(c.replace("_", " "), len(g), money(_sum(o.proceeds for o in g)), money(_sum(o.cost_basis for o in g)),
             money(_sum(o.gain for o in g)) if c == "transfer_fee" else "") for c, g in sorted(groups.items())]


def other_disposals_listing(view: ReportView) -> Listing:
    columns = (Column(("Category",), 12), Column(("Description",), 0), Column(("Acquired",), 10),
               Column(("Disposed",), 10), Column(("Proceeds",), MONEY, True), Column(("Cost basis",), MONEY, True),
               Column(("Gain or (loss)",), MONEY + 1, True), Column(("Term",), 5), Column(("Account",), 16))
    rows = tuple((o.category.replace("_", " "), o.description, o.date_acquired, o.date_disposed, money(o.proceeds),
                  money(o.cost_basis), other_gain(o), o.term, o.account) for o in view.other_disposals)
    totals = tuple(("", f"Total {category}", "", "", proceeds, basis, gain, "", "")
                   for category, _, proceeds, basis, gain in other_totals(view))
    return Listing("Other disposals", "Network fees of transfers between own accounts (disposals at fair value), "
                   "gifts, donations and losses: reported apart from sales", "other", "Other disposals", columns,
                   rows, totals)


def holdings_listing(view: ReportView) -> Listing:
    cur = view.params.currency
    valued = any(h.market_value is not None for h in view.holdings)
    columns = [Column(("Asset",), 16), Column(("Amount",), 28, True), Column(("Acquired",), 10),
               Column((f"Cost basis {cur}",), MONEY + 2, True), Column(("Flag",), 4), Column(("Account",), 0)]
    if valued:
        columns[5:5] = [Column(("Market value",), MONEY + 1, True), Column(("Unrealized",), MONEY + 1, True)]
    rows, per_asset = [], defaultdict(list)
    for h in view.holdings:
        row = [h.asset, quantity(h.amount), h.acquired, money(h.cost_basis), "B" if h.basis_missing else "",
               h.account]
        if valued:
            row[5:5] = ["" if h.market_value is None else money(h.market_value),
                        "" if h.unrealized_gain is None else money(h.unrealized_gain)]
        rows.append(tuple(row))
        per_asset[h.asset].append(h)
    totals = [[f"Total {asset}", quantity(sum((h.amount for h in lots), Decimal(0))), "",
               money(_sum(h.cost_basis for h in lots)), "", ""] for asset, lots in sorted(per_asset.items())]
    totals.append(["Total", "", "", money(_sum(h.cost_basis for h in view.holdings)), "", ""])
    if valued:
        for row in totals:
            row[5:5] = ["", ""]
    return Listing("Year-end holdings", f"Open lots at the end of the period, with their cost basis in {cur}",
                   "holdings", "Year-end holdings", tuple(columns), tuple(rows), tuple(tuple(t) for t in totals),
                   "Flag B: basis missing (zero basis used until supplied, see Warnings).")


WARNINGS_PER_KIND = 25  # the PDF prints this many of each kind in full; warnings.csv lists every one


def warnings_listing(view: ReportView) -> Listing:
    """The warnings, first of the listings: the first WARNINGS_PER_KIND of each kind in full (what, where, what to
    do), then how many more of each kind warnings.csv holds. A history synced before prices are known can carry
    one warning per trade; printing 100,000 of them would help no reader."""
    rows, hidden, seen = [], {}, {}
    for w in view.warnings:
        seen[w.code] = seen.get(w.code, 0) + 1
        if seen[w.code] > WARNINGS_PER_KIND:
            hidden[w.code] = hidden.get(w.code, 0) + 1
            continue
        # the message names the transactions, account and amount; warnings.csv has them in columns too
        rows.append((f"{len(rows) + 1}.", f"{w.code.replace('_', ' ').capitalize()}: {w.message} Action: {w.action}"))
    totals = tuple(("", f"{count} more {code.replace('_', ' ')} {'warning is' if count == 1 else 'warnings are'} "
                        f"listed in warnings.csv (the first {WARNINGS_PER_KIND} of each kind are shown here).")
                   for code, count in hidden.items())
    total = len(view.warnings)
    return Listing("Warnings", f"Warnings ({total}): problems the ledger raised. Each can change the figures; "
                   "resolve them (or have them reviewed) before filing", "warnings", f"Warnings ({total})",
                   (Column(("No.",), 5, True), Column(("Warning, and what to do",), 0)), tuple(rows), totals)


def listings(view: ReportView) -> list[Listing]:
    """Every listing of the report in print order, the warnings first; an empty one is left out (the summary
    says so)."""
    out = [warnings_listing(view)] if view.warnings else []
    out += form8949_listings(view)
    if view.income:
        out.append(income_listing(view))
    if view.other_disposals:
        out.append(other_disposals_listing(view))
    if view.holdings:
        out.append(holdings_listing(view))
    return out
