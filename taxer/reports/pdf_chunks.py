"""HTML to PDF bytes with WeasyPrint, in this process or in a pool of worker processes, and merging the parts.

Workers are forked from a 'forkserver' process that has imported WeasyPrint (see _context): each holds only its
own chunk's layout, never the parent's view or the other chunks.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from multiprocessing import get_context

# The 'modified' date written into each embedded font: fixed, so the bytes never carry the time of the run.
FONT_EPOCH = "0"


class PageCountError(RuntimeError):
    """WeasyPrint made another number of pages than planned, which would break the page numbers (a layout bug)."""


def layout(html: str, base_url: str):
    """WeasyPrint's laid-out document of `html` (pages, anchors); no PDF is written."""
    from weasyprint import HTML

    return HTML(string=html, base_url=base_url).render()


def render_html(html: str, base_url: str, expected_pages: int) -> bytes:
    """`html` as PDF bytes; fails unless it lays out to exactly `expected_pages` pages."""
    document = layout(html, base_url)
    if len(document.pages) != expected_pages:
        raise PageCountError(f"a part of report.pdf laid out to {len(document.pages)} pages instead of "
                             f"{expected_pages}: pdf_listing.PAGE_LINES or WIDTH does not fit report.css")
    # The HTML sets no created/modified dates and no pdf_identifier is asked for, so the PDF has no dates
    # and no /ID; the fonts' own timestamp is pinned here.
    with _fixed_font_timestamps():
        return document.write_pdf()


@contextmanager
def _fixed_font_timestamps() -> Iterator[None]:
    """Pin the 'modified' date fontTools writes into each subset font (otherwise the clock).

    WeasyPrint subsets fonts with fontTools when the HarfBuzz-Subset library is missing; fontTools reads
    SOURCE_DATE_EPOCH (reproducible-builds.org) instead of the clock when it is set.
    """
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = FONT_EPOCH
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


def render_parallel(jobs: Sequence[tuple[str, int]], base_url: str, workers: int,
                    done: Callable[[int], None] | None = None,
                    meanwhile: Callable[[], None] | None = None) -> list[bytes]:
    """Each (html, expected_pages) job as PDF bytes, in job order; `done(pages)` as each one finishes.

    With `workers` > 1 the jobs go to a process pool and `meanwhile` runs here while they render. Otherwise, or
    when the pool cannot start (e.g. a main script read from stdin that workers cannot import), they are
    rendered here one after another. Either way a process holds one chunk's layout at a time.
    """
    results: list[bytes | None] = [None] * len(jobs)
    if workers > 1:
        try:
            with ProcessPoolExecutor(max_workers=workers, mp_context=_context()) as pool:
                futures = {pool.submit(render_html, html, base_url, pages): n
                           for n, (html, pages) in enumerate(jobs)}
                try:
                    if meanwhile is not None:
                        meanwhile()
                        meanwhile = None
                    for future in as_completed(futures):
                        n = futures[future]
                        results[n] = future.result()
                        if done is not None:
                            done(jobs[n][1])
                except BaseException:
                    for future in futures:  # do not wait for the queued chunks of a failed render
                        future.cancel()
                    raise
        except BrokenProcessPool:
            pass  # render what is missing below
    if meanwhile is not None:
        meanwhile()
    for n, (html, pages) in enumerate(jobs):
        if results[n] is None:
            results[n] = render_html(html, base_url, pages)
            if done is not None:
                done(pages)
    return [r for r in results if r is not None]


def _context():
    """A 'forkserver' context whose server has imported WeasyPrint: each worker is a fresh fork of it.

    Workers start in a fraction of a second and share the imported code, yet never inherit this process's
    memory (the view, the other chunks). The server is started once per process and reused by later renders.
    """
    context = get_context("forkserver")
    context.set_forkserver_preload(["__main__", "taxer.reports.pdf_chunks", "weasyprint"])
    return context


def merge(parts: Sequence[bytes]) -> bytes:
    """The parts as one PDF, in order, with their bookmarks and the first part's document information."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    first = None
    for number, data in enumerate(parts):
        reader = PdfReader(io.BytesIO(data))
        first = first or reader
        if number:
            _retag_fonts(reader, number)
        writer.append(reader)
    if first is not None and first.metadata:
        writer.add_metadata(dict(first.metadata))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _retag_fonts(reader, part: int) -> None:
    """Give the subset fonts of part `part` tags of their own ("XKQQSR+DejaVu-Sans" -> "QWERTY+DejaVu-Sans").

    Every part subsets the same fonts under the same tag, but to other glyphs; within one file different subsets
    must have different tags (ISO 32000-1, 9.6.4), or a viewer that caches fonts by name may miss glyphs.
    """
    from pypdf.generic import NameObject

    def retag(holder, key: str) -> None:
        name = str(holder.get(key, ""))
        if len(name) > 8 and name[7] == "+":
            digest = hashlib.sha256(f"{name[1:7]}:{part}".encode()).digest()
            holder[NameObject(key)] = NameObject("/" + "".join(chr(65 + b % 26) for b in digest[:6]) + name[7:])

    seen: set[int] = set()
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            if id(font) in seen:
                continue
            seen.add(id(font))
            retag(font, "/BaseFont")
            for descendant in font.get("/DescendantFonts", []):
                descendant = descendant.get_object()
                retag(descendant, "/BaseFont")
                if "/FontDescriptor" in descendant:
                    retag(descendant["/FontDescriptor"].get_object(), "/FontName")
