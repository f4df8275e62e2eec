"""report.pdf, the package a person hands to an accountant, rendered from the ReportView (jinja2 + WeasyPrint).

The front (cover, summary, warnings, corrections, methodology) flows as HTML and is laid out once by WeasyPrint.
The listings (Form 8949 statement, income, other disposals, holdings) are paginated in pdf_listing as lines of
fixed-width text and written straight into WeasyPrint's PDF by pdf_text, so every page number is known before
anything is drawn and a listing costs what its text costs. Nothing depends on the clock: the same view and context
give the same bytes.
"""

from __future__ import annotations

import os
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
from taxer.reports.pdf_listing import Page, listings, other_totals, paginate
from taxer.reports.pdf_text import Running, add_listing_pages, draw_pages
from taxer.reports.reconciliation import pdf_context as reconciliation_context
from taxer.reports.summary_text import command_for
from taxer.reports.view import ZERO, ReportView
from taxer.resources import cache_dir, templates_dir
from taxer.runtime import gc_running


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
    from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined, pass_context

    # Compiling the front's templates is ~0.06 s of every PDF report: the compiled code is kept between runs
    # (keyed by each template's source, so an edited template is compiled again), where a safe folder is.
    folder = cache_dir("templates")
    cache = FileSystemBytecodeCache(str(folder)) if folder is not None else None
    env = Environment(loader=FileSystemLoader(str(templates_dir())), autoescape=True, bytecode_cache=cache,
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
        # a country with a return of its own lines (US Schedule D) prints those; the carryover is on the methodology
        "country_totals": [(name.replace("_", " ").capitalize(), _printed(value, p.currency))
                           for name, value in view.country_totals().items()] if not rules.form_totals else [],
        **law_context(view),
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
        "warnings_total": len(view.warnings),
        "basis_missing_lines": sum(1 for r in view.form8949 if "basis_missing" in r.flags),
        "pool_this_year": _pool_in_force(p.pool, p.year),
        "window_hours": f"{p.transfer_window_hours:g}",
        "corrections": view.corrections,
        "settings": view.settings,
        **reconciliation_context(view),
    }


def law_context(view: ReportView) -> dict:
    """What the methodology page (and every page's footer) states beyond the year: the losses carried across
    years, the options insisted on that the country's law does not allow, and the US 2025 allocation."""
    p, law = view.params, view.law
    history = law.earlier if law else ()
    allocation = ""
    if country(p.country).safe_harbor and p.year >= 2025 and p.pool == "auto":
        elected = f"{law.election}." if law and law.election else (
            "None elected: each lot stays in the account whose history holds it on 1 January 2025 (Treas. Reg. "
            "1.1012-1(j)).")
        allocation = f"{elected} The 31 December 2024 holdings per account are in allocation_2025.csv."
    return {
        "carryover": [(name.replace("_", " ").capitalize(), _printed(value))
                      for name, value in view.loss_carryover().items()],
        "carryover_years": (country(p.country).label(history[0][0]), len(history)) if history else None,
        "brought_in": [(key.replace("_", " "), _printed(value)) for key, value in (law.brought_in if law else ())],
        "brought_in_year": country(p.country).label(history[0][0]) if history else p.year_label,
        "nonstandard": [f"{option} ({rule})" for option, rule in (law.nonstandard if law else ())],
        "nonstandard_options": [option for option, _ in (law.nonstandard if law else ())],
        "allocation_2025": allocation,
    }


def _pool_in_force(pool: str, year: int) -> str:
    if pool == "auto":
        return "per_account" if year >= 2025 else "universal"
    return pool


def _html(front: dict, contents: Sequence[tuple[str, str, bool]], stubs: Sequence[tuple[str, int]],
          listing_pages: dict[str, str]) -> str:
    """The front pages' HTML: cover, summary, reconciliation, corrections, methodology, then one empty stub page
    per listing (see _front); `listing_pages` names each listing's stub, for the front's page references."""
    return environment().get_template("report.html.j2").render(front, contents=contents, stubs=stubs,
                                                                end=LISTINGS_END, listing_pages=listing_pages)


FRONT_SECTIONS = (("Summary and Schedule D totals", "summary"),
                  ("Form 1099-DA reconciliation", "reconciliation"), ("Corrections", "corrections"),
                  ("Methodology: rules and options used", "methodology"))

# The stub page standing for the last listing page (the front's own last page when there are no listings).
LISTINGS_END = "taxer-listings-end"


def _stubs(pages: Sequence[Page]) -> list[tuple[str, int]]:
    """(anchor, page-counter increment) of each stub page: one per listing (a page that is not `continued`),
    then LISTINGS_END.

    A stub's increment is the length of the listing before it (1 for the first, which follows the front), so
    WeasyPrint's page counter on each stub is that listing's real first page, and on LISTINGS_END the last page.
    """
    stubs, previous = [], None
    for start, _page, stub in _listing_starts(pages):
        stubs.append((stub, 1 if previous is None else start - previous))
        previous = start
    last = 0 if previous is None else len(pages) - 1 - previous
    return [*stubs, (LISTINGS_END, last if pages else 0)]


def _contents(pages: Sequence[Page], corrections: bool = False, us: bool = True,
              reconciled: bool = False) -> list[tuple[str, str, bool]]:
    """(title, anchor, is a link) of each section: WeasyPrint numbers them all from their anchors, the front's
    sections (links) and the listings (their stub pages, not links: the stubs are dropped)."""
    sections = FRONT_SECTIONS if us else (("Summary and totals for the tax return", "summary"), *FRONT_SECTIONS[1:])
    shown = {"corrections": corrections, "reconciliation": reconciled}
    return [(title, anchor, True) for title, anchor in sections if shown.get(anchor, True)] + \
        [(page.toc, stub, False) for _n, page, stub in _listing_starts(pages)]


def _listing_starts(pages: Sequence[Page]) -> list[tuple[int, Page, str]]:
    """(index in `pages`, page, its stub page's anchor) of each listing's first page (one that is not
    `continued`): the stubs the front numbers the listings by (see _front)."""
    starts = [(n, page) for n, page in enumerate(pages) if not page.continued]
    return [(n, page, f"taxer-listing-{k}") for k, (n, page) in enumerate(starts, 1)]


def _listing_stubs(pages: Sequence[Page]) -> dict[str, str]:
    """Each listing's anchor ('warnings', 'part-I-C') -> its stub page's, whose page number the front prints."""
    return {page.anchor: stub for _n, page, stub in _listing_starts(pages)}


def _front(view: ReportView, front: dict, pages: Sequence[Page]):
    """The front laid out by WeasyPrint, once: (document, its page count).

    The listings are not in the HTML, yet the front names their page numbers (contents) and the last page
    ("Page 2 of 30"). So the HTML ends with a stub page per listing whose CSS page-counter increment is the
    length of the listing before it: WeasyPrint's own target-counter() then prints every number, however many
    pages the front takes, and the stubs are dropped before the PDF is written (pdf_text draws the listings).
    """
    from taxer.reports.pdf_front import layout

    corrected, us = bool(view.corrections), not front["country_rules"]
    reconciled = front["reconciliation"] is not None
    stubs = _stubs(pages)
    document = layout(_html(front, _contents(pages, corrected, us, reconciled), stubs, _listing_stubs(pages)),
                      str(templates_dir()))
    first_stub = stubs[0][0]
    count = next((n for n, page in enumerate(document.pages) if first_stub in page.anchors), None)
    if count is None:  # pragma: no cover - the stubs are in the HTML; WeasyPrint keeps every anchor
        raise RuntimeError("the front's stub pages are missing")
    return document.copy(document.pages[:count]), count


def _running(front: dict) -> Running:
    """The listing pages' running heads: the front's, from report.html.j2."""
    p = front["p"]
    taxpayer = f" · {front['taxpayer']}" if front["taxpayer"] else ""
    return Running(f"Crypto-asset tax report {p.year_label}{taxpayer}",
                   f"Ledger {front['transactions']} transactions · SHA-256 {front['fingerprint']}",
                   f"taxer {front['version']} · {front['method']} · {p.currency}" + (
                       " · NONSTANDARD (not allowed by the law): " + ", ".join(front["nonstandard_options"])
                       if front.get("nonstandard_options") else ""))


def pdf_bytes(view: ReportView, context: PdfContext, progress: Callable[[int, int], None] | None = None) -> bytes:
    """The report as PDF bytes: the front from WeasyPrint, the listings written directly, in one file.

    All in one process: drawing a listing page takes under a millisecond, so 800 pages cost less than forking
    workers and shipping pages back (measured: no gain at 825 pages). A big report makes the whole PDF in a
    forked child instead, while its CSV files are written (`start`).
    """
    from taxer.reports.pdf_front import write

    pages = [page for listing in listings(view) for page in paginate(listing)]
    front = front_context(view, context)
    document, front_pages = _front(view, front, pages)
    total = front_pages + len(pages)
    report = progress or (lambda done, of: None)
    report(0, total)
    report(front_pages, total)
    drawn = draw_pages(pages, front_pages + 1, total, _running(front), lambda done: report(front_pages + done, total))
    data = write(document, lambda _document, pdf: add_listing_pages(pdf, pages, drawn))
    report(total, total)
    return data


# From how many listing lines a report's PDF is made in a forked child while the CSV files are written (at 100,000
# transactions, 28,000 lines: the CSV files' ~1.5 s disappear behind the PDF's ~3.5 s); below it, in this process
# (a small report's files take less than the fork). TAXER_PDF_CHILD_FROM overrides it (0: always, for tests).
CHILD_FROM = 5000


def start(view: ReportView, context: PdfContext):
    """The PDF's bytes being made in a forked child (taxer.runtime.Forked: `.result(progress)`), or None: the
    report is small, or the child cannot be forked safely here; then `pdf_bytes` makes them in this process."""
    from taxer.runtime import fork_call

    setting = os.environ.get("TAXER_PDF_CHILD_FROM", "")
    threshold = int(setting) if setting.isdigit() else CHILD_FROM
    lines = len(view.form8949) + len(view.income) + len(view.other_disposals) + len(view.holdings)
    if lines < threshold:
        return None
    return fork_call("report.pdf", _child_pdf, view, context)


def _child_pdf(view: ReportView, context: PdfContext, progress: Callable[[int, int], None]) -> bytes:
    with gc_running():  # WeasyPrint's layout trees are cyclic garbage (the parent pauses the collector)
        return pdf_bytes(view, context, progress)


def render_pdf(view: ReportView, path: str | Path, context: PdfContext,
               progress: Callable[[int, int], None] | None = None) -> None:
    """Write report.pdf to `path` atomically; `progress(done_pages, total_pages)` as pages are made."""
    write_bytes_atomic(Path(path), pdf_bytes(view, context, progress))
