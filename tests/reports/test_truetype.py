"""The listing pages' own TrueType reading and subsetting, checked against fontTools' reading of the same files."""

from __future__ import annotations

import io

import pytest
from fontTools.ttLib import TTFont

from taxer.reports import truetype
from taxer.reports.pdf_fonts import font_file


@pytest.fixture(scope="module", params=[("DejaVu Sans Mono", False), ("DejaVu Sans", True)])
def path(request):
    return font_file(*request.param)


def test_character_map_and_advances_match_fonttools(path):
    font, reference = truetype.read(path), TTFont(path)
    order = {name: n for n, name in enumerate(reference.getGlyphOrder())}
    assert font.cmap == {code: order[name] for code, name in reference.getBestCmap().items()}
    assert font.advances == tuple(reference["hmtx"][name][0] for name in reference.getGlyphOrder())
    assert font.units == reference["head"].unitsPerEm


def test_a_subset_keeps_the_glyph_ids_outlines_and_components(path):
    font = truetype.read(path)
    wanted = {font.cmap[ord(c)] for c in "Az09 Ä"}
    sub = TTFont(io.BytesIO(truetype.subset(font, wanted)))
    reference = TTFont(path)
    names = reference.getGlyphOrder()
    glyf, original = sub["glyf"], reference["glyf"]
    for gid in wanted:
        kept = glyf[sub.getGlyphOrder()[gid]]
        assert kept.numberOfContours == original[names[gid]].numberOfContours
    a_umlaut = original[names[font.cmap[ord("Ä")]]]
    if a_umlaut.isComposite():  # its parts came along
        for component in a_umlaut.components:
            assert glyf[sub.getGlyphOrder()[reference.getGlyphID(component.glyphName)]].numberOfContours != 0
    unused = font.cmap[ord("B")]
    assert glyf[sub.getGlyphOrder()[unused]].numberOfContours == 0  # not printed, no outline
    assert sub["hmtx"][sub.getGlyphOrder()[unused]][0] == reference["hmtx"][names[unused]][0]
