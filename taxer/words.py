"""Words for counts: '1 warning', '2 warnings', so no message says '1 warnings'."""

from __future__ import annotations

IRREGULAR = {"entry": "entries", "retry": "retries", "is": "are", "has": "have"}


def plural(count: int, one: str, many: str | None = None) -> str:
    """'1 warning', '2 warnings', '1 entry', '3 entries' (`many` for any other irregular word); thousands
    separated ('1,200 rows')."""
    word = one if count == 1 else (many or IRREGULAR.get(one) or one + "s")
    return f"{count:,} {word}"
