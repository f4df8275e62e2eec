"""Reading an exchange's answer about an API key strictly: every value in its documented type, or it is unreadable.

The permission parsers in each exchange module build on these. Nothing here guesses in the key's favour: a flag
that is not a JSON boolean is unreadable, and one that merely looks true ("true", 1) counts as set, so a
withdraw flag written as a string still refuses the key whatever option the user passes.
"""

from __future__ import annotations

from datetime import datetime

from taxer.exchanges.spec import KeyPermissions
from taxer.model import UTC

_MISSING = object()
LOOKS_TRUE = {"true", "1", "yes", "y", "on", "enabled", "t"}
# Words in a permission name taxer does not know that still say it moves funds.
MOVES_FUNDS_WORDS = ("withdraw", "transfer", "wwow", "wtow", "p2pw", "chow", "send", "payout")


def looks_true(value: object) -> bool:
    """A value that is not the boolean True but reads as "yes" (a string "true", the number 1)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    return isinstance(value, str) and value.strip().lower() in LOOKS_TRUE


def says_moves_funds(name: str) -> bool:
    """An unknown permission name that speaks of withdrawing or transferring."""
    lowered = name.lower()
    return any(word in lowered for word in MOVES_FUNDS_WORDS)


class Reading:
    """Collects what an answer says, and what in it could not be read."""

    def __init__(self) -> None:
        self.unreadable: list[str] = []

    def flag(self, answer: dict, name: str, *, required: bool = True) -> bool | None:
        """answer[name] as a JSON boolean. Missing (when required) or another type: unreadable; a value that looks
        true counts as True (never in the key's favour), anything else as None."""
        value = answer.get(name, _MISSING)
        if value is True or value is False:
            return value
        if value is _MISSING:
            if required:
                self.unreadable.append(f"no {name}")
            return None
        self.unreadable.append(f"{name}={value!r} (not true or false)")
        return True if looks_true(value) else None

    def unknown(self, what: str) -> None:
        self.unreadable.append(what)

    def done(self, **fields) -> KeyPermissions:
        return KeyPermissions(unreadable=tuple(self.unreadable), **fields)


def unreadable(what: str, answer: object) -> KeyPermissions:
    """An answer of the wrong shape altogether: nothing about the key can be read from it, except that a name in it
    that speaks of withdrawing or transferring, switched on, still counts (no option lets such a key through)."""
    return KeyPermissions(unreadable=(f"{what}: {shown(answer)}",), detail=f"answered {shown(answer)}",
                          withdraw=True if mentions_moving_funds(answer) else None)


def mentions_moving_funds(answer: object, depth: int = 0) -> bool:
    """Anywhere in an answer: a key speaking of withdrawing/transferring whose value looks true, or such a name
    listed as a string."""
    if depth > 6:
        return False
    if isinstance(answer, dict):
        return any((isinstance(k, str) and says_moves_funds(k) and looks_true(v)) or mentions_moving_funds(v, depth + 1)
                   for k, v in answer.items())
    if isinstance(answer, (list, tuple)):
        return any(mentions_moving_funds(v, depth + 1) for v in answer)
    return isinstance(answer, str) and says_moves_funds(answer)


def any_of(values: list[bool | None]) -> bool | None:
    """True when any says so; else None when any cannot say; else False."""
    if any(v is True for v in values):
        return True
    if any(v is None for v in values):
        return None
    return False


def shown(value: object, limit: int = 160) -> str:
    """An answer as a user can read it in a message, cut short."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def from_ms(value: object) -> datetime | None:
    """A millisecond timestamp (number or digit string) as UTC; None for 0, absent or malformed."""
    return _from(value, 1000)


def from_seconds(value: object) -> datetime | None:
    """A second timestamp (kraken sends digit strings; "0" means none) as UTC."""
    return _from(value, 1)


def _from(value: object, per_second: int) -> datetime | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    if number <= 0:
        return None
    try:
        return datetime.fromtimestamp(number // per_second, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def ip_list(value: object) -> bool | None:
    """An IP allow-list as a list or a comma-separated string: True when it names an address, False when empty,
    None when the answer has no such field or another type."""
    if isinstance(value, str):
        return any(part.strip() for part in value.split(","))
    if isinstance(value, list):
        return any(isinstance(part, str) and part.strip() for part in value)
    return None
