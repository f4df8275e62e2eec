"""pdf_flow: the front's HTML laid out onto pages: line breaking, tables that continue with their headings, page
breaks and margins as report.css had them, and loud failure on HTML it does not know."""

from __future__ import annotations

import pytest

from taxer.reports import pdf_flow
from taxer.reports.pdf_text import PageWriter


@pytest.fixture(scope="module")
def metrics():
    return {key: font.metrics for key, font in PageWriter().fonts.items()}


def _texts(page: pdf_flow.Page) -> list[tuple[float, str]]:
    return [(op[4], op[5]) for op in page.ops if op[0] == "text"]


def _lines(page: pdf_flow.Page) -> list[str]:
    """The page's text, runs on one baseline joined (the order they are drawn in)."""
    rows: dict[float, list[str]] = {}
    for y, text in _texts(page):
        rows.setdefault(round(y, 2), []).append(text)
    return [" ".join(parts) for _y, parts in sorted(rows.items())]


def _no_refs(anchor: str) -> str:
    raise AssertionError(f"no reference expected, got {anchor}")


def test_a_paragraph_breaks_at_spaces_within_the_width_and_keeps_every_word(metrics):
    words = " ".join(f"word{n}" for n in range(1000))
    front = pdf_flow.lay_out(f"<section><p>{words}</p></section>", metrics, _no_refs)
    lines = [line for page in front.pages for line in _lines(page)]
    assert " ".join(lines).split() == words.split()
    sans = metrics["sans"]
    for page in front.pages:
        for op in page.ops:
            assert op[3] >= pdf_flow.SIDE - 0.01
            assert op[3] + sans.width(op[5], op[2]) <= pdf_flow.PAGE_WIDTH - pdf_flow.SIDE + 0.01, op[5]
    # ~11 words of 40pt on a 504pt line, ~90 lines of 12.8pt (9.5pt x 1.35); a page holds 687.6pt: 53 lines
    assert len(front.pages) == 2
    for page in front.pages:
        baselines = [y for y, _t in _texts(page)]
        assert min(baselines) > pdf_flow.TOP and max(baselines) < pdf_flow.PAGE_HEIGHT - pdf_flow.BOTTOM


def test_a_word_wider_than_the_line_is_cut_not_lost(metrics):
    long = "x" * 300
    front = pdf_flow.lay_out(f"<section><p>a {long} b</p></section>", metrics, _no_refs)
    lines = _lines(front.pages[0])
    assert "".join(lines).replace(" ", "") == "a" + long + "b" and len(lines) >= 3


def test_a_long_table_continues_on_the_next_page_under_its_headings(metrics):
    rows = "".join(f'<tr><td>row {n}</td><td class="n">${n}.00</td></tr>' for n in range(150))
    html = (f'<section><h2>Rows</h2><table class="grid"><thead><tr><th>Name</th><th class="n">Amount</th></tr>'
            f"</thead><tbody>{rows}</tbody></table></section>")
    front = pdf_flow.lay_out(html, metrics, _no_refs)
    assert len(front.pages) >= 2
    seen = []
    for page in front.pages:
        lines = _lines(page)
        start = 1 if page is front.pages[0] else 0
        assert lines[start] == "Name Amount", lines[:3]  # the heading row opens every page of the table
        seen += lines[start + 1:]
    assert seen == [f"row {n} ${n}.00" for n in range(150)]  # every row once, in order, none split


def test_sections_that_start_a_page_and_margins_at_the_top_of_a_page(metrics):
    html = ('<section class="cover" id="cover"><p class="kicker">first</p></section>'
            '<section class="summary" id="summary"><h1>Summary</h1><p>text</p></section>'
            '<section class="corrections" id="corrections"><h1>Corrections</h1></section>')
    front = pdf_flow.lay_out(html, metrics, _no_refs)
    assert front.anchors == {"cover": 0, "summary": 1, "corrections": 1}  # corrections follow on the page
    assert front.bookmarks == [("Summary", 1), ("Corrections", 1)]
    assert _lines(front.pages[0]) == ["FIRST"]  # the kicker is upper case
    kicker = _texts(front.pages[0])[0][0]
    assert kicker > pdf_flow.TOP + 24  # its 24pt margin stays on the first page, as WeasyPrint kept it


def test_a_heading_is_never_the_last_line_of_a_page(metrics):
    # a page holds 36 one-line paragraphs (687.6pt / (12.8pt + 6pt margin)): somewhere in 25-45 of them the
    # heading would fall last on the first page, and must move to the next with the line after it
    moved = 0
    for count in range(25, 46):
        filler = "".join(f"<p>line {n}</p>" for n in range(count))
        front = pdf_flow.lay_out(f"<section>{filler}<h2>Heading</h2><p>after</p></section>", metrics, _no_refs)
        pages = [_lines(page) for page in front.pages]
        assert all(lines[-1] != "Heading" for lines in pages), count
        at = next(n for n, lines in enumerate(pages) if "Heading" in lines)
        assert pages[at][pages[at].index("Heading") + 1] == "after"
        moved += pages[at][0] == "Heading"
    assert moved >= 1


def test_page_references_are_asked_for_their_anchors(metrics):
    asked = []
    html = ('<section><div class="alert"><strong>1 warning</strong>: see page '
            '<span class="ref" data-page="#listing-warnings"></span>.</div>'
            '<table class="contents"><tr><td>Summary</td><td class="n"><a class="ref" href="#summary"></a></td></tr>'
            "</table></section>")
    front = pdf_flow.lay_out(html, metrics, lambda anchor: asked.append(anchor) or "7")
    assert asked == ["listing-warnings", "summary"]
    assert _lines(front.pages[0]) == ["1 warning : see page 7.", "Summary 7"]
    assert [op[5] for op in front.pages[0].links] == ["summary"]


@pytest.mark.parametrize("html", ["<section><img src='x'></section>", "<section><p>a <u>b</u></p></section>",
                                  "<section><table class='fancy'><tr><td>x</td></tr></table></section>",
                                  "<section>loose text</section>"])
def test_html_it_does_not_know_fails_loudly(metrics, html):
    with pytest.raises(pdf_flow.FrontLayoutError):
        pdf_flow.lay_out(html, metrics, _no_refs)
