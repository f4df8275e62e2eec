"""The front pages of report.pdf (cover, summary, reconciliation, corrections, methodology), laid out directly.

The templates (templates/_front.html.j2) write the front as HTML of a small fixed vocabulary: sections, headings,
paragraphs, tables, boxes, definition lists, bold and code runs and page references. This module reads that HTML
and flows it onto portrait Letter pages in the listings' fonts, as a list of drawing operations per page, which
pdf_text writes into the PDF with the listing pages.

WeasyPrint used to lay these pages out: 0.45-1.1 s for five pages plus 0.3-0.6 s to import it, most of a small
report's time (bench/bench_small.py). The styles below are the ones its stylesheet (report.css) gave.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser

from taxer.reports.pdf_fonts import FontMetrics

PAGE_WIDTH, PAGE_HEIGHT = 612.0, 792.0          # portrait Letter
TOP, SIDE, BOTTOM = 54.0, 54.0, 50.4            # 0.75in, 0.75in, 0.7in
WIDTH = PAGE_WIDTH - 2 * SIDE
LINE_HEIGHT = 1.35


class FrontLayoutError(RuntimeError):
    """The front's HTML uses an element this layout does not know (a template was changed without this module)."""


@dataclass(frozen=True)
class Style:
    """A block's text: size (pt), face (a pdf_text face), colour, margins above and below, indent, upper case."""

    size: float = 9.5
    face: str = "sans"
    colour: str = "#111111"
    top: float = 0.0
    bottom: float = 6.0
    indent: float = 0.0
    upper: bool = False


PARAGRAPH = Style()
STYLES = {
    "h1": Style(15, "sans_bold", bottom=8), "h1.title": Style(22, "sans_bold", top=4, bottom=6),
    "h2": Style(11, "sans_bold", top=14, bottom=5), "h2.contents-title": Style(11, "sans_bold", top=6, bottom=5),
    "p.kicker": Style(9, colour="#555555", top=24, bottom=0, upper=True),
    "p.taxpayer": Style(13, "sans_bold", bottom=4), "p.lead": Style(11, bottom=4), "p.asof": Style(11, bottom=14),
    "p.note": Style(8.5, colour="#333333"), "p.code": Style(face="sans_bold", bottom=2),
    "p.message": Style(bottom=2), "dt": Style(face="sans_bold", top=8, bottom=2), "dd": Style(indent=12, bottom=0),
}
BREAK_BEFORE = {"summary", "methodology", "reconciliation"}   # sections that start a page
BOLD = {"sans": "sans_bold", "mono": "mono_bold", "sans_bold": "sans_bold", "mono_bold": "mono_bold"}
CODE = {"sans": "mono", "sans_bold": "mono_bold", "mono": "mono", "mono_bold": "mono_bold"}


# Drawing operations, in points from the page's top left corner (y down):
#   ("text", face, size, x, baseline, text, colour), ("rect", x, y, w, h, colour),
#   ("dots", x, y, w, colour) a dotted rule, ("link", x, y, w, h, anchor).
Op = tuple


@dataclass
class Fragment:
    """A piece of the flow that does not split across pages: a line of a paragraph, a table row, a box."""

    height: float
    ops: list[Op]
    top: float = 0.0                 # margin above (collapses with the one below the fragment before)
    bottom: float = 0.0
    forced: bool = False             # starts a new page
    keep_next: bool = False          # stays on the page of the fragment after it (headings)
    anchors: tuple[str, ...] = ()
    bookmark: str | None = None
    header: Fragment | None = None   # a table's heading row, repeated on a page the table continues on


@dataclass
class Page:
    ops: list[Op] = field(default_factory=list)
    links: list[Op] = field(default_factory=list)


@dataclass
class Front:
    """The laid-out front: its pages, where each anchor fell (0-based page), its bookmarks (title, page)."""

    pages: list[Page]
    anchors: dict[str, int]
    bookmarks: list[tuple[str, int]]


# Reading the HTML

@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


class _Reader(HTMLParser):
    VOID = {"meta", "br", "hr", "link"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.root


# Text: words of pieces in faces, broken into lines

Piece = tuple[str, str]  # (text, face)
SPACES = re.compile(r"\s+")


def _pieces(node: Node, face: str, refs: Callable[[str], str]) -> list[Piece]:
    """The inline content of `node` as (text, face) pieces, whitespace not yet collapsed."""
    out: list[Piece] = []
    for child in node.children:
        if isinstance(child, str):
            out.append((child, face))
        elif child.tag in ("strong", "b"):
            out += _pieces(child, BOLD[face], refs)
        elif child.tag == "code":
            out += _pieces(child, CODE[face], refs)
        elif "ref" in child.classes:
            target = child.attrs.get("href") or child.attrs.get("data-page", "")
            out.append((refs(target.lstrip("#")), face))
        elif child.tag in ("a", "span", "em"):
            out += _pieces(child, face, refs)
        else:
            raise FrontLayoutError(f"<{child.tag}> inside <{node.tag}> is not laid out by taxer.reports.pdf_flow")
    return out


@dataclass
class Word:
    pieces: list[Piece]
    width: float


class Text:
    """Breaks pieces of text into lines at spaces, measuring with the fonts' advance widths."""

    def __init__(self, metrics: dict[str, FontMetrics]) -> None:
        self.metrics = metrics

    def words(self, pieces: Sequence[Piece], size: float, upper: bool = False) -> list[Word]:
        words: list[Word] = []
        current: list[Piece] = []
        for text, face in pieces:
            text = SPACES.sub(" ", text.upper() if upper else text)
            for n, part in enumerate(text.split(" ")):
                if n and current:
                    words.append(self._word(current, size))
                    current = []
                if part:
                    current.append((part, face))
        if current:
            words.append(self._word(current, size))
        return words

    def _word(self, pieces: list[Piece], size: float) -> Word:
        return Word(pieces, sum(self.metrics[face].width(text, size) for text, face in pieces))

    def space(self, size: float) -> float:
        return self.metrics["sans"].width(" ", size)

    def lines(self, words: Sequence[Word], width: float, size: float) -> list[list[Word]]:
        """Greedy lines no wider than `width`; a word wider than a line is cut between characters."""
        space, lines, line, used = self.space(size), [], [], 0.0
        for word in words:
            for part in self._fit(word, width, size):
                needed = part.width if not line else used + space + part.width
                if line and needed > width + 0.01:
                    lines.append(line)
                    line, needed = [], part.width
                line.append(part)
                used = needed
        if line:
            lines.append(line)
        return lines

    def _fit(self, word: Word, width: float, size: float) -> list[Word]:
        if word.width <= width + 0.01:
            return [word]
        parts, current, used = [], [], 0.0
        for text, face in word.pieces:
            for char in text:
                advance = self.metrics[face].width(char, size)
                if current and used + advance > width:
                    parts.append(self._word(current, size))
                    current, used = [], 0.0
                current.append((char, face))
                used += advance
        if current:
            parts.append(self._word(current, size))
        return parts

    def draw(self, line: Sequence[Word], x: float, top: float, size: float, leading: float, colour: str) -> list[Op]:
        """A line's text operations: one run per stretch of one face (spaces included, so extracted text reads
        as it prints)."""
        ops, space = [], self.space(size)
        runs: list[tuple[str, list[str], float]] = []  # (face, texts, x)
        at = x
        for n, word in enumerate(line):
            if n:
                if runs:
                    runs[-1][1].append(" ")
                at += space
            for text, face in word.pieces:
                if runs and runs[-1][0] == face:
                    runs[-1][1].append(text)
                else:
                    runs.append((face, [text], at))
                at += self.metrics[face].width(text, size)
        for face, texts, start in runs:
            baseline = self.metrics[face].baseline(top, size, leading)
            ops.append(("text", face, size, start, baseline, "".join(texts), colour))
        return ops

    def width(self, line: Sequence[Word], size: float) -> float:
        return sum(w.width for w in line) + self.space(size) * max(len(line) - 1, 0)


# Tables

@dataclass
class Cell:
    words: list[Word]
    size: float
    colour: str
    pad: tuple[float, float, float, float]   # top, right, bottom, left
    right: bool = False
    nowrap: bool = False
    bottom_align: bool = False
    rule_below: tuple[float, str] | None = None   # (thickness, colour)
    rule_above: tuple[float, str] | None = None
    dotted: bool = False
    link: str | None = None
    fixed: float | None = None               # a share of the table's width


def _table_cells(text: Text, table: Node, refs) -> tuple[list[list[Cell]], int, float]:
    """The table's rows of cells, how many are heading rows, and the table's width in points."""
    kind = table.classes
    rows: list[list[Cell]] = []
    heading_rows = 0

    def visit(node: Node, in_head: bool) -> None:
        nonlocal heading_rows
        for child in node.children:
            if isinstance(child, str):
                continue
            if child.tag in ("thead", "tbody"):
                visit(child, child.tag == "thead")
            elif child.tag == "tr":
                rows.append([_cell(text, cell, child, kind, refs) for cell in child.children
                             if isinstance(cell, Node)])
                heading_rows += in_head
    visit(table, False)
    width = WIDTH * (0.55 if "narrow" in kind else 1.0)
    return rows, heading_rows, width


def _cell(text: Text, cell: Node, row: Node, kind: set[str], refs) -> Cell:
    classes, head = cell.classes, cell.tag == "th"
    face, size, colour = "sans", 9.5, "#111111"
    fixed = None
    if "grid" in kind:
        size = 8.0 if head else 8.5
        face = "sans_bold" if head or "sum" in row.classes else "sans"
        pad = (2.0, 4.0, 2.0, 4.0) if head else (2.5, 4.0, 2.5, 4.0)
        below = (1.0, "#111111") if head else (0.5, "#cccccc")
        above = (1.0, "#111111") if "sum" in row.classes else None
    elif "facts" in kind:
        pad, below, above = (3.0, 6.0, 3.0, 0.0), (0.5, "#cccccc"), None
        if head:
            colour, fixed = "#444444", 0.32
    elif "contents" in kind:
        pad, below, above = (2.0, 0.0, 2.0, 0.0), (0.5, "#999999"), None
    else:
        raise FrontLayoutError(f"a table of class {' '.join(sorted(kind)) or '(none)'} has no layout in pdf_flow")
    link = next((c.attrs["href"].lstrip("#") for c in cell.children
                 if isinstance(c, Node) and c.tag == "a" and "href" in c.attrs), None)
    # report.css kept a grid's figures and key cells on one line (td.n, td.k); headings wrap
    nowrap = not head and bool({"n", "k"} & classes) and "grid" in kind or "nowrap" in cell.attrs.get("style", "")
    return Cell(text.words(_pieces(cell, face, refs), size), size, colour, pad, right="n" in classes,
                nowrap=nowrap, bottom_align=head and "grid" in kind, rule_below=below, rule_above=above,
                dotted="contents" in kind, link=link, fixed=fixed)


def _column_widths(text: Text, rows: list[list[Cell]], width: float) -> list[float]:
    """CSS's automatic table layout, simply: each column between its narrowest (longest word, or the whole text
    where it does not wrap) and widest (one line) content; spare room shared in proportion to the widest."""
    columns = max(len(r) for r in rows)
    low, high, fixed = [0.0] * columns, [0.0] * columns, [None] * columns
    for row in rows:
        for n, cell in enumerate(row):
            pad = cell.pad[1] + cell.pad[3]
            whole = text.width(cell.words, cell.size) + pad
            longest = (whole if cell.nowrap else max((w.width for w in cell.words), default=0.0) + pad)
            low[n], high[n] = max(low[n], longest), max(high[n], whole)
            if cell.fixed is not None:
                fixed[n] = cell.fixed * width
    free = [n for n in range(columns) if fixed[n] is None]
    room = width - sum(f for f in fixed if f is not None)
    widths = [f or 0.0 for f in fixed]
    lows, highs = sum(low[n] for n in free), sum(high[n] for n in free)
    for n in free:
        if highs <= room:
            widths[n] = high[n] + (room - highs) * (high[n] / highs if highs else 1 / len(free))
        elif lows <= room:
            widths[n] = low[n] + (high[n] - low[n]) * (room - lows) / (highs - lows)
        else:
            widths[n] = low[n]
    return widths


def _table(text: Text, node: Node, refs) -> list[Fragment]:
    rows, heading_rows, width = _table_cells(text, node, refs)
    if not rows:
        return []
    widths = _column_widths(text, rows, width)
    fragments = [_row(text, row, widths) for row in rows]
    if heading_rows:
        header = fragments[0] if heading_rows == 1 else Fragment(
            sum(f.height for f in fragments[:heading_rows]),
            [op for n, f in enumerate(fragments[:heading_rows]) for op in _shift(f.ops, 0,
                                                                               sum(g.height for g in fragments[:n]))])
        for f in fragments[heading_rows:]:
            f.header = header
        fragments[0].keep_next = True
    return fragments


def _row(text: Text, row: list[Cell], widths: list[float]) -> Fragment:
    laid = []
    for cell, width in zip(row, widths):
        inner = width - cell.pad[1] - cell.pad[3]
        lines = [cell.words] if cell.nowrap else text.lines(cell.words, inner, cell.size)
        laid.append((cell, width, lines, cell.size * LINE_HEIGHT))
    height = max(c.pad[0] + c.pad[2] + leading * max(len(lines), 1) for c, _w, lines, leading in laid)
    ops: list[Op] = []
    x = 0.0
    for cell, width, lines, leading in laid:
        own = cell.pad[0] + cell.pad[2] + leading * max(len(lines), 1)
        y = cell.pad[0] + (height - own if cell.bottom_align else 0.0)
        for line in lines:
            start = x + cell.pad[3]
            if cell.right:
                start = x + width - cell.pad[1] - text.width(line, cell.size)
            ops += text.draw(line, start, y, cell.size, leading, cell.colour)
            y += leading
        if cell.rule_above:
            ops.append(("rect", x, 0.0, width, cell.rule_above[0], cell.rule_above[1]))
        if cell.rule_below:
            thick, colour = cell.rule_below
            ops.append(("dots", x, height - thick, width, colour) if cell.dotted else
                       ("rect", x, height - thick, width, thick, colour))
        if cell.link:
            ops.append(("link", 0.0, 0.0, sum(widths), height, cell.link))
        x += width
    return Fragment(height, ops)


def _shift(ops: Sequence[Op], dx: float, dy: float) -> list[Op]:
    """`ops` moved by (dx, dy)."""
    moved = []
    for op in ops:
        if op[0] == "text":
            moved.append((*op[:3], op[3] + dx, op[4] + dy, *op[5:]))
        else:
            moved.append((op[0], op[1] + dx, op[2] + dy, *op[3:]))
    return moved


# Blocks

def _style(node: Node) -> Style:
    for cls in sorted(node.classes):
        if f"{node.tag}.{cls}" in STYLES:
            return STYLES[f"{node.tag}.{cls}"]
    return STYLES.get(node.tag, PARAGRAPH)


def _paragraph(text: Text, node: Node, width: float, refs, style: Style | None = None) -> list[Fragment]:
    style = style or _style(node)
    leading = style.size * LINE_HEIGHT
    words = text.words(_pieces(node, style.face, refs), style.size, style.upper)
    lines = text.lines(words, width - style.indent, style.size) or [[]]
    fragments = [Fragment(leading, text.draw(line, style.indent, 0.0, style.size, leading, style.colour))
                 for line in lines]
    fragments[0].top, fragments[-1].bottom = style.top, style.bottom
    return fragments


# (border colour, background, border thickness, padding top/right/bottom/left) of the boxed blocks
BOXES = {"alert": ("#b00020", "#fdecee", 1.5, (7.0, 9.0, 7.0, 9.0)),
         "alert ok": ("#2e7d32", "#edf7ee", 1.5, (7.0, 9.0, 7.0, 9.0))}


def _box(text: Text, node: Node, width: float, refs) -> list[Fragment]:
    """An alert (bordered, filled) or a warning entry (a rule above): kept on one page."""
    classes = node.classes
    if "warning" in classes:
        inner = _blocks(text, node, width, refs)
        body, height = _stack(inner)
        ops = [("rect", 0.0, 0.0, width, 0.5, "#d9a0a8"), *_shift(body, 0.0, 5.0)]
        return [Fragment(height + 6.0, ops, bottom=0.0)]
    key = "alert ok" if "ok" in classes else "alert"
    border, fill, thick, (pt, pr, pb, pl) = BOXES[key]
    inner = _paragraph(text, node, width - 2 * thick - pl - pr, refs, replace(PARAGRAPH, top=0, bottom=0))
    body, height = _stack(inner)
    total = height + 2 * thick + pt + pb
    ops = [("rect", 0.0, 0.0, width, total, fill), ("rect", 0.0, 0.0, width, thick, border),
           ("rect", 0.0, total - thick, width, thick, border), ("rect", 0.0, 0.0, thick, total, border),
           ("rect", width - thick, 0.0, thick, total, border), *_shift(body, thick + pl, thick + pt)]
    return [Fragment(total, ops, bottom=12.0)]


def _stack(fragments: Sequence[Fragment]) -> tuple[list[Op], float]:
    """Fragments one below the other (margins collapsing) as one block's operations, and its height."""
    ops, y, pending = [], 0.0, None
    for f in fragments:
        y += f.top if pending is None else max(pending, f.top)
        ops += _shift(f.ops, 0.0, y)
        y += f.height
        pending = f.bottom
    return ops, y


def _blocks(text: Text, node: Node, width: float, refs) -> list[Fragment]:
    out: list[Fragment] = []
    for child in node.children:
        if isinstance(child, str):
            if child.strip():
                raise FrontLayoutError(f"text {child.strip()[:40]!r} directly inside <{node.tag}>")
            continue
        tag = child.tag
        if tag in ("p", "dt", "dd"):
            out += _paragraph(text, child, width, refs)
        elif tag in ("h1", "h2"):
            fragments = _paragraph(text, child, width, refs)
            fragments[-1].keep_next = True
            if tag == "h1":
                fragments[0].bookmark = "Cover" if "title" in child.classes else " ".join(
                    "".join(t for t, _f in _pieces(child, "sans", refs)).split())
            out += fragments
        elif tag == "table":
            fragments = _table(text, child, refs)
            if fragments:
                fragments[-1].bottom = max(fragments[-1].bottom, 14.0 if "facts" in child.classes else 4.0)
            out += fragments
        elif tag == "div":
            out += _box(text, child, width, refs)
        elif tag in ("section", "dl"):
            inner = _blocks(text, child, width, refs)
            if inner:
                if "id" in child.attrs:
                    inner[0].anchors += (child.attrs["id"],)
                if tag == "section" and (BREAK_BEFORE & child.classes or "break-before" in
                                         child.attrs.get("style", "")):
                    inner[0].forced = True
            out += inner
        else:
            raise FrontLayoutError(f"<{tag}> is not laid out by taxer.reports.pdf_flow")
    return out


def _paginate(fragments: Sequence[Fragment]) -> Front:
    pages, anchors, bookmarks = [Page()], {}, []
    y, pending, fresh, broken = TOP, None, True, False   # fresh: nothing on this page yet; broken: by overflow
    end = PAGE_HEIGHT - BOTTOM

    def new_page(overflow: bool) -> None:
        nonlocal y, pending, fresh, broken
        pages.append(Page())
        y, pending, fresh, broken = TOP, None, True, overflow

    for n, f in enumerate(fragments):
        if f.forced and not fresh:
            new_page(False)
        following = fragments[n + 1].height if f.keep_next and n + 1 < len(fragments) else 0.0
        gap = f.top if pending is None else max(pending, f.top)
        if not fresh and y + gap + f.height + following > end:
            new_page(True)
            if f.header is not None:
                _place(pages[-1], f.header, y)
                y += f.header.height
                fresh = False
        if fresh and broken:
            gap = 0.0  # a margin at the top of a page the flow broke onto is dropped, as CSS does
        y += gap
        _place(pages[-1], f, y)
        for anchor in f.anchors:
            anchors[anchor] = len(pages) - 1
        if f.bookmark:
            bookmarks.append((f.bookmark, len(pages) - 1))
        y += f.height
        pending, fresh = f.bottom, False
    return Front(pages, anchors, bookmarks)


def _place(page: Page, fragment: Fragment, y: float) -> None:
    for op in _shift(fragment.ops, SIDE, y):
        (page.links if op[0] == "link" else page.ops).append(op)


def lay_out(html: str, metrics: dict[str, FontMetrics], refs: Callable[[str], str]) -> Front:
    """The front's pages from its HTML; `refs(anchor)` is the page number printed for a reference to `anchor`."""
    text = Text(metrics)
    return _paginate(_blocks(text, parse(html), WIDTH, refs))
