"""The pages of report.pdf written directly as PDF content streams: the listings and the front.

pdf_listing has already cut each listing into pages of fixed-width lines, so a page is a few dozen lines of
text at known positions: drawing it takes well under a millisecond, where laying out the same lines as HTML took
WeasyPrint about 30 ms a page. The front pages come laid out from pdf_flow as text runs and rules at known
positions. Listing pages are landscape Letter, the front portrait; both carry the same running heads and fonts,
and every page shares one set of embedded fonts.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import pydyf

from taxer.reports import pdf_flow, pdf_listing
from taxer.reports.pdf_fonts import EmbeddedFont, FontMetrics, font_file, metrics
from taxer.reports.pdf_listing import Page

WIDTH_PT, HEIGHT_PT = 792.0, 612.0     # landscape Letter
LEFT, TOP, BOTTOM = 36.0, 39.6, 39.6   # 0.5in sides, 0.55in top and bottom
CONTENT = WIDTH_PT - 2 * LEFT
MONO, LEADING = 8.5, 11.0              # report.css: pre 8.5pt on 11pt lines
INK, GREY, DARK = "0.067 g", "0.333 g", "0.133 g"
SHADE = "0.929 0.941 0.953 rg"         # #edf0f3
LEGEND = "0.267 g"                     # #444


class PageLayoutError(RuntimeError):
    """A planned listing page does not fit the paper (pdf_listing.PAGE_LINES or WIDTH is too large)."""


@dataclass(frozen=True)
class Running:
    """The running heads and foot every page carries (the front's come from report.css)."""

    top_left: str
    top_right: str
    bottom_left: str


FACES = {"mono": ("DejaVu Sans Mono", False), "mono_bold": ("DejaVu Sans Mono", True),
         "sans": ("DejaVu Sans", False), "sans_bold": ("DejaVu Sans", True)}


@lru_cache(maxsize=1)
def font_paths() -> dict[str, str]:
    """The font file of each face, from fontconfig (once per process)."""
    return {key: font_file(family, bold) for key, (family, bold) in FACES.items()}


def face_metrics() -> dict[str, FontMetrics]:
    """Each face's metrics (what pdf_flow measures the front's text with), read once per process."""
    return {key: metrics(path) for key, path in font_paths().items()}


class PageWriter:
    """Draws pages as compressed content streams; `write()` adds them and the fonts they use to a PDF."""

    def __init__(self) -> None:
        self.fonts = {key: EmbeddedFont(metrics(path), f"/L{n}")
                      for n, (key, path) in enumerate(font_paths().items(), start=1)}

    def draw(self, page: Page, number: int, total: int, running: Running) -> bytes:
        """`page` as page `number` of `total`: its content stream, compressed."""
        # zlib level 3, not pydyf's 9: a tenth of the time for a quarter more bytes (hex text compresses well)
        return zlib.compress(self._content(page, number, total, running), 3)

    def draw_front(self, page: pdf_flow.Page, number: int, total: int, running: Running) -> bytes:
        """A laid-out front page (portrait) as page `number` of `total`: its content stream, compressed."""
        height = pdf_flow.PAGE_HEIGHT
        ops, foot = self._running(running, number, total, pdf_flow.PAGE_WIDTH, height, pdf_flow.SIDE, pdf_flow.TOP,
                                  pdf_flow.BOTTOM)
        graphics, words = [], []
        for op in page.ops:
            if op[0] == "text":
                _kind, face, size, x, y, text, colour = op
                words.append(self._text(face, size, x, y, text, _rgb(colour), height))
            elif op[0] == "rect":
                _kind, x, y, w, h, colour = op
                graphics.append(f"{_rgb(colour)} {x:.2f} {height - y - h:.2f} {w:.2f} {h:.2f} re f")
            else:  # dots
                _kind, x, y, w, colour = op
                graphics.append(f"q {_rgb(colour).upper()} 0.5 w [0.5 1.5] 0 d {x:.2f} {height - y - 0.25:.2f} m "
                                f"{x + w:.2f} {height - y - 0.25:.2f} l S Q")
        # Heads first, then the page, the page number last: text extraction reads them in this order.
        return zlib.compress("\n".join([*ops, *graphics, *words, *foot]).encode(), 3)

    def write(self, pdf: pydyf.PDF, streams: Sequence[bytes],
              sizes: Sequence[tuple[float, float]] | None = None) -> list[bytes]:
        """Add the drawn pages (each of its size in points; landscape Letter by default) and the fonts they use
        to `pdf`; the pages' references."""
        for font in self.fonts.values():
            font.used = font.used or {" "}  # a font program needs a glyph besides .notdef
        font_objects = {key: pydyf.Dictionary(font.embed(pdf)) for key, font in self.fonts.items()}
        for font in font_objects.values():
            pdf.add_object(font)
        resources = pydyf.Dictionary({"Font": pydyf.Dictionary(
            {self.fonts[key].resource[1:]: font.reference for key, font in font_objects.items()})})
        pdf.add_object(resources)
        references = []
        for n, data in enumerate(streams):
            stream = pydyf.Stream([data], pydyf.Dictionary({"Filter": "/FlateDecode"}))
            pdf.add_object(stream)
            width, height = sizes[n] if sizes is not None else (WIDTH_PT, HEIGHT_PT)
            page = pydyf.Dictionary({
                "Type": "/Page", "Parent": pdf.pages.reference, "MediaBox": pydyf.Array((0, 0, width, height)),
                "Contents": stream.reference, "Resources": resources.reference})
            pdf.add_page(page)
            references.append(page.reference)
        return references

    # drawing

    def _running(self, running: Running, number: int, total: int, width: float, height: float, side: float,
                 top: float, bottom: float) -> tuple[list[str], list[str]]:
        """A page's running heads and its foot ("Page 2 of 30"), set 8pt outside its margins."""
        head_y, foot_y = top - 8 - 2.2, height - bottom + 8 + 7.5
        heads = [self._text("sans", 7.5, side, head_y, running.top_left, GREY, height),
                 self._right("sans", 7.5, width - side, head_y, running.top_right, GREY, height)]
        foot = [self._text("sans", 7.5, side, foot_y, running.bottom_left, GREY, height),
                self._right("sans", 7.5, width - side, foot_y, f"Page {number} of {total}", DARK, height)]
        return heads, foot

    def _text(self, key: str, size: float, x: float, y: float, text: str, colour: str = INK,
              height: float = HEIGHT_PT) -> str:
        """One run of text with its baseline at `y` points from the top of a page `height` points high."""
        font = self.fonts[key]
        return f"BT {colour} {font.resource} {size:g} Tf {x:.2f} {height - y:.2f} Td {font.hex(text)} Tj ET"

    def _baseline(self, key: str, top: float, size: float, leading: float) -> float:
        """Where CSS puts the baseline of a line box of `leading` points whose top is at `top`."""
        return self.fonts[key].metrics.baseline(top, size, leading)

    def _right(self, key: str, size: float, right: float, y: float, text: str, colour: str,
               height: float = HEIGHT_PT) -> str:
        return self._text(key, size, right - _width(self.fonts[key].metrics, text, size), y, text, colour, height)

    def _content(self, page: Page, number: int, total: int, running: Running) -> bytes:
        heads, foot = self._running(running, number, total, WIDTH_PT, HEIGHT_PT, LEFT, TOP, BOTTOM)
        ops: list[str] = []
        y = TOP
        ops.append(self._text("sans_bold", 11.5, LEFT, self._baseline("sans_bold", y, 11.5, 15), page.section))
        y += 15 + 1
        sub = page.heading + (" (continued)" if page.continued else "")
        ops.append(self._text("sans", 9, LEFT, self._baseline("sans", y, 9, 12), sub))
        y += 12 + 6
        mono = self.fonts["mono"]
        bold = self.fonts["mono_bold"]
        first = self._baseline("mono", y, MONO, LEADING)
        body: list[str] = [f"BT {INK} {bold.resource} {MONO:g} Tf {LEADING:g} TL {LEFT:.2f} {HEIGHT_PT - first:.2f} Td"]
        for n, text in enumerate(page.header):
            body.append(("" if n == 0 else "T* ") + bold.hex(text.rstrip()) + " Tj")
        y += LEADING * len(page.header)
        rules = [f"{LEFT:.2f} {HEIGHT_PT - y - 1.4:.2f} {CONTENT:.2f} 0.8 re"]  # padding 1pt, border 0.8pt
        gap = 1 + 0.8 + 2
        body.append(f"0 {-(LEADING + gap):.2f} Td")
        y += gap
        shades, current = [], None
        for n, line in enumerate(page.lines):
            top = y + n * LEADING
            if line.kind == "alt":
                shades.append(f"{LEFT:.2f} {HEIGHT_PT - top - LEADING:.2f} {CONTENT:.2f} {LEADING:g} re")
            if line.kind == "total first":
                rules.append(f"{LEFT:.2f} {HEIGHT_PT - top - 0.8:.2f} {CONTENT:.2f} 0.8 re")
            font = bold if line.kind.startswith("total") else mono
            switch = f"{font.resource} {MONO:g} Tf " if font is not current else ""
            current = font
            body.append(("" if n == 0 else "T* ") + switch + font.hex(line.text.rstrip()) + " Tj")
        body.append("ET")
        y += LEADING * len(page.lines)
        if page.legend:
            y += 5
            for text in _wrap(page.legend, self.fonts["sans"].metrics, 7.5, CONTENT):
                ops.append(self._text("sans", 7.5, LEFT, self._baseline("sans", y, 7.5, 10), text, LEGEND))
                y += 10
        if y > HEIGHT_PT - BOTTOM + 0.01 or len(page.lines) + len(page.header) > pdf_listing.PAGE_LINES:
            raise PageLayoutError(f"listing page {number} ends {y - (HEIGHT_PT - BOTTOM):.1f}pt below its margin, or "
                                  f"holds more than pdf_listing.PAGE_LINES lines: PAGE_LINES or WIDTH is too large")
        if mono.metrics.width("0" * pdf_listing.WIDTH, MONO) > CONTENT + 0.01:
            raise PageLayoutError("pdf_listing.WIDTH characters do not fit the page width")
        graphics = []
        if shades:
            graphics += [SHADE, *shades, "f"]
        graphics += [INK, *rules, "f"]
        # Heads first, then the listing, the page number last: text extraction reads them in this order.
        return "\n".join([*heads, *ops[:2], *graphics, *body, *ops[2:], *foot]).encode()


@lru_cache(maxsize=64)
def _rgb(colour: str) -> str:
    """'#b00020' as a PDF fill colour operator ('0.690 0.000 0.125 rg'; a grey as '0.067 g')."""
    r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return f"{r:.3f} g" if r == g == b else f"{r:.3f} {g:.3f} {b:.3f} rg"


@lru_cache(maxsize=64)
def _width(font: FontMetrics, text: str, size: float) -> float:
    return font.width(text, size)


@lru_cache(maxsize=16)
def _wrap(text: str, font: FontMetrics, size: float, width: float) -> tuple[str, ...]:
    """`text` broken at spaces into lines no wider than `width` points (a longer word stands alone)."""
    lines, line = [], ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if line and font.width(candidate, size) > width:
            lines.append(line)
            candidate = word
        line = candidate
    return (*lines, line)


def document(front: pdf_flow.Front, pages: Sequence[Page], running: Running, targets: dict[str, int],
             info: dict[str, str], progress: Callable[[int, int], None] | None = None) -> bytes:
    """The whole PDF: the laid-out front pages, then the listing pages, with one set of fonts, the front's
    links (`targets`: anchor -> 0-based page), an outline (the front's bookmarks, then each listing's first
    page) and the document `info` (Title, Author, ...). No dates and no /ID: the same input gives the same bytes.
    """
    writer = PageWriter()
    count = len(front.pages)
    total = count + len(pages)
    report = progress or (lambda done, of: None)
    report(0, total)
    streams = [writer.draw_front(page, n, total, running) for n, page in enumerate(front.pages, start=1)]
    report(count, total)
    for n, page in enumerate(pages, start=1):
        streams.append(writer.draw(page, count + n, total, running))
        if n % 50 == 0:
            report(count + n, total)
    pdf = pydyf.PDF()
    sizes = [(pdf_flow.PAGE_WIDTH, pdf_flow.PAGE_HEIGHT)] * count + [(WIDTH_PT, HEIGHT_PT)] * len(pages)
    references = writer.write(pdf, streams, sizes)
    for page, reference in zip(front.pages, references):
        _add_links(pdf, page, reference, [(r, height) for r, (_w, height) in zip(references, sizes)], targets)
    _append_outline(pdf, [(title, references[n]) for title, n in front.bookmarks] +
                    [(page.toc, reference) for page, reference in zip(pages, references[count:])
                     if not page.continued])
    for key, value in info.items():
        pdf.info[key] = pydyf.String(value)
    output = io.BytesIO()
    pdf.write(output)
    report(total, total)
    return output.getvalue()


def _add_links(pdf: pydyf.PDF, page: pdf_flow.Page, reference: bytes, pages: Sequence[tuple[bytes, float]],
               targets: dict[str, int]) -> None:
    """The front page's links (the contents' lines) as link annotations to the top of their target pages."""
    if not page.links:
        return
    annotations = pydyf.Array()
    height = pdf_flow.PAGE_HEIGHT
    for _kind, x, y, w, h, anchor in page.links:
        target, top = pages[targets[anchor]]
        link = pydyf.Dictionary({"Type": "/Annot", "Subtype": "/Link", "Border": pydyf.Array((0, 0, 0)),
                                 "Rect": pydyf.Array((round(x, 2), round(height - y - h, 2), round(x + w, 2),
                                                      round(height - y, 2))),
                                 "Dest": pydyf.Array((target, "/XYZ", 0, top, 0))})
        pdf.add_object(link)
        annotations.append(link.reference)
    pdf.objects[int(reference.split()[0])]["Annots"] = annotations


def _append_outline(pdf: pydyf.PDF, marks: Sequence[tuple[str, bytes]]) -> None:
    """Add the top-level bookmarks (Cover, Summary, ..., the listings)."""
    if not marks:
        return
    reference = pdf.catalog.get("Outlines")
    if reference is None:
        outlines = pydyf.Dictionary({"Count": 0})
        pdf.add_object(outlines)
        pdf.catalog["Outlines"] = outlines.reference
    else:
        outlines = pdf.objects[int(reference.split()[0])]
    last = pdf.objects[int(outlines["Last"].split()[0])] if "Last" in outlines else None
    for title, page in marks:
        item = pydyf.Dictionary({"Title": pydyf.String(title), "Parent": outlines.reference,
                                 "Dest": pydyf.Array((page, "/XYZ", 0, HEIGHT_PT, 0))})
        pdf.add_object(item)
        if last is None:
            outlines["First"] = item.reference
        else:
            item["Prev"] = last.reference
            last["Next"] = item.reference
        last = item
    outlines["Last"] = last.reference
    outlines["Count"] = outlines.get("Count", 0) + len(marks)
