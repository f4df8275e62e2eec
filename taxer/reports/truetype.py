"""Just enough of a TrueType font for the listing pages: its metrics, its character map, and a glyph subset.

fontTools does all this too, but it names every glyph and decompiles the layout tables first: ~50 ms a font
against ~2 ms here, paid by every report. The subset keeps the glyph ids (the PDF text uses them as CIDs) and the
hinting programs, drops every glyph outline not printed, and has no cmap, as a CIDFontType2 font program needs
none (ISO 32000-1, 9.9).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import lru_cache

KEPT = ("head", "hhea", "maxp", "OS/2", "hmtx", "cvt ", "fpgm", "prep")  # with a new loca, glyf and post


class FontFormatError(ValueError):
    """Not a TrueType (glyf) font this module can read."""


@dataclass(frozen=True, eq=False)
class Font:
    data: bytes
    tables: dict[str, tuple[int, int]]   # tag -> (offset, length)
    units: int                           # units per em
    bbox: tuple[int, int, int, int]
    ascent: int
    descent: int
    cap_height: int
    advances: tuple[int, ...]            # by glyph id, font units
    cmap: dict[int, int]                 # code point -> glyph id
    loca: tuple[int, ...]

    def table(self, tag: str) -> bytes:
        offset, length = self.tables[tag]
        return self.data[offset:offset + length]


@lru_cache(maxsize=8)
def read(path: str) -> Font:
    with open(path, "rb") as handle:
        data = handle.read()
    if data[:4] not in (b"\x00\x01\x00\x00", b"true"):
        raise FontFormatError(f"{path} is not a TrueType font")
    (count,) = struct.unpack_from(">H", data, 4)
    tables = {}
    for n in range(count):
        tag, _, offset, length = struct.unpack_from(">4sLLL", data, 12 + 16 * n)
        tables[tag.decode("latin-1")] = (offset, length)
    if "glyf" not in tables or "loca" not in tables:
        raise FontFormatError(f"{path} has no TrueType outlines")

    def at(tag: str) -> int:
        return tables[tag][0]

    units, = struct.unpack_from(">H", data, at("head") + 18)
    bbox = struct.unpack_from(">hhhh", data, at("head") + 36)
    long_loca, = struct.unpack_from(">h", data, at("head") + 50)
    ascent, descent = struct.unpack_from(">hh", data, at("hhea") + 4)
    metrics_count, = struct.unpack_from(">H", data, at("hhea") + 34)
    glyphs, = struct.unpack_from(">H", data, at("maxp") + 4)
    cap_height = ascent
    if "OS/2" in tables and tables["OS/2"][1] >= 90 and struct.unpack_from(">H", data, at("OS/2"))[0] >= 2:
        cap_height, = struct.unpack_from(">h", data, at("OS/2") + 88)
    advances = list(struct.unpack_from(f">{metrics_count * 2}H", data, at("hmtx"))[0::2])
    advances += [advances[-1]] * (glyphs - metrics_count)
    loca = struct.unpack_from(f">{glyphs + 1}{'L' if long_loca else 'H'}", data, at("loca"))
    if not long_loca:
        loca = tuple(2 * v for v in loca)
    return Font(data, tables, units, bbox, ascent, descent, cap_height, tuple(advances), _cmap(data, at("cmap")),
                loca)


def _cmap(data: bytes, base: int) -> dict[int, int]:
    """The Unicode character map (format 12 if the font has one, else format 4)."""
    _, count = struct.unpack_from(">HH", data, base)
    found = {}
    for n in range(count):
        platform, encoding, offset = struct.unpack_from(">HHL", data, base + 4 + 8 * n)
        if (platform, encoding) in ((3, 10), (0, 4), (3, 1), (0, 3)):
            found.setdefault(struct.unpack_from(">H", data, base + offset)[0], base + offset)
    out: dict[int, int] = {}
    if 12 in found:
        at = found[12]
        groups, = struct.unpack_from(">L", data, at + 12)
        for g in range(groups):
            start, end, glyph = struct.unpack_from(">LLL", data, at + 16 + 12 * g)
            out.update(zip(range(start, end + 1), range(glyph, glyph + end - start + 1)))
        return out
    if 4 not in found:
        raise FontFormatError("the font has no Unicode character map")
    at = found[4]
    segments = struct.unpack_from(">H", data, at + 6)[0] // 2
    ends = struct.unpack_from(f">{segments}H", data, at + 14)
    starts = struct.unpack_from(f">{segments}H", data, at + 16 + 2 * segments)
    deltas = struct.unpack_from(f">{segments}h", data, at + 16 + 4 * segments)
    ranges_at = at + 16 + 6 * segments
    ranges = struct.unpack_from(f">{segments}H", data, ranges_at)
    for n, (start, end, delta, offset) in enumerate(zip(starts, ends, deltas, ranges)):
        if start == 0xFFFF:
            continue
        for code in range(start, end + 1):
            if offset == 0:
                glyph = (code + delta) & 0xFFFF
            else:
                glyph, = struct.unpack_from(">H", data, ranges_at + 2 * n + offset + 2 * (code - start))
                glyph = (glyph + delta) & 0xFFFF if glyph else 0
            if glyph:
                out[code] = glyph
    return out


def _components(glyph: bytes) -> list[int]:
    """The glyph ids a composite glyph is made of (none for a simple glyph)."""
    if len(glyph) < 10 or struct.unpack_from(">h", glyph, 0)[0] >= 0:
        return []
    out, at = [], 10
    while True:
        flags, index = struct.unpack_from(">HH", glyph, at)
        out.append(index)
        at += 4 + (4 if flags & 0x0001 else 2)
        at += 2 if flags & 0x0008 else 4 if flags & 0x0040 else 8 if flags & 0x0080 else 0
        if not flags & 0x0020:
            return out


def subset(font: Font, glyphs: set[int]) -> bytes:
    """A font program with the outlines of `glyphs` (and their components) only; glyph ids unchanged."""
    glyf = font.table("glyf")
    keep, todo = {0}, list(glyphs)
    while todo:
        gid = todo.pop()
        if gid in keep or gid + 1 >= len(font.loca):
            continue
        keep.add(gid)
        todo += _components(glyf[font.loca[gid]:font.loca[gid + 1]])
    last = max(keep)
    pieces, offsets, size = [], [], 0
    for gid in range(last + 1):
        offsets.append(size)
        if gid in keep:
            piece = glyf[font.loca[gid]:font.loca[gid + 1]]
            piece += b"\0" * (-len(piece) % 4)
            pieces.append(piece)
            size += len(piece)
    offsets.append(size)
    tables = {tag: font.table(tag) for tag in KEPT if tag in font.tables}
    head = bytearray(tables["head"])
    head[8:12] = b"\0\0\0\0"          # checkSumAdjustment, set below
    head[50:52] = struct.pack(">h", 1)  # long loca offsets
    tables["head"] = bytes(head)
    maxp = bytearray(tables["maxp"])
    maxp[4:6] = struct.pack(">H", last + 1)
    tables["maxp"] = bytes(maxp)
    hhea = bytearray(tables["hhea"])
    hhea[34:36] = struct.pack(">H", last + 1)
    tables["hhea"] = bytes(hhea)
    tables["hmtx"] = b"".join(struct.pack(">Hh", font.advances[g], _lsb(font, g)) for g in range(last + 1))
    tables["loca"] = struct.pack(f">{len(offsets)}L", *offsets)
    tables["glyf"] = b"".join(pieces)
    tables["post"] = struct.pack(">LLhhLLLLL", 0x00030000, 0, 0, 0, 0, 0, 0, 0, 0)  # no glyph names
    return _sfnt(tables)


def _lsb(font: Font, gid: int) -> int:
    hmtx, metrics_count = font.table("hmtx"), struct.unpack_from(">H", font.table("hhea"), 34)[0]
    at = 4 * gid + 2 if gid < metrics_count else 4 * metrics_count + 2 * (gid - metrics_count)
    return struct.unpack_from(">h", hmtx, at)[0]


def _checksum(data: bytes) -> int:
    data += b"\0" * (-len(data) % 4)
    return sum(struct.unpack(f">{len(data) // 4}L", data)) & 0xFFFFFFFF


def _sfnt(tables: dict[str, bytes]) -> bytes:
    tags = sorted(tables)
    power = 1 << (len(tags).bit_length() - 1)
    header = struct.pack(">LHHHH", 0x00010000, len(tags), power * 16, power.bit_length() - 1,
                         len(tags) * 16 - power * 16)
    offset = len(header) + 16 * len(tags)
    records, bodies = [], []
    for tag in tags:
        body = tables[tag]
        records.append(struct.pack(">4sLLL", tag.encode("latin-1"), _checksum(body), offset, len(body)))
        body += b"\0" * (-len(body) % 4)
        bodies.append(body)
        offset += len(body)
    font = bytearray(header + b"".join(records) + b"".join(bodies))
    head_at = len(header) + 16 * tags.index("head")
    head_offset, = struct.unpack_from(">L", font, head_at + 8)
    font[head_offset + 8:head_offset + 12] = struct.pack(">L", (0xB1B0AFBA - _checksum(bytes(font))) & 0xFFFFFFFF)
    return bytes(font)
