"""The front pages with WeasyPrint: laying out the HTML and writing the PDF, reproducibly and without delay.

Importing WeasyPrint costs ~0.5 s, half of it cffi asking `ctypes.util.find_library` (which runs ldconfig and
gcc in subprocesses) about each library name WeasyPrint tries before the one that loads; see _quick_libraries.
"""

from __future__ import annotations

import ctypes.util
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# The 'modified' date written into each embedded font: fixed, so the bytes never carry the time of the run.
FONT_EPOCH = "0"


@contextmanager
def _quick_libraries() -> Iterator[None]:
    """On Linux, let a library name that dlopen cannot load fail at once instead of searching for it.

    WeasyPrint tries e.g. 'libgobject-2.0-0' before 'libgobject-2.0.so.0'; for each miss cffi falls back to
    ctypes.util.find_library, which spawns ldconfig (and gcc) to look, ~40 ms each. dlopen itself searches the
    same system paths, so the sonames that follow still load.
    """
    if not sys.platform.startswith("linux") or "weasyprint" in sys.modules:
        yield
        return
    original = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        yield
    finally:
        ctypes.util.find_library = original


def layout(html: str, base_url: str):
    """WeasyPrint's laid-out document of `html` (pages, anchors); no PDF is written yet."""
    with _quick_libraries():
        from weasyprint import HTML

    return HTML(string=html, base_url=base_url).render()


def write(document, finisher: Callable | None = None) -> bytes:
    """The laid-out `document` as PDF bytes; `finisher(document, pdf)` may add to the PDF before it is written."""
    # The HTML sets no created/modified dates and no pdf_identifier is asked for, so the PDF has no dates
    # and no /ID; the fonts' own timestamp is pinned here.
    with _fixed_font_timestamps():
        return document.write_pdf(finisher=finisher)


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
