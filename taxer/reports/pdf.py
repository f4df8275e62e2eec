"""report.pdf, the package a person hands to an accountant, rendered from the ReportView.

The front (cover, summary, reconciliation, corrections, methodology) is written by a jinja2 template as HTML and
laid out by pdf_flow; the listings (warnings, Form 8949 statement, income, other disposals, holdings) are
paginated in pdf_listing as lines of fixed-width text. pdf_text draws both and writes the one file. Nothing
depends on the clock: the same view and context give the same bytes.
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

from taxer import __version__
from taxer.countries import country
from taxer.files import write_bytes_atomic
from taxer.money import accounting, quantity
from taxer.reports import pdf_flow
from taxer.reports.holdings import totals as holdings_totals
from taxer.reports.pdf_listing import Page, listings, other_totals, paginate
from taxer.reports.pdf_text import Running, document, face_metrics
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
    env.filters.update(money=pass_context(money_filter), qty=quantity)
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


def _html(front: dict, contents: Sequence[tuple[str, str]], listing_pages: dict[str, str]) -> str:
    """The front pages' HTML: cover, summary, reconciliation, corrections, methodology (pdf_flow lays it out);
    `listing_pages` names each listing's anchor, for the front's page references."""
    return environment().get_template("_front.html.j2").render(front, contents=contents, listing_pages=listing_pages)


FRONT_SECTIONS = (("Summary and Schedule D totals", "summary"),
                  ("Form 1099-DA reconciliation", "reconciliation"), ("Corrections", "corrections"),
                  ("Methodology: rules and options used", "methodology"))


def _listing_anchor(page: Page) -> str:
    """The front's name for a listing ('listing-warnings', 'listing-part-I-C'): its references and contents."""
    return f"listing-{page.anchor}"


def _listing_starts(pages: Sequence[Page]) -> dict[str, int]:
    """Each listing's anchor -> the index in `pages` of its first page."""
    return {_listing_anchor(page): n for n, page in enumerate(pages) if not page.continued}


def _contents(pages: Sequence[Page], corrections: bool = False, us: bool = True,
              reconciled: bool = False) -> list[tuple[str, str]]:
    """(title, anchor) of each section the contents list: the front's, then each listing."""
    sections = FRONT_SECTIONS if us else (("Summary and totals for the tax return", "summary"), *FRONT_SECTIONS[1:])
    shown = {"corrections": corrections, "reconciliation": reconciled}
    return [(title, anchor) for title, anchor in sections if shown.get(anchor, True)] + \
        [(page.toc, _listing_anchor(page)) for page in pages if not page.continued]


def _front(view: ReportView, front: dict, pages: Sequence[Page], metrics: dict) -> tuple[pdf_flow.Front, dict]:
    """The front laid out, and every anchor's 0-based page in the whole document (front and listings).

    The front prints page numbers (its contents, "see Warnings on page 6") that depend on how many pages it
    takes itself. Laying it out costs milliseconds, so it is laid out again with the numbers the last layout
    gave until they no longer change (twice, as a rule).
    """
    corrected, us = bool(view.corrections), not front["country_rules"]
    reconciled = front["reconciliation"] is not None
    starts = _listing_starts(pages)
    html = _html(front, _contents(pages, corrected, us, reconciled),
                 {page.anchor: _listing_anchor(page) for page in pages if not page.continued})
    targets: dict[str, int] = {}
    missing: set[str] = set()

    def number(anchor: str) -> str:
        if anchor not in targets:
            missing.add(anchor)
        return str(targets.get(anchor, 0) + 1)

    for _attempt in range(6):
        missing.clear()
        laid = pdf_flow.lay_out(html, metrics, number)
        found = {**laid.anchors, **{anchor: len(laid.pages) + n for anchor, n in starts.items()}}
        if found == targets and not missing:
            return laid, targets
        unknown = missing - found.keys()
        if unknown:
            raise pdf_flow.FrontLayoutError(f"the front refers to {', '.join(sorted(unknown))}, which it does not hold")
        targets = found
    raise pdf_flow.FrontLayoutError("the front's page numbers did not settle")  # pragma: no cover - needs a loop


def _running(front: dict) -> Running:
    """The running heads and foot of every page, front and listings."""
    p = front["p"]
    taxpayer = f" · {front['taxpayer']}" if front["taxpayer"] else ""
    return Running(f"Crypto-asset tax report {p.year_label}{taxpayer}",
                   f"Ledger {front['transactions']} {'transaction' if front['transactions'] == 1 else 'transactions'}"
                   f" · SHA-256 {front['fingerprint']}",
                   f"taxer {front['version']} · {front['method']} · {p.currency}" + (
                       " · NONSTANDARD (not allowed by the law): " + ", ".join(front["nonstandard_options"])
                       if front.get("nonstandard_options") else ""))


def pdf_bytes(view: ReportView, context: PdfContext, progress: Callable[[int, int], None] | None = None) -> bytes:
    """The report as PDF bytes, all in this process (a big report makes them in a forked child: `start`)."""
    pages = [page for listing in listings(view) for page in paginate(listing)]
    front = front_context(view, context)
    laid, targets = _front(view, front, pages, face_metrics())
    title = f"Crypto-asset tax report {front['p'].year_label}" + (f": {front['taxpayer']}" if front["taxpayer"] else "")
    info = {"Title": title, **({"Author": front["taxpayer"]} if front["taxpayer"] else {}),
            "Creator": f"taxer {__version__}", "Producer": f"taxer {__version__}"}
    return document(laid, pages, _running(front), targets, info, progress)


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
    with gc_running():  # the layout's garbage is collected here (the parent pauses the collector)
        return pdf_bytes(view, context, progress)


def render_pdf(view: ReportView, path: str | Path, context: PdfContext,
               progress: Callable[[int, int], None] | None = None) -> None:
    """Write report.pdf to `path` atomically; `progress(done_pages, total_pages)` as pages are made."""
    write_bytes_atomic(Path(path), pdf_bytes(view, context, progress))
