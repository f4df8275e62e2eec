"""TrueType fonts for the directly written pages: found by fontconfig, subset, embedded as Type 0 fonts.

Each font is embedded as a CID font whose CIDs are the glyph ids (Identity-H, retained glyph ids), with a
ToUnicode map so the text can be extracted and searched. The pages are set glyph by glyph, so no layout table
(GSUB, GPOS) is needed: truetype reads and subsets the font in a few milliseconds.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import struct
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pydyf

from taxer.errors import TaxerError
from taxer.reports import truetype


class FontMissingError(TaxerError):
    """A font the report names is not installed (or is not a TrueType font), or fontconfig is missing."""


@lru_cache(maxsize=1)
def _fontconfig() -> ctypes.CDLL:
    """The system's fontconfig library (the one every Linux desktop and WeasyPrint use), loaded once."""
    name = ctypes.util.find_library("fontconfig") if not sys.platform.startswith("linux") else "libfontconfig.so.1"
    try:
        lib = ctypes.CDLL(name or "libfontconfig.so.1")
    except OSError:
        raise FontMissingError("report.pdf needs the fontconfig library to find its fonts: install it "
                               "(Debian: apt-get install libfontconfig1 fonts-dejavu-core)") from None
    lib.FcPatternCreate.restype = ctypes.c_void_p
    lib.FcPatternAddString.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
    lib.FcConfigSubstitute.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
    lib.FcDefaultSubstitute.argtypes = [ctypes.c_void_p]
    lib.FcFontMatch.restype = ctypes.c_void_p
    lib.FcFontMatch.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_int)]
    lib.FcPatternGetString.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int,
                                       ctypes.POINTER(ctypes.c_char_p)]
    lib.FcPatternDestroy.argtypes = [ctypes.c_void_p]
    return lib


def font_file(family: str, bold: bool = False) -> str:
    """The file fontconfig picks for `family` (what a desktop or a browser would use for that name)."""
    fc = _fontconfig()
    pattern = fc.FcPatternCreate()
    try:
        fc.FcPatternAddString(pattern, b"family", family.encode())
        fc.FcPatternAddString(pattern, b"style", b"Bold" if bold else b"Book")
        fc.FcConfigSubstitute(None, pattern, 0)  # FcMatchPattern
        fc.FcDefaultSubstitute(pattern)
        result = ctypes.c_int()
        match = fc.FcFontMatch(None, pattern, ctypes.byref(result))
        if not match:
            raise FontMissingError(f"no font found for {family!r}: install the DejaVu fonts "
                                   "(Debian: apt-get install fonts-dejavu-core)")
        try:
            path = ctypes.c_char_p()
            if fc.FcPatternGetString(match, b"file", 0, ctypes.byref(path)) != 0 or not path.value:
                raise FontMissingError(f"fontconfig names no file for {family!r}: install the DejaVu fonts")
            return path.value.decode()
        finally:
            fc.FcPatternDestroy(match)
    finally:
        fc.FcPatternDestroy(pattern)


@dataclass(frozen=True, eq=False)  # hashed by identity: one per font file and process (metrics() caches it)
class FontMetrics:
    """What laying out text needs of a font: glyph ids and advance widths (1/1000 em) by character."""

    path: str
    gids: dict[int, int]        # code point -> glyph id
    widths: dict[int, int]      # glyph id -> advance, 1/1000 em
    ascent: int
    descent: int
    cap_height: int
    bbox: tuple[int, int, int, int]
    name: str

    def baseline(self, top: float, size: float, leading: float) -> float:
        """Where CSS puts the baseline in a line box `leading` points high whose top is at `top` (half the
        leading above the font's ascent-to-descent height)."""
        return top + (leading - (self.ascent - self.descent) * size / 1000) / 2 + self.ascent * size / 1000

    def width(self, text: str, size: float) -> float:
        """The advance of `text` at `size` points."""
        gids, widths = self.gids, self.widths
        return sum(widths.get(gids.get(ord(c), 0), 0) for c in text) * size / 1000


@lru_cache(maxsize=8)
def metrics(path: str) -> FontMetrics:
    """The font's character map and advance widths, read once per process."""
    try:
        font = truetype.read(path)
    except (truetype.FontFormatError, OSError, struct.error) as exc:
        raise FontMissingError(f"{path}: {exc}") from None
    scale = 1000 / font.units
    name = Path(path).stem
    return FontMetrics(path, font.cmap, {g: round(a * scale) for g, a in enumerate(font.advances)},
                       round(font.ascent * scale), round(font.descent * scale), round(font.cap_height * scale),
                       tuple(round(v * scale) for v in font.bbox), "".join(c for c in name if c.isalnum() or c == "-"))


@dataclass
class EmbeddedFont:
    """A font used on the listing pages: which characters it printed, then its PDF objects."""

    metrics: FontMetrics
    resource: str                          # "/L1": its name in the pages' resources
    used: set[str] = field(default_factory=set)

    def hex(self, text: str) -> str:
        """`text` as a PDF hex string of 2-byte glyph ids (Identity-H); notes the characters used."""
        self.used.update(text)
        return "<" + text.translate(_hex_table(self.metrics.path)) + ">"

    def embed(self, pdf: pydyf.PDF) -> dict:
        """Add the subset font program and its descendants to `pdf`; the Type 0 font dictionary's entries."""
        m = self.metrics
        gids = {m.gids.get(ord(c), 0): c for c in sorted(self.used)}
        gids.setdefault(0, "")
        program = _subset(m.path, tuple(sorted(gids)))
        # The subset tag is a function of the glyphs kept: the same report gives the same bytes.
        digest = hashlib.sha256(repr((m.name, sorted(gids))).encode()).digest()
        base = "/" + "".join(chr(65 + b % 26) for b in digest[:6]) + "+" + m.name
        file = pydyf.Stream([program], pydyf.Dictionary({"Length1": len(program)}), compress=True)
        pdf.add_object(file)
        descriptor = pydyf.Dictionary({
            "Type": "/FontDescriptor", "FontName": base, "Flags": 4,
            "FontBBox": pydyf.Array(m.bbox), "ItalicAngle": 0, "Ascent": m.ascent, "Descent": m.descent,
            "CapHeight": m.cap_height, "StemV": 80, "FontFile2": file.reference})
        pdf.add_object(descriptor)
        widths = pydyf.Array()
        for gid in sorted(gids):
            widths.extend((gid, pydyf.Array((m.widths.get(gid, 0),))))
        cid = pydyf.Dictionary({
            "Type": "/Font", "Subtype": "/CIDFontType2", "BaseFont": base,
            "CIDSystemInfo": pydyf.Dictionary({"Registry": pydyf.String("Adobe"),
                                               "Ordering": pydyf.String("Identity"), "Supplement": 0}),
            "FontDescriptor": descriptor.reference, "W": widths, "CIDToGIDMap": "/Identity"})
        pdf.add_object(cid)
        to_unicode = pydyf.Stream([_cmap(gids)], compress=True)
        pdf.add_object(to_unicode)
        return {"Type": "/Font", "Subtype": "/Type0", "BaseFont": base, "Encoding": "/Identity-H",
                "DescendantFonts": pydyf.Array((cid.reference,)), "ToUnicode": to_unicode.reference}


@lru_cache(maxsize=8)
def _hex_table(path: str) -> dict[int, str]:
    """str.translate table: code point -> the glyph id as 4 hex digits (characters not in it: glyph 0)."""
    table = {code: f"{gid:04X}" for code, gid in metrics(path).gids.items() if code < 0x110000}
    return _Missing(table)


class _Missing(dict):
    def __missing__(self, code: int) -> str:
        return "0000"


def _cmap(gids: dict[int, str]) -> bytes:
    """A ToUnicode CMap: each glyph id to the character it printed."""
    lines = ["/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
             "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
             "/CMapName /Adobe-Identity-UCS def", "/CMapType 2 def",
             "1 begincodespacerange", "<0000> <FFFF>", "endcodespacerange"]
    pairs = [(gid, char) for gid, char in sorted(gids.items()) if char]
    for at in range(0, len(pairs), 100):
        chunk = pairs[at:at + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines += [f"<{gid:04X}> <{char.encode('utf-16-be').hex().upper()}>" for gid, char in chunk]
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode()


def _subset(path: str, gids: tuple[int, ...]) -> bytes:
    """The font program with only `gids` (glyph ids retained)."""
    return truetype.subset(truetype.read(path), set(gids))
