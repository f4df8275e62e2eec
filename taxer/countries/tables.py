"""Rate tables that run forward, and the other disposals a country's totals count.

A table of enacted amounts (exempt amounts, inclusion rates, limits) ends with the last year someone checked the
law; a later year takes the value last enacted, as the statute keeps it in force until amended, and says so in a
note (`rate_note`), so a report of a year nobody has checked yet is never silently wrong and never empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

TRANSFER_FEE = "transfer_fee"
GIFTS = ("gift", "gift_spouse", "donation")


@dataclass(frozen=True)
class Table:
    """Values by tax year (the year the tax year starts in), each in force from its year until the next one.

    `checked_through` is the last tax year the law was checked for; `law` cites what enacted the last value.
    """

    name: str
    values: Mapping[int, Any]
    checked_through: int
    law: str

    def value(self, year: int) -> Any:
        """The value in force in tax year `year` (before the first entry: the first)."""
        known = sorted(self.values)
        current = self.values[known[0]]
        for start in known:
            if start <= year:
                current = self.values[start]
        return current

    def note(self, year: int, label: str | None = None) -> str | None:
        """A note when `year` is past the years checked: the value used and the act it rests on."""
        if year <= self.checked_through:
            return None
        return (f"{self.name} for {label or year} is taken as {self.value(year)}, the amount last enacted "
                f"({self.law}); taxer's tables were checked through {self.checked_through}: confirm no later act "
                "changed it.")


def rate_note(*notes: str | None) -> str | None:
    """The notes of a year's tables joined into one (None when every table was checked for that year)."""
    found = [n for n in notes if n]
    return " ".join(found) if found else None


def counted(other: Iterable[Any], categories: Iterable[str]) -> list[Any]:
    """The other-disposal lines of `categories` (their gains are the country's disposals)."""
    wanted = set(categories)
    return [o for o in other if o.category in wanted]


def sold_on(line: Any) -> str:
    """The local disposal date of a sale line (date_sold) or an other-disposal line (date_disposed)."""
    day: str = getattr(line, "date_sold", None) or line.date_disposed
    return day
