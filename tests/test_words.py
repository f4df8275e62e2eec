"""Counts and identifiers as people read them; and no message of taxer's says '1 warnings'."""

from __future__ import annotations

import re
from pathlib import Path

from taxer.words import mask_tin, plural

ROOT = Path(__file__).resolve().parents[1]


def test_plural():
    assert [plural(n, "warning") for n in (0, 1, 2)] == ["0 warnings", "1 warning", "2 warnings"]
    assert plural(1, "retry") == "1 retry" and plural(3, "retry") == "3 retries"
    assert plural(2, "unknown origin warning") == "2 unknown origin warnings"


def test_mask_tin_keeps_only_the_last_four():
    assert mask_tin("123-45-6789") == "***-**-6789" == mask_tin("123456789") == mask_tin("12-3456789")
    assert mask_tin("AB123456C") == "*****456C" and mask_tin(None) is None and mask_tin("") is None


def test_no_count_is_printed_before_a_fixed_plural():
    """A count in an f-string followed by a plural noun must go through plural() (or say why not)."""
    pattern = re.compile(r"\{(?:len\([^)]*\)|[a-z_.]*(?:count|total|lines|rows|n))\} (?:warnings|lots|lines|rows|"
                         r"transactions|corrections|disposals|events|pieces|accounts|days)\b")
    found = [f"{p.relative_to(ROOT)}:{n}" for p in (ROOT / "taxer").rglob("*.py")
             for n, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert not found, found
