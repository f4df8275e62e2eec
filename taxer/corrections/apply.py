"""Applying corrections on top of the imported ledger, just before the engine runs. Pure: no I/O.

The imported records are never edited: each computation starts from them and applies the active
corrections in the order they were made, so a re-import or a re-sync never undoes a decision.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from taxer.corrections.records import Correction, CorrectionProblem, Outcome, Target, check, main_leg, relabelled
from taxer.engine.exact import allocate
from taxer.engine.overrides import Overrides, SuppliedBasis
from taxer.model import Leg, Transaction


def apply(transactions: Iterable[Transaction], corrections: Iterable[Correction],
          currency: str | None = None) -> tuple[list[Transaction], Overrides, Outcome]:
    """The corrected transactions, the decisions the engine needs as data, and what applied or did not.

    Revoked corrections are skipped. A correction whose record is gone, or no longer fits it, is listed in
    `Outcome.not_applied` with the reason. Splits come last, so they divide the record as otherwise corrected.
    """
    active = sorted((c for c in corrections if c.active), key=lambda c: (c.created_at, c.id or 0))
    txs: list[Transaction | None] = list(transactions)
    if not active:
        return txs, Overrides(), Outcome()  # the common case: nothing to look up in a million records
    wanted = {(t.account, t.source, t.external_id) for c in active for t in (c.target, c.other) if t is not None}
    index = {Target(*key): i for i, tx in enumerate(txs)
             if (key := (tx.account, tx.source, tx.external_id)) in wanted}
    pairs: dict[int, int] = {}
    unpaired: set[int] = set()
    own: set[int] = set()
    basis: dict[int, SuppliedBasis] = {}
    splits: list[tuple[int, Correction]] = []
    applied: list[tuple[Correction, tuple[int, ...]]] = []
    not_applied: list[tuple[Correction, str]] = []
    for c in active:
        found = [index.get(t) for t in (c.target, c.other) if t is not None]
        if any(i is None for i in found):
            missing = [str(t) for t, i in zip((c.target, c.other), found) if i is None]
            not_applied.append((c, f"its record {', '.join(missing)} is no longer in the ledger"))
            continue
        if any(txs[i] is None for i in found):
            not_applied.append((c, "its record was merged into another by an earlier correction"))
            continue
        pos = found[0]
        tx = txs[pos]
        other = txs[found[1]] if len(found) > 1 else None
        try:
            check(c, tx, other, currency)
        except CorrectionProblem as exc:
            not_applied.append((c, f"it no longer fits the ledger: {exc}"))
            continue
        v = c.value
        if c.kind == "relabel":
            txs[pos] = relabelled(tx, str(v["as"]))
            (own.add if v["as"] == "transfer" else own.discard)(tx.id)
        elif c.kind == "basis":
            basis[tx.id] = SuppliedBasis(Decimal(str(v["cost"])), datetime.fromisoformat(str(v["acquired"])))
        elif c.kind == "value":
            txs[pos] = replace(tx, fair_value=Decimal(str(v["value"])), fair_value_currency=str(v["currency"]))
        elif c.kind == "match":
            pairs[tx.id] = other.id
            unpaired.difference_update((tx.id, other.id))
        elif c.kind == "unmatch":
            if pairs.get(tx.id) == other.id:
                del pairs[tx.id]
            unpaired.update((tx.id, other.id))
        elif c.kind == "merge":
            txs[pos] = _merged(tx, other)
            txs[found[1]] = None
        elif c.kind == "split":
            splits.append((pos, c))
            if any(p.get("as") == "transfer" for p in v["parts"]):
                own.add(tx.id)
        applied.append((c, tuple(t.id for t in (tx, other) if t is not None and t.id is not None)))
    out: list[Transaction] = []
    split_at = dict(splits)
    for i, tx in enumerate(txs):
        if tx is None:
            continue
        out.extend(_parts(tx, split_at[i]) if i in split_at else (tx,))
    touched: dict[int, tuple[int, ...]] = {}
    for c, ids in applied:
        for tx_id in ids:
            touched[tx_id] = (*touched.get(tx_id, ()), c.id)
    overrides = Overrides(pairs=pairs, unpaired=frozenset(unpaired), own_wallet=frozenset(own), basis=basis)
    return out, overrides, Outcome(tuple(applied), tuple(not_applied), touched)


def _merged(keep: Transaction, duplicate: Transaction) -> Transaction:
    """`keep`, with what it lacks (fee, fair value, hash, label, description) taken from its duplicate."""
    filled = {name: getattr(duplicate, name) for name in ("fee", "tx_hash", "label", "description")
              if getattr(keep, name) is None and getattr(duplicate, name) is not None}
    if keep.fair_value is None and duplicate.fair_value is not None:
        filled.update(fair_value=duplicate.fair_value, fair_value_currency=duplicate.fair_value_currency)
    return replace(keep, **filled)


def _parts(tx: Transaction, c: Correction) -> list[Transaction]:
    """`tx` cut into the correction's parts: its fee and fair value shared pro rata (the last takes the rest)."""
    leg = main_leg(tx)
    amounts = [Decimal(str(p["amount"])) for p in c.value["parts"]]
    fees = allocate(tx.fee.amount, amounts, leg.amount) if tx.fee is not None else [None] * len(amounts)
    values = allocate(tx.fair_value, amounts, leg.amount) if tx.fair_value is not None else [None] * len(amounts)
    parts = []
    for n, (p, amount, fee, value) in enumerate(zip(c.value["parts"], amounts, fees, values), start=1):
        piece = Leg(leg.asset, amount)
        part = replace(tx, sent=piece if tx.sent is not None else None,
                       received=piece if tx.sent is None else None,
                       fee=Leg(tx.fee.asset, fee) if fee else None, fair_value=value,
                       external_id=f"{tx.external_id}#{n}")
        parts.append(relabelled(part, str(p["as"])) if p.get("as") else part)
    return parts
