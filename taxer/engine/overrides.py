"""Decisions about the ledger that the transactions themselves cannot carry, handed to the engine as data.

They come from the user's corrections (`taxer.corrections`): a transfer the matcher could not pair, a pair it
must not make, a withdrawal to the user's own wallet outside the ledger, the cost basis of a deposit of unknown
origin. Keys are ledger transaction ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class SuppliedBasis:
    """The cost (in the report currency) and acquisition time of coins that arrived from outside."""

    cost: Decimal
    acquired_at: datetime


@dataclass(frozen=True)
class Overrides:
    """`pairs`: withdrawal id -> deposit id, a transfer whatever the matcher would say; `unpaired`: ids the
    matcher leaves alone; `own_wallet`: withdrawals to the user's own wallet outside the ledger (the coins leave
    the books without a warning); `basis`: deposit id -> the basis supplied for what it brought in."""

    pairs: Mapping[int, int] = field(default_factory=dict)
    unpaired: frozenset[int] = frozenset()
    own_wallet: frozenset[int] = frozenset()
    basis: Mapping[int, SuppliedBasis] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pairs", MappingProxyType(dict(self.pairs)))
        object.__setattr__(self, "basis", MappingProxyType(dict(self.basis)))
        object.__setattr__(self, "unpaired", frozenset(self.unpaired))
        object.__setattr__(self, "own_wallet", frozenset(self.own_wallet))


NONE = Overrides()
