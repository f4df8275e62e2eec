"""report.pdf, the package a person hands to an accountant, rendered from the ReportView (jinja2 + WeasyPrint).

The front (cover, summary, warnings, methodology) flows as HTML. The listings (Form 8949 statement, income,
other disposals, holdings) are paginated in pdf_listing, so every page number is known before rendering: a
small report is one WeasyPrint render; a large one is rendered in chunks of pages by a process pool and merged
(pdf_chunks). Both print the same pages. Nothing depends on the clock: the same view and context give the same
bytes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from markupsafe import Markup

from taxer import __version__
from taxer.countries import country
from taxer.files import write_bytes_atomic
from taxer.money import accounting, quantity
from taxer.reports.holdings import totals as holdings_totals
from taxer.reports.pdf_chunks import layout, merge, render_html, render_parallel
from taxer.reports.pdf_listing import Page, listings, other_totals, paginate
from taxer.reports.reconciliation import pdf_context as reconciliation_context
from taxer.reports.summary_text import command_for
from taxer.reports.view import ZERO, ReportView
from taxer.resources import templates_dir

CHUNK_PAGES = 120  # listing pages per chunk (~4,800 Form 8949 lines): ~7 s of one worker, ~150 MiB of layout
WORKERS = 2

@dataclass(frozen=True)
class PdfContext:
    """What the PDF states besides the view: the ledger it came from and whom it is for."""

    as_of: datetime | None     # the ledger's last successful import
    fingerprint: str           # SHA-256 of the ledger transactions used
    transactions: int
    taxpayer: str | None = None
    taxpayer_tin: str | None = None   # masked (***-**-6789): the PDF never holds the whole number
    preparer: str | None = None


def css_string(value: object) -> Markup:
    """`value` as a quoted CSS string, all but ASCII letters and digits hex-escaped: safe inside <style>."""
    # The space after each escape ends it (CSS consumes one whitespace there), so real spaces survive.
    escaped = "".join(c if c.isascii() and c.isalnum() else f"\\{ord(c):06x} " for c in str(value))
    return Markup(f'"{escaped}"')


def money_filter(context, value: object) -> str:
    """The templates' `money`: '$1,234.56', a loss '$(3,100.08)', in the report's currency (its symbol: $, £, €);
    a plain decimal string (a CSV cell) is read back first, an empty one stays empty."""
    if value is None or value == "":
        return ""
    amount = value if isinstance(value, Decimal) else Decimal(str(value))
    p = context.get("p")
    return accounting(amount, p.currency if p is not None else None)


@lru_cache(maxsize=1)
def environment():
    """The templates' jinja2 environment: autoescaped, with the `money` (accountant's) and `qty` filters."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context

    env = Environment(loader=FileSystemLoader(str(templates_dir())), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(money=pass_context(money_filter), qty=quantity, css_string=css_string)
    return env


def _piece_totals(view: ReportView, terms: tuple[str, str] | None) -> list[tuple]:
    """Outside the US: (label, pieces, proceeds, cost, adjustment, gain) by holding period, and in all."""
    rows = []
    if terms is not None:
        rows = [(label, t.lines, t.proceeds, t.cost_basis, t.adjustment, t.gain)
                for label, t in zip(terms, (view.short, view.long), strict=True)]
    t = view.total
    return [*rows, ("All disposals", t.lines, t.proceeds, t.cost_basis, t.adjustment, t.gain)]


def _printed(value: object, currency: str | None = None) -> str:
    """A country total as the PDF prints it: money as an accountant reads it, yes/no, or as is."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return accounting(value, currency)
    return "n/a" if value is None else str(value)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _local(value: datetime, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


def front_context(view: ReportView, context: PdfContext) -> dict:
    """Everything the cover, summary, warnings and methodology print (formatted by the template's filters)."""
    p = view.params
    tz = ZoneInfo(p.timezone)
    rules = country(p.country)
    return {
        "p": p,
        "taxpayer": context.taxpayer,
        "country": rules.name,
        "country_rules": rules.methodology,
        "country_holding": rules.holding,
        "country_totals": [(name.replace("_", " ").capitalize(), _printed(value, p.currency))
                           for name, value in view.country_totals().items()],
        "return_lines": [(ref, label, _printed(value, p.currency))
                         for ref, label, value in (rules.return_lines(view) if rules.return_lines else ())],
        "taxpayer_tin": context.taxpayer_tin,
        "preparer": context.preparer,
        "holdings_totals": holdings_totals(view.holdings),
        "warning_kinds": [(code, count, command_for(code, p.year_label))
                          for code, count in Counter(w.code for w in view.warnings).items()],
        "method": rules.method_title(p.method),
        "as_of": _utc(context.as_of) if context.as_of else None,
        "fingerprint": context.fingerprint[:16],
        "transactions": context.transactions,
        "version": __version__,
        "period_start": _local(p.period_start, tz),
        "period_end": _local(p.period_end, tz),
        "schedule_d": rules.form_totals(view) if rules.form_totals else (),
        "piece_totals": _piece_totals(view, rules.terms),
        "part_lines": {"I": view.short.lines, "II": view.long.lines},
        "income_by_type": view.income_by_type,
        "income_total": view.income_total,
        "income_events": len(view.income),
        "income_unknown": sum(1 for i in view.income if i.fair_value is None),
        "other": other_totals(view),
        "holdings_lots": len(view.holdings),
        "holdings_assets": len({h.asset for h in view.holdings}),
        "holdings_basis": sum((h.cost_basis for h in view.holdings), ZERO),
        "holdings_missing": sum(1 for h in view.holdings if h.basis_missing),
        **_warnings_shown(view),
        "basis_missing_lines": sum(1 for r in view.form8949 if "basis_missing" in r.flags),
        "pool_this_year": _pool_in_force(p.pool, p.year),
        "window_hours": f"{p.transfer_window_hours:g}",
        "corrections": view.corrections,
        "settings": view.settings,
        **reconciliation_context(view),
    }


WARNINGS_PER_KIND = 25  # the PDF prints this many of each kind in full; warnings.csv lists every one


def _warnings_shown(view: ReportView) -> dict:
    """The warnings the PDF prints in full, and how many more of each kind warnings.csv holds.

    A history synced before prices are known can carry one warning per trade; laying out 100,000 boxed
    paragraphs would take hours and help no reader.
    """
    shown, hidden = [], {}
    seen: dict[str, int] = {}
    for w in view.warnings:
        seen[w.code] = seen.get(w.code, 0) + 1
        if seen[w.code] <= WARNINGS_PER_KIND:
            shown.append(w)
        else:
            hidden[w.code] = hidden.get(w.code, 0) + 1
    return {"warnings": shown, "warnings_total": len(view.warnings), "warnings_hidden": hidden,
            "warnings_per_kind": WARNINGS_PER_KIND}


def _pool_in_force(pool: str, year: int) -> str:
    if pool == "auto":
        return "per_account" if year >= 2025 else "universal"
    return pool


def _html(front: dict, contents: Sequence[tuple[str, int]], total: int, *, show_front: bool,
          pages: Sequence[Page] = (), first: int = 1) -> str:
    """A whole document (`show_front`) or a chunk of listing pages numbered from `first`, of `total` pages."""
    return environment().get_template("report.html.j2").render(
        front, contents=contents, total=total, show_front=show_front, pages=pages, first_page=first)


FRONT_SECTIONS = (("Summary and Schedule D totals", "summary"), ("Warnings", "warnings"),
                  ("Form 1099-DA reconciliation", "reconciliation"), ("Corrections", "corrections"),
                  ("Methodology: rules and options used", "methodology"))


def _contents(pages: Sequence[Page], first: int, front_anchors: dict[str, int],
              corrections: bool = False, us: bool = True, reconciled: bool = False) -> list[tuple[str, int]]:
    """(title, page number) of each section; the listings' pages are numbered from `first`."""
    sections = FRONT_SECTIONS if us else (("Summary and totals for the tax return", "summary"), *FRONT_SECTIONS[1:])
    shown = {"corrections": corrections, "reconciliation": reconciled}
    return [(title, front_anchors.get(anchor, 0)) for title, anchor in sections if shown.get(anchor, True)] + \
        [(page.toc, first + n) for n, page in enumerate(pages) if not page.continued]


def _front_pages(html: str, base: str) -> tuple[int, dict[str, int]]:
    """How many pages the front lays out to, and the page of each of its anchors."""
    document = layout(html, base)
    anchors: dict[str, int] = {}
    for n, page in enumerate(document.pages, start=1):
        for name in page.anchors:
            anchors.setdefault(name, n)
    return len(document.pages), anchors


def _chunk_size(pages: int, most: int, workers: int) -> int:
    """Pages per chunk: at most `most`, in a multiple of `workers` chunks of equal size (no straggler)."""
    rounds = -(-pages // (most * max(workers, 1)))
    chunks = rounds * max(workers, 1)
    return -(-pages // chunks)


def pdf_bytes(view: ReportView, context: PdfContext, progress: Callable[[int, int], None] | None = None, *,
              chunk_pages: int = CHUNK_PAGES, workers: int = WORKERS) -> bytes:
    """The report as PDF bytes: one render, or chunks of at most `chunk_pages` listing pages on `workers`."""
    pages = [page for listing in listings(view) for page in paginate(listing)]
    front = front_context(view, context)
    base = str(templates_dir())
    # The front's length decides every later page number: lay it out alone first, with stand-in numbers.
    corrected = bool(view.corrections)
    us = not front["country_rules"]
    reconciled = front["reconciliation"] is not None
    front_pages, anchors = _front_pages(_html(front, _contents(pages, 1, {}, corrected, us, reconciled),
                                              len(pages), show_front=True), base)
    total = front_pages + len(pages)
    contents = _contents(pages, front_pages + 1, anchors, corrected, us, reconciled)
    report = progress or (lambda done, of: None)
    report(0, total)
    if len(pages) <= chunk_pages:
        data = render_html(_html(front, contents, total, show_front=True, pages=pages), base, total)
        report(total, total)
        return data
    rendered = [0]

    def finished(count: int) -> None:
        rendered[0] += count
        report(rendered[0], total)

    size = _chunk_size(len(pages), chunk_pages, workers)
    jobs = [(_html(front, contents, total, show_front=False, pages=pages[at:at + size], first=front_pages + 1 + at),
             len(pages[at:at + size])) for at in range(0, len(pages), size)]
    cover: list[bytes] = []

    def render_front() -> None:
        cover.append(render_html(_html(front, contents, total, show_front=True), base, front_pages))
        finished(front_pages)

    parts = render_parallel(jobs, base, workers, finished, meanwhile=render_front)
    return merge([cover[0], *parts])


def render_pdf(view: ReportView, path: str | Path, context: PdfContext,
               progress: Callable[[int, int], None] | None = None, *, chunk_pages: int = CHUNK_PAGES,
               workers: int = WORKERS) -> None:
    """Write report.pdf to `path` atomically; `progress(done_pages, total_pages)` as pages are rendered.

    Listings longer than `chunk_pages` pages are rendered in chunks by `workers` processes (one by one in this
    process when `workers` is 1), which bounds memory and uses the cores; the pages are the same either way.
    """
    data = pdf_bytes(view, context, progress, chunk_pages=chunk_pages, workers=workers)
    write_bytes_atomic(Path(path), data)
