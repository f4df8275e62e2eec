"""US basis from 2025 per wallet or account (Treas. Reg. 1.1012-1(j), Rev. Proc. 2024-28): where each lot is.

Up to 2024 a universal pool per asset decided which lot a sale used, wherever the coins sat; from 1 January 2025
basis is tracked per wallet or account. The lots left in the universal pool must then be given to the accounts
that hold the units. Two ways, both here:

* by default, each lot goes to the account whose history holds it: `Whereabouts` follows the units through the
  ledger (acquired in an account, leaving it oldest first, which is the rule for units not specifically
  identified, Treas. Reg. 1.1012-1(j)(3)(ii), and moving with transfers), so the split knows which lots' units
  sat in which account on 1 January 2025;
* the safe-harbor allocation of Rev. Proc. 2024-28 section 5.02, an explicit election (`SafeHarbor`): specific
  units per account (`SpecificUnits`), or a global rule that orders the lots and fills the accounts in a stated
  order. It must be made before the first sale, disposition or transfer of 2025 (section 5.02(4)); a later one
  is still applied, with a warning.

`snapshot_rows` gives the 31 December 2024 holdings per account as rows for allocation_2025.csv.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from heapq import heappop, heappush
from typing import TYPE_CHECKING, Any

from taxer.engine.exact import ZERO, ratio
from taxer.engine.taxyear import zone
from taxer.errors import ConfigError

if TYPE_CHECKING:
    from taxer.engine.methods import LotKey
    from taxer.engine.pools import OpenLot
    from taxer.engine.records import Lot

OLDEST_FIRST = "oldest_first"
HIGHEST_COST_FIRST = "highest_cost_first"
LOWEST_COST_FIRST = "lowest_cost_first"
GLOBAL_RULES = (OLDEST_FIRST, HIGHEST_COST_FIRST, LOWEST_COST_FIRST)


@dataclass(frozen=True, slots=True)
class SpecificUnits:
    """`amount` units of `asset` from the lot acquired by transaction `acquire_tx_id`, allocated to `account`."""

    account: str
    asset: str
    acquire_tx_id: int | None
    amount: Decimal


@dataclass(frozen=True)
class SafeHarbor:
    """A Rev. Proc. 2024-28 safe-harbor allocation of the unused basis to the accounts on 1 January 2025.

    Either `units` (a specific allocation: which lots' units each account holds) or `rule` (a global
    allocation: lots ordered by the rule, oldest first or by unit cost, fill the accounts in `account_order`,
    then the others in name order, each up to the units it holds). `recorded_on` is the date the election was
    recorded; it belongs before the first 2025 disposal.
    """

    units: tuple[SpecificUnits, ...] = ()
    rule: str | None = None
    account_order: tuple[str, ...] = ()
    recorded_on: date | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "units", tuple(self.units))
        object.__setattr__(self, "account_order", tuple(self.account_order))
        if bool(self.units) == (self.rule is not None):
            raise ConfigError("a safe-harbor allocation (Rev. Proc. 2024-28) is either specific units per account "
                              "or one global rule, not both nor neither")
        if self.rule is not None and self.rule not in GLOBAL_RULES:
            raise ConfigError(f"unknown safe-harbor rule {self.rule!r}: use one of {', '.join(GLOBAL_RULES)}")
        for u in self.units:
            if not isinstance(u.amount, Decimal) or u.amount <= 0:
                raise ConfigError(f"safe-harbor units for {u.account!r} {u.asset}: the amount must be a positive "
                                  f"Decimal, not {u.amount!r}")

    def describe(self) -> str:
        """The election in one sentence, for the methodology page."""
        if self.rule is not None:
            order = ", ".join(self.account_order) or "account name order"
            text = f"global allocation, lots {self.rule.replace('_', ' ')} to accounts in order: {order}"
        else:
            text = f"specific allocation of {len(self.units)} lot portions to accounts"
        when = f", recorded {self.recorded_on.isoformat()}" if self.recorded_on else ""
        return f"Rev. Proc. 2024-28 safe harbor: {text}{when}"


def rule_key(rule: str) -> Callable[[OpenLot], LotKey]:
    """The order a global rule gives lots (smallest key first); `lot` has t, seq, cost, amount."""
    if rule == OLDEST_FIRST:
        return lambda lot: (lot.t, lot.seq)
    sign = -1 if rule == HIGHEST_COST_FIRST else 1
    return lambda lot: (sign * (ratio(lot.cost, lot.amount) if lot.amount else lot.cost), lot.t, lot.seq)


class Whereabouts:
    """Which lots' units each account holds, followed through the ledger while one universal pool is in use.

    Per (account, asset) a heap of [t, seq, amount] fragments: coins leave an account oldest first (Treas. Reg.
    1.1012-1(j)(3)(ii)), and a transfer moves those fragments, acquisition time kept, to the receiving account.
    """

    __slots__ = ("_held",)

    def __init__(self) -> None:
        # [t, seq, amount] lists (not tuples: a partial take lowers the amount in place), hence Any
        self._held: dict[tuple[str, str], list[list[Any]]] = {}

    def add(self, account: str, asset: str, t: int, seq: int, amount: Decimal) -> None:
        """Units of lot `seq` (acquired at `t`) arrive in `account`."""
        heap = self._held.get((account, asset))
        if heap is None:
            heap = self._held[(account, asset)] = []
        heappush(heap, [t, seq, amount])

    def take(self, account: str, asset: str, amount: Decimal) -> list[tuple[int, int, Decimal]]:
        """Remove `amount` units from `account`, oldest first: the (t, seq, amount) fragments taken."""
        heap = self._held.get((account, asset))
        taken: list[tuple[int, int, Decimal]] = []
        while amount > 0 and heap:
            top = heap[0]
            if top[2] <= amount:
                heappop(heap)
                taken.append((top[0], top[1], top[2]))
                amount -= top[2]
            else:
                top[2] -= amount
                taken.append((top[0], top[1], amount))
                amount = ZERO
        return taken

    def move(self, source: str, target: str, asset: str, amount: Decimal) -> None:
        """A transfer: `amount` units leave `source` oldest first and arrive in `target`."""
        for t, seq, part in self.take(source, asset, amount):
            self.add(target, asset, t, seq, part)

    def held(self, asset: str) -> dict[str, dict[int, Decimal]]:
        """Per account, the units of each lot (by seq) it holds of `asset`."""
        out: dict[str, dict[int, Decimal]] = {}
        for (account, a), heap in self._held.items():
            if a != asset:
                continue
            by_seq = out.setdefault(account, {})
            for _, seq, amount in heap:
                if amount > 0:
                    by_seq[seq] = by_seq.get(seq, ZERO) + amount
        return out


SNAPSHOT_HEADER = ("account", "asset", "amount", "date_acquired", "cost_basis", "acquisition_tx_id", "flags")


def snapshot_rows(lots: Iterable[Lot], timezone: str = "UTC") -> list[tuple[str, ...]]:
    """allocation_2025.csv rows: the per-account holdings at the end of 31 December 2024 (Result.allocation_2025),
    one row per lot portion, exact quantities and basis, acquisition dates in `timezone`, sorted by account, asset
    and acquisition."""
    tz = zone(timezone)
    rows: list[tuple[str, ...]] = []
    for lot in sorted(lots, key=lambda lot: (lot.account, lot.asset, lot.acquired_at, lot.acquire_tx_id or 0)):
        rows.append((lot.account, lot.asset, _plain(lot.amount), lot.acquired_at.astimezone(tz).date().isoformat(),
                     _plain(lot.cost_basis), "" if lot.acquire_tx_id is None else str(lot.acquire_tx_id),
                     "basis_missing" if lot.basis_missing else ""))
    return rows


def _plain(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text
