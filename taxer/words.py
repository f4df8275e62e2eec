"""Counts and identifiers as people read them: '1 warning', '2 warnings' (never '1 warnings'); a TIN masked."""

from __future__ import annotations

IRREGULAR = {"entry": "entries", "retry": "retries", "is": "are", "has": "have"}


def plural(count: int, one: str, many: str | None = None) -> str:
    """'1 warning', '2 warnings', '1 entry', '3 entries' (`many` for any other irregular word)."""
    word = one if count == 1 else (many or IRREGULAR.get(one) or one + "s")
    return f"{count} {word}"


def mask_tin(tin: str | None) -> str | None:
    """A TIN as reports print it: only its last four digits ('***-**-6789'; another country's number as
    '*******6789'). Reports never hold the whole number."""
    if not tin:
        return None
    plain = "".join(c for c in tin if c.isalnum())
    if len(plain) == 9 and plain.isdigit():
        return f"***-**-{plain[-4:]}"
    return "*" * (len(plain) - 4) + plain[-4:]
