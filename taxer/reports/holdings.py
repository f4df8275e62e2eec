"""The year-end holdings summed per asset and overall: quantity, cost basis, market value, unrealized gain.

A market value (and so an unrealized gain) is known for an asset only when every one of its lots has a year-end
price; the overall value sums the assets valued and says how many are not."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, localcontext

from taxer.money import WIDE, money, quantity

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class AssetHolding:
    asset: str
    amount: Decimal
    lots: int
    cost_basis: Decimal
    market_value: Decimal | None       # None: a lot of it has no year-end price
    unrealized_gain: Decimal | None


@dataclass(frozen=True)
class HoldingsTotal:
    assets: tuple[AssetHolding, ...]
    cost_basis: Decimal
    market_value: Decimal              # of the assets valued
    unrealized_gain: Decimal           # of the assets valued
    unvalued: tuple[str, ...]          # assets without a market value

    def as_json(self) -> dict:
        """summary.json's `holdings`: money as decimal strings, null where no value is known."""
        def opt(v: Decimal | None) -> str | None:
            return None if v is None else money(v)
        return {"cost_basis": money(self.cost_basis), "market_value": money(self.market_value),
                "unrealized_gain": money(self.unrealized_gain), "assets_without_value": list(self.unvalued),
                "assets": [{"asset": a.asset, "quantity": quantity(a.amount), "lots": a.lots,
                            "cost_basis": money(a.cost_basis), "market_value": opt(a.market_value),
                            "unrealized_gain": opt(a.unrealized_gain)} for a in self.assets]}


def totals(holdings: Iterable) -> HoldingsTotal:
    """Per asset (alphabetical) and overall, from the view's holding lines (summed exactly, in a wide context)."""
    with localcontext(WIDE):
        return _totals(holdings)


def _totals(holdings: Iterable) -> HoldingsTotal:
    by_asset: dict[str, list] = {}
    for h in holdings:
        by_asset.setdefault(h.asset, []).append(h)
    assets = []
    for asset, lots in sorted(by_asset.items()):
        basis = sum((h.cost_basis for h in lots), ZERO)
        valued = all(h.market_value is not None for h in lots)
        value = sum((h.market_value for h in lots), ZERO) if valued else None
        assets.append(AssetHolding(asset, sum((h.amount for h in lots), Decimal(0)), len(lots), basis, value,
                                   None if value is None else value - basis))
    known = [a for a in assets if a.market_value is not None]
    return HoldingsTotal(tuple(assets), sum((a.cost_basis for a in assets), ZERO),
                         sum((a.market_value for a in known), ZERO),
                         sum((a.unrealized_gain for a in known), ZERO),
                         tuple(a.asset for a in assets if a.market_value is None))
