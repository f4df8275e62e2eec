"""What a kraken ledger entry is, by its type and subtype: one rule for the Ledgers API and the ledgers.csv export.

Both carry the same entries with the same ids (`refid` of the deposit or withdrawal, `txid` of the entry), so a
file and a sync of one account must read an entry alike or the ledger holds it twice. Kraken's "How to interpret
Ledger history fields" (https://support.kraken.com/hc/en-us/articles/360001169383) names the types: `deposit`
(including KFEE fee credits granted), `withdrawal`, `staking` (rewards), `earn` (rewards, allocations),
`transfer` (airdrops and forks, or moves between kraken's own wallets with a subtype such as spottostaking),
`invite bonus`, `trade`/`spend`/`receive`.
"""

from __future__ import annotations

from decimal import Decimal

KFEE = "KFEE"   # kraken fee credits
# (type, subtype), lower-cased, that are income, and their label.
INCOME = {("earn", "reward"): "staking", ("earn", "airdrop"): "airdrop", ("transfer", "airdrop"): "airdrop",
          ("staking", ""): "staking", ("invite bonus", ""): "reward", ("dividend", ""): "reward",
          ("reward", ""): "reward", ("airdrop", ""): "airdrop"}


def income_label(kind: str, subtype: str, asset: str, amount: Decimal) -> str | None:
    """The income label of a ledger entry (type, subtype, kraken's asset id, signed amount), or None."""
    kind, subtype = kind.strip().lower(), subtype.strip().lower()
    label = INCOME.get((kind, subtype))
    if label is None and kind == "deposit" and asset.strip().upper() == KFEE:
        label = "airdrop"   # a grant of fee credits (BittyTax books it so)
    if label is None and kind == "transfer" and not subtype and amount > 0:
        label = "airdrop"   # how kraken credited airdrops and forks before it had subtypes (FLR)
    return label


def funding(kind: str, amount: Decimal) -> tuple[str, bool] | None:
    """(direction, reversed) of a deposit or withdrawal entry, else None. The coins move as the sign says: a
    negative deposit takes back a failed deposit, a positive withdrawal returns a failed one (BittyTax books them
    so). The record's external id is `<direction>:<refid>`, the id ccxt gave DepositStatus/WithdrawStatus rows."""
    kind = kind.strip().lower()
    if kind not in ("deposit", "withdrawal") or amount == 0:
        return None
    direction = "deposit" if amount > 0 else "withdrawal"
    return direction, direction != kind
