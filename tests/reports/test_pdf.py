"""report.pdf: what it states (checked against the CSVs and summary.json), its page numbering and outline, the
directly written listing pages (every line's figures, heads, numbers), byte-identical re-runs."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from taxer import __version__, api
from taxer.countries.us import SCHEDULE_D_LINES
from taxer.demo import SAMPLE_ACCOUNTS
from taxer.money import accounting
from taxer.reports import form8949, pdf, pdf_listing
from taxer.reports.form8949 import Form8949Line
from taxer.reports.pdf import PdfContext, pdf_bytes, render_pdf
from taxer.reports.pdf_listing import WIDTH, Column, Listing, paginate
from taxer.reports.pdf_text import PageLayoutError
from taxer.reports.view import HoldingLine, IncomeLine, OtherDisposalLine, ReportParams, ReportView, WarningLine
from tests.conftest import SAMPLE

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    """The bundled sample's 2024 package with CSVs and the PDF, made through the library API."""
    folder = tmp_path_factory.mktemp("pdf")
    engine = api.workspace(str(folder / "taxer.db"))
    for name, account in SAMPLE_ACCOUNTS.items():
        api.import_csv_file(engine, SAMPLE / name, account)
    calls = []
    api.report(engine, year=2024, out=folder / "out", formats=("csv", "pdf"), progress=lambda *a: calls.append(a))
    return folder / "out", calls


def _pages(path_or_bytes) -> list[str]:
    source = path_or_bytes if isinstance(path_or_bytes, Path) else __import__("io").BytesIO(path_or_bytes)
    return [page.extract_text() for page in PdfReader(source).pages]


def _rows(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def _usd(value) -> str:
    return accounting(Decimal(value), "USD")


def _line_with(text: str, *parts: str) -> str:
    """The one line of `text` holding all `parts` in this order, separated by whitespace."""
    pattern = re.compile(r"(?:^|\s)" + r"\s+".join(re.escape(p) for p in parts) + r"(?:\s|$)")
    hits = [line for line in text.splitlines() if pattern.search(line)]
    assert hits, f"no line with {parts!r}"
    return hits[0]


def test_cover_states_the_parameters_and_the_ledger(package):
    out, _ = package
    cover = _pages(out / "report.pdf")[0]
    manifest = json.loads((out / "manifest.json").read_text())
    assert "Crypto-asset tax report 2024" in cover
    assert "United States" in cover and "FIFO (first in, first out)" in cover and "amounts in USD" in cover
    assert re.search(r"^Ledger as of \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$", cover, re.MULTILINE)
    assert f"35 transactions, SHA-256 {manifest['ledger']['sha256'][:16]}" in cover
    assert f"taxer {__version__}" in cover
    assert "Period start 2024-01-01 00:00:00 (UTC)" in cover
    assert "Period end 2025-01-01 00:00:00 (UTC), exclusive" in cover
    assert "one universal pool per asset (option: auto)" in cover
    assert "1 warning needs attention before filing" in cover


def test_every_total_equals_the_csvs_and_summary(package):
    out, _ = package
    pages = _pages(out / "report.pdf")
    summary_page = pages[1]
    text = "\n".join(pages)
    summary = json.loads((out / "summary.json").read_text())
    sched = _rows(out / "schedule_d.csv")
    for r in sched:
        # the summary's Schedule D table: line, description, count and the four amounts on one line
        # (the summary prints money as an accountant reads it; the listings and CSVs plain decimals)
        _line_with(summary_page, r["line"], *([r["box"]] if r["box"] else []), r["description"], r["form8949_lines"],
                   *(_usd(r[c]) for c in ("proceeds", "cost_basis", "adjustment", "gain_loss")))
        if r["box"]:  # the statement's totals row of the box
            _line_with(text, f"Totals, box {r['box']} (Schedule D line {r['line']})", r["proceeds"],
                       r["cost_basis"], r["adjustment"], r["gain_loss"])
    line16 = next(r for r in sched if r["line"] == "16")
    assert (line16["proceeds"], line16["cost_basis"], line16["gain_loss"]) == \
        (summary["proceeds"], summary["cost_basis"], summary["total_gain"])
    assert next(r for r in sched if r["line"] == "7")["gain_loss"] == summary["short_term_gain"]
    assert next(r for r in sched if r["line"] == "15")["gain_loss"] == summary["long_term_gain"]
    income_totals = [r for r in _rows(out / "income.csv") if r["row"] == "total"]
    for r in income_totals:
        label = "Total income" if r["type"] == "all" else r["type"]
        _line_with(summary_page, label, _usd(r["fair_value"]))
        _line_with(text, "Total income" if r["type"] == "all" else f"Total {r['type']}", r["fair_value"])
    _line_with(summary_page, "Total income", _usd(summary["income"]))
    other = _rows(out / "other_disposals.csv")
    for category in {r["category"] for r in other}:
        group = [r for r in other if r["category"] == category]
        sums = [str(sum(Decimal(r[c] or "0") for r in group)) for c in ("proceeds", "cost_basis", "gain_loss")]
        if category != "transfer_fee":
            assert {r["gain_loss"] for r in group} == {""}
            sums = sums[:2]
        _line_with(summary_page, category.replace("_", " "), str(len(group)), *map(_usd, sums))
        _line_with(text, f"Total {category.replace('_', ' ')}", *sums)
    holdings = _rows(out / "holdings.csv")
    basis = sum(Decimal(r["cost_basis"]) for r in holdings)
    assert f"{len(holdings)} open lots" in summary_page and f"total cost basis {_usd(basis)}" in summary_page


def test_form8949_rows_appear_in_order(package):
    out, _ = package
    text = "\n".join(_pages(out / "report.pdf"))
    at = 0
    for r in _rows(out / "form8949.csv"):
        line = _line_with(text[at:], r["description"], r["date_acquired"], r["date_sold"], r["proceeds"],
                          r["cost_basis"], r["adjustment_amount"], r["gain_loss"])
        at = text.index(line, at) + len(line)
    assert "Box C: short-term transactions not reported to you on Form 1099-B" in text
    assert "Box F: long-term transactions not reported to you on Form 1099-B" in text


def test_warnings_come_before_the_statement(package):
    out, _ = package
    warning = _rows(out / "warnings.csv")[0]
    pages = _pages(out / "report.pdf")
    # the warnings are the first listing: after the front (its methodology), before the statement
    method = next(n for n, page in enumerate(pages) if n and "Methodology: rules and options used" in page.splitlines())
    warned = next(n for n, page in enumerate(pages) if "Warnings (1): problems" in " ".join(page.split()))
    statement = next(n for n, page in enumerate(pages) if "Form 8949 Part I: short-term" in page.splitlines()[:3])
    assert method < warned < statement
    words = " ".join(pages[warned].split())  # the listing wraps its long cells
    assert words.index(warning["message"][:60]) < words.index("Action: " + warning["action"][:30])


def test_page_x_of_y_on_every_page(package):
    out, calls = package
    pages = _pages(out / "report.pdf")
    for n, page in enumerate(pages, start=1):
        assert page.rstrip().endswith(f"Page {n} of {len(pages)}"), page[-200:]
    assert calls[0] == (0, len(pages)) and calls[-1] == (len(pages), len(pages))


def test_methodology_states_the_rules(package):
    out, _ = package
    text = " ".join(" ".join(_pages(out / "report.pdf")).split())
    for words in ("oldest lots in the pool are used first", "Rev. Proc. 2024-28", "after the anniversary",
                  "time zone, UTC", "by its fiat leg", "by the value the source states", "by a market price",
                  "within 24 hours", "rounded half-up to cents", "zero cost basis", "never treated so silently"):
        assert words in text, words


def small_view(lines: int = 130, warnings: int = 1) -> ReportView:
    """A hand-made view: enough Form 8949 lines for several pages, one long description, one of everything else."""
    rows = []
    for n in range(lines):
        short = n % 3 != 0
        proceeds, basis = Decimal(n * 7919 % 100000).scaleb(-2), Decimal(n * 104729 % 100000).scaleb(-2)
        description = f"{Decimal(n + 1).scaleb(-18) + n:f} BTC"
        if n == 5:
            description = "1.123456789012345678 SOMEVERYLONGTOKENNAMEFROMACHAIN " + "X" * 40
        rows.append(Form8949Line(
            "I" if short else "II", "C" if short else "F", description, "2023-01-02", f"2024-03-{1 + n % 28:02d}",
            proceeds, basis, "", Decimal("0.00"), proceeds - basis, "short" if short else "long", "exchange", "BTC",
            Decimal(1), n, n + 1, "fifo", "basis_missing" if n == 7 else ""))
    rows.sort(key=lambda r: (r.part, r.box, r.date_sold, r.disposal_tx_id))
    income = (IncomeLine("2024-02-01", datetime(2024, 2, 1, tzinfo=UTC), "SOL", Decimal("0.5"), Decimal("50.00"),
                         "staking", "wallet <&>", 900),)
    other = (OtherDisposalLine("transfer_fee", "2023-01-02", "2024-05-01", "0.001 ETH", "ETH", Decimal("0.001"),
                               Decimal("3.00"), Decimal("1.00"), Decimal("2.00"), "long", "wallet", 901, 902),)
    holdings = (HoldingLine("BTC", Decimal("0.25"), "2023-01-02", Decimal("5000.00"), "exchange", 3, False),)
    found = tuple(WarningLine("oversold", f"transaction {7 + n}: sold 0.1 BTC more than held.",
                              "Import the missing history.", "exchange", "BTC", Decimal("0.1"), (7 + n,))
                  for n in range(warnings))
    params = ReportParams(2024, "2024", "us", "hifo", "USD", "America/New_York", "auto",
                          datetime(2024, 1, 1, 5, tzinfo=UTC), datetime(2025, 1, 1, 5, tzinfo=UTC))
    return ReportView(params, tuple(rows), form8949.totals_by_box(rows),
                      form8949.totals(r for r in rows if r.part == "I"),
                      form8949.totals(r for r in rows if r.part == "II"), form8949.totals(rows), income,
                      {"staking": Decimal("50.00")}, Decimal("50.00"), holdings, other, found)


CONTEXT = PdfContext(as_of=datetime(2025, 1, 15, 9, 30, tzinfo=UTC), fingerprint="0123456789abcdef" * 4,
                     transactions=1234, taxpayer="Jane Q. </style> Example")


@pytest.fixture(scope="module")
def single():
    """The hand-made view rendered in one WeasyPrint pass."""
    return pdf_bytes(small_view(), CONTEXT)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The same view written to a file by render_pdf, and its progress calls."""
    path = tmp_path_factory.mktemp("written") / "report.pdf"
    calls = []
    render_pdf(small_view(), path, CONTEXT, progress=lambda d, t: calls.append((d, t)))
    return path, calls


def test_single_render_is_byte_identical_and_undated(single):
    assert pdf_bytes(small_view(), CONTEXT) == single
    assert b"/CreationDate" not in single and b"/ModDate" not in single and b"/ID" not in single


def test_render_pdf_writes_the_pages_with_progress_and_an_outline(single, written):
    path, calls = written
    pages = _pages(path)
    assert len(pages) >= 9 and pages == _pages(single)
    for n, page in enumerate(pages, start=1):
        assert page.rstrip().endswith(f"Page {n} of {len(pages)}")
    assert calls[0] == (0, len(pages)) and calls[-1] == (len(pages), len(pages))
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    outline = [item["/Title"] for item in PdfReader(path).outline]
    assert outline[:4] == ["Cover", "Summary", "Methodology: rules and options used", "Warnings (1)"]
    assert outline[-5:] == ["Form 8949 Part I: short-term, box C", "Form 8949 Part II: long-term, box F", "Income",
                            "Other disposals", "Year-end holdings"]
    reader = PdfReader(path)
    for item in reader.outline[-5:]:  # each bookmark opens the listing's first page
        number = reader.get_destination_page_number(item)
        assert pages[number].splitlines()[1] == item["/Title"].split(",")[0]
    assert b"/CreationDate" not in path.read_bytes() and b"/ID" not in path.read_bytes()
    assert [p.name for p in path.parent.iterdir()] == ["report.pdf"]  # the temporary file was renamed
    fonts = {id(f): f for page in reader.pages for f in
             (ref.get_object() for ref in page["/Resources"]["/Font"].values())}
    names = [str(f["/BaseFont"]) for f in fonts.values()]
    # one subset per face (sans, sans bold, mono, mono bold), shared by the front and the listings, each its own tag
    assert len(names) == 4 and len(set(names)) == 4
    assert reader.metadata["/Title"] == "Crypto-asset tax report 2024: Jane Q. </style> Example"
    assert reader.metadata["/Author"] == "Jane Q. </style> Example"
    assert reader.metadata["/Creator"] == f"taxer {__version__}"


def test_every_form8949_line_is_printed_with_its_figures_in_order(single):
    view = small_view()
    text = "\n".join(_pages(single))
    at = text.index("Form 8949 Part I: short-term\nBox C")
    for r in view.form8949:
        description = r.description.split()[0] if "SOMEVERYLONG" in r.description else r.description  # wraps
        line = _line_with(text[at:], *description.split(), r.date_acquired, r.date_sold, str(r.proceeds),
                          str(r.cost_basis), str(r.adjustment), str(r.gain),
                          *(["B"] if "basis_missing" in r.flags else []))
        at = text.index(line, at) + len(line)
    for box, t in view.totals_by_box.items():
        _line_with(text, f"Totals, box {box[1]} (Schedule D line {SCHEDULE_D_LINES[box[1]]})", str(t.proceeds),
                   str(t.cost_basis), str(t.adjustment), str(t.gain))


def test_every_listing_page_has_its_heads_column_headings_and_number(single):
    pages = _pages(single)
    listing = [(n, p) for n, p in enumerate(pages, start=1) if "Form 8949 Part" in p.splitlines()[1]]
    assert len(listing) >= 4
    for n, page in listing:
        lines = page.splitlines()
        assert lines[0].startswith("Crypto-asset tax report 2024 · Jane Q. </style> Example")
        assert lines[0].endswith("Ledger 1234 transactions · SHA-256 0123456789abcdef")
        assert lines[2].startswith(("Box C: short-term transactions not reported", "Box F: long-term"))
        assert re.match(r"\(a\) Description\s+\(b\) Date\s+\(c\) Date sold\s+\(d\) Proceeds", lines[3])
        assert lines[-2].startswith("taxer 0.1.0") or "taxer 0.1.0 · HIFO" in lines[-1]
        assert lines[-1].endswith(f"Page {n} of {len(pages)}")
    continued = [p for _, p in listing if "(continued)" in p.splitlines()[2]]
    assert continued and all("Form 8949 Part" in p.splitlines()[1] for p in continued)
    lines = small_view().totals_by_box[("I", "C")].lines
    first = pages[listing[0][0] - 1]
    assert f"Box C: short-term transactions not reported to you on Form 1099-B ({lines} lines)" in first


def test_the_contents_number_the_front_and_the_listings(single):
    pages = _pages(single)
    cover = pages[0]
    for title, anchor_text in (("Summary and Schedule D totals", "Summary"), ("Warnings (1)", "Warnings"),
                               ("Methodology: rules and options used", "Methodology: rules and options used"),
                               ("Form 8949 Part I: short-term, box C", "Form 8949 Part I: short-term"),
                               ("Income", "Income"), ("Year-end holdings", "Year-end holdings")):
        number = int(re.search(rf"^{re.escape(title)} (\d+)$", cover, re.MULTILINE).group(1))
        assert anchor_text in pages[number - 1].splitlines(), title
    warnings_page = int(re.search(r"see Warnings on page (\d+)", cover).group(1))
    assert pages[warnings_page - 1].splitlines()[1:3] == [
        "Warnings", "Warnings (1): problems the ledger raised. Each can change the figures; resolve them (or have "
        "them reviewed) before filing"]


def test_a_front_of_many_pages_numbers_its_contents_where_the_pages_fell(monkeypatch):
    """The front prints page numbers that depend on its own length: a front that grows by pages (here 60
    corrections, many more than the cover, summary and methodology's 4 pages) is laid out again with the numbers
    the last layout gave, until they settle; the contents, the links and "of N" agree with where the pages fell."""
    import dataclasses

    from taxer.reports import pdf_flow
    from taxer.reports.view import CorrectionLine

    calls = []
    real = pdf_flow.lay_out
    monkeypatch.setattr(pdf_flow, "lay_out", lambda *args: calls.append(1) or real(*args))
    corrections = tuple(CorrectionLine(n, "relabel", f"coinbase/csv:{n}", "", "relabel as gift", "a gift to a friend",
                                       "me", datetime(2024, 5, 1, tzinfo=UTC), "applied", (n,)) for n in range(60))
    view = dataclasses.replace(small_view(), corrections=corrections)
    data = pdf_bytes(view, CONTEXT)
    pages = _pages(data)
    assert 2 <= len(calls) <= 3
    cover, total = pages[0], len(pages)
    assert f"Page 1 of {total}" in cover and f"Page {total} of {total}" in pages[-1]
    for title in ("Corrections", "Methodology: rules and options used", "Income"):
        number = int(re.search(rf"^{re.escape(title)} (\d+)$", cover, re.MULTILINE).group(1))
        assert title in " ".join(pages[number - 1].split()) and title not in pages[number - 2].splitlines(), title
    corrections_page = int(re.search(r"^Corrections (\d+)$", cover, re.MULTILINE).group(1))
    assert "Corrections (60)" in pages[corrections_page - 1].splitlines()  # after the summary, on its page
    text = "\n".join(pages)
    assert all(f"{n}. Relabel · coinbase/csv:{n} · transaction {n}" in text for n in range(60))
    # the contents' lines are links to the pages they name
    reader = PdfReader(__import__("io").BytesIO(data))
    links = [a.get_object() for a in reader.pages[0]["/Annots"]]
    lines = cover.splitlines()
    named = [int(line.rsplit(" ", 1)[1]) for line in lines[lines.index("Contents") + 1:-1]]  # before the foot
    assert [reader.get_page_number(link["/Dest"][0].get_object()) + 1 for link in links] == named


def test_a_page_plan_that_does_not_fit_fails_loudly(monkeypatch):
    monkeypatch.setattr(pdf_listing, "PAGE_LINES", 80)
    with pytest.raises(PageLayoutError, match="below its margin"):
        pdf_bytes(small_view(lines=100), CONTEXT)


def test_bytes_are_the_same_in_another_process(single):
    """Another interpreter (another hash seed) gives the same bytes."""
    script = ("import sys; from tests.reports.test_pdf import small_view, CONTEXT; "
              "from taxer.reports.pdf import pdf_bytes; "
              "sys.stdout.buffer.write(pdf_bytes(small_view(), CONTEXT))")
    env = dict(os.environ, PYTHONHASHSEED="12345")
    other = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, check=True).stdout
    assert other == single


def test_compiled_templates_are_kept_between_runs_and_a_spoilt_cache_changes_nothing(tmp_path, monkeypatch):
    """The front's templates are compiled once and kept (taxer.resources.cache_dir); the next run loads them and
    makes the same HTML (so the same PDF), and so does one that finds every kept file cut short or overwritten.
    Each run is a new jinja2 environment, as each taxer process makes one."""
    view = small_view()
    front = pdf.front_context(view, CONTEXT)
    pages = [page for listing in pdf_listing.listings(view) for page in pdf_listing.paginate(listing)]
    contents = pdf._contents(pages)
    anchors = {page.anchor: f"listing-{page.anchor}" for page in pages}

    def html(cache: str) -> str:
        monkeypatch.setenv("TAXER_CACHE_DIR", cache)
        env = pdf.environment.__wrapped__()  # not the process's cached one
        return env.get_template("_front.html.j2").render(front, contents=contents, listing_pages=anchors)

    compiled = html("")  # no cache: compiled from the sources
    assert html(str(tmp_path / "cache")) == compiled
    kept = sorted((tmp_path / "cache" / "templates").iterdir())
    assert len(kept) >= 2  # _front.html.j2 and the template it includes
    written = {path: path.stat().st_mtime_ns for path in kept}
    assert html(str(tmp_path / "cache")) == compiled
    assert {path: path.stat().st_mtime_ns for path in kept} == written  # loaded, not compiled and written again
    for n, path in enumerate(kept):
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2] if n % 2 else b"not a compiled template" * 10)
    assert html(str(tmp_path / "cache")) == compiled


def test_the_template_cache_is_used_only_in_a_folder_of_ones_own(tmp_path, monkeypatch):
    from taxer.resources import cache_dir

    monkeypatch.setenv("TAXER_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_dir("templates") == tmp_path / "mine" / "templates"
    assert oct((tmp_path / "mine" / "templates").stat().st_mode & 0o777) == "0o700"
    shared = tmp_path / "shared"
    (shared / "templates").mkdir(parents=True)
    (shared / "templates").chmod(0o777)  # anyone could plant compiled code there
    monkeypatch.setenv("TAXER_CACHE_DIR", str(shared))
    assert cache_dir("templates") is None
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "templates").symlink_to(tmp_path / "mine" / "templates")
    monkeypatch.setenv("TAXER_CACHE_DIR", str(linked))
    assert cache_dir("templates") is None
    monkeypatch.setenv("TAXER_CACHE_DIR", "")  # caching off
    assert cache_dir("templates") is None


def test_long_cells_wrap_and_nothing_is_lost(single):
    view = small_view()
    text = "\n".join(_pages(single))
    long = next(r for r in view.form8949 if "SOMEVERYLONG" in r.description)
    assert "SOMEVERYLONGTOKENNAMEFROMACHAIN" in text and "X" * 40 in text
    _line_with(text, "1.123456789012345678", "2023-01-02", long.date_sold, str(long.proceeds))
    listing = Listing("S", "H", "s", "S", (Column(("a",), 5), Column(("b",), 0)), (("x" * 12, "y"),), ())
    [page] = paginate(listing)
    assert [line.text.rstrip() for line in page.lines] == ["xxxxx  y", "xxxxx", "xx"]
    assert all(len(line.text) <= WIDTH and line.text == line.text.rstrip() for line in page.lines)


def test_no_warnings_no_taxpayer_no_import(tmp_path):
    context = PdfContext(as_of=None, fingerprint="f" * 64, transactions=0, taxpayer=None)
    pages = _pages(pdf_bytes(small_view(lines=3, warnings=False), context))
    text = "\n".join(pages)
    assert "Ledger as of: no import recorded" in pages[0]
    assert "No warnings: the ledger raised no problems for this period." in " ".join(pages[0].split())
    assert "Warnings (" not in text and "Prepared for" not in text  # no warnings listing
    assert "Period start 2024-01-01 00:00:00 (America/New_York)" in pages[0]
    assert "HIFO (highest unit cost first)" in pages[0]


def test_taxpayer_is_escaped_in_the_html(single):
    text = "\n".join(_pages(single))
    assert "Prepared for Jane Q. </style> Example" in text
    assert "Crypto-asset tax report 2024 · Jane Q. </style> Example" in text  # the running head
    assert "wallet <&>" in text


def test_thousands_of_warnings_print_the_first_of_each_kind_and_count_the_rest():
    import dataclasses

    base = small_view(lines=3, warnings=False)
    many = tuple(WarningLine("missing_value", f"transaction {i}: no value for 1 ETH.", "Import a price.", "x", "ETH",
                             Decimal(1), (i,)) for i in range(3000))
    many += (WarningLine("oversold", "transaction 9: sold more than held.", "Import the history.", "x", "BTC",
                         Decimal(1), (9,)),)
    text = "\n".join(_pages(pdf_bytes(dataclasses.replace(base, warnings=many), CONTEXT)))
    assert "3001 warnings need attention before filing" in text and "Warnings (3001)" in text
    assert "transaction 24: no value" in text and "transaction 25: no value" not in text
    assert "2975 more missing value warnings are listed in warnings.csv" in " ".join(text.split())
    assert "transaction 9: sold more than held." in text
