"""Corrections as small immutable records, and the checks that decide whether one fits the records it names.

A correction names its records by (account, source, external id): stable across re-imports and re-syncs,
unlike row ids. The same checks run when a correction is made (an error, nothing stored) and each time it is
applied (the ledger may have changed since: then it is reported as not applied, never silently dropped).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation, localcontext
from types import MappingProxyType

from taxer.model import FIAT, INCOME_TYPES, Kind, Transaction
from taxer.money import WIDE

KINDS = ("relabel", "basis", "match", "unmatch", "value", "split", "merge")
PAIRED = ("match", "unmatch", "merge")  # kinds that name a second record

# relabel targets: what the record becomes. "transfer" = to the user's own wallet outside the ledger.
OUTFLOW_LABELS = {"gift": Kind.GIFT, "donation": Kind.DONATION, "lost": Kind.LOST, "spend": Kind.SPEND}
RELABELS = ("transfer", *OUTFLOW_LABELS, *INCOME_TYPES, "ignore", "deposit", "withdrawal")


class CorrectionProblem(ValueError):
    """Why a correction does not fit its records; `field` names the part at fault (for file/line/column)."""

    def __init__(self, message: str, field: str = "transaction") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Target:
    """A ledger record named the stable way: account, source and the source's external id."""

    account: str
    source: str
    external_id: str

    @classmethod
    def of(cls, tx: Transaction) -> Target:
        return cls(tx.account, tx.source, tx.external_id)

    def __str__(self) -> str:
        return f"{self.account}/{self.source}:{self.external_id}"


@dataclass(frozen=True)
class Correction:
    """One audited correction: `kind`, its record (and `other` for match/unmatch/merge), its value, who/when/why."""

    kind: str
    target: Target
    value: Mapping[str, object]
    note: str
    author: str
    created_at: datetime
    other: Target | None = None
    id: int | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    revoke_note: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", MappingProxyType(dict(self.value)))

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def describe(self) -> str:
        """The change in a few words, e.g. "relabel as gift", "basis 120.50 USD acquired 2021-05-01"."""
        v = self.value
        if self.kind == "relabel":
            return f"relabel as {v['as']}"
        if self.kind == "basis":
            return f"cost basis {v['cost']} {v['currency']}, acquired {v['acquired']}"
        if self.kind == "value":
            return f"fair value {v['value']} {v['currency']}"
        if self.kind == "split":
            return "split into " + " + ".join(f"{p['amount']}" + (f" as {p['as']}" if p.get("as") else "")
                                              for p in v["parts"])
        if self.kind == "match":
            return f"transfer to {self.other}"
        if self.kind == "unmatch":
            return f"not a transfer to {self.other}"
        return f"duplicate {self.other} merged into this record"


@dataclass(frozen=True)
class Split:
    """One part of a split: `amount` of the record's main leg, optionally relabelled."""

    amount: Decimal
    relabel: str | None = None


def decimal(text: object, what: str, field: str = "value", *, positive: bool = True) -> Decimal:
    """A Decimal from user text (never through float); CorrectionProblem naming `what` when it is not one."""
    try:
        value = Decimal(str(text).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise CorrectionProblem(f"{what} {text!r} is not a number; write it like 1234.56", field) from None
    if not value.is_finite() or (value <= 0 if positive else value < 0):
        raise CorrectionProblem(f"{what} must be a {'positive' if positive else 'non-negative'} number, "
                                f"not {text!r}", field)
    return value


def parse_parts(text: str) -> tuple[Split, ...]:
    """'0.4:gift 0.6' -> two parts; each is AMOUNT or AMOUNT:LABEL, separated by spaces."""
    parts = []
    for piece in text.split():
        amount, _, label = piece.partition(":")
        label = label.strip().lower() or None
        if label is not None and label not in RELABELS:
            raise CorrectionProblem(f"split part {piece!r}: unknown label {label!r}; use one of "
                                    f"{', '.join(RELABELS)}", "value")
        parts.append(Split(decimal(amount, f"split part {piece!r}"), label))
    if len(parts) < 2:
        raise CorrectionProblem(f"a split needs at least two parts such as '0.4:gift 0.6', not {text!r}", "value")
    return tuple(parts)


def main_leg(tx: Transaction):
    """The leg a split divides: what was sent, else what was received."""
    return tx.sent if tx.sent is not None else tx.received


def _crypto(leg) -> bool:
    return leg is not None and leg.asset not in FIAT


def relabelled(tx: Transaction, label: str) -> Transaction:
    """`tx` as `label` says it is (CorrectionProblem when the label cannot fit such a record)."""
    from dataclasses import replace

    sends, receives = tx.sent is not None, tx.received is not None
    if label == "ignore":
        return replace(tx, kind=Kind.IGNORED, label="ignored")
    if label in OUTFLOW_LABELS or label in ("transfer", "withdrawal"):
        if not sends or receives:
            hint = ("use `taxer correct basis` for coins that came from outside" if label == "transfer"
                    else "only a record that sends and receives nothing can be one")
            raise CorrectionProblem(f"transaction {tx.id} receives {tx.received.asset if receives else 'nothing'} "
                                    f"and cannot be relabelled {label!r}: {hint}", "value")
        return replace(tx, kind=OUTFLOW_LABELS.get(label, Kind.WITHDRAWAL), label=label)
    if label in INCOME_TYPES or label == "deposit":
        if not receives or sends:
            raise CorrectionProblem(f"transaction {tx.id} sends {tx.sent.asset if sends else 'nothing'} and cannot "
                                    f"be relabelled {label!r}: only a record that receives and sends nothing can "
                                    "be", "value")
        return replace(tx, kind=Kind.INCOME if label != "deposit" else Kind.DEPOSIT, label=label)
    raise CorrectionProblem(f"unknown label {label!r}; use one of {', '.join(RELABELS)}", "value")


def check(c: Correction, tx: Transaction, other: Transaction | None, currency: str | None = None) -> None:
    """Raise CorrectionProblem when `c` does not fit `tx` (and `other`); `currency` is the report's, if known."""
    v = c.value
    if c.kind == "relabel":
        relabelled(tx, str(v["as"]))
    elif c.kind == "basis":
        if tx.kind is not Kind.DEPOSIT or not _crypto(tx.received):
            raise CorrectionProblem(f"transaction {tx.id} is a {tx.kind.value}, not a deposit of coins: a cost basis "
                                    "can be supplied only for a deposit of unknown origin")
        if datetime.fromisoformat(str(v["acquired"])) > tx.timestamp:
            raise CorrectionProblem(f"acquired {v['acquired']} is after the deposit ({tx.timestamp.isoformat()}): "
                                    "coins are acquired before they arrive", "acquired")
        if currency is not None and v["currency"] != currency:
            raise CorrectionProblem(f"the basis is in {v['currency']} but the report is in {currency}", "currency")
    elif c.kind == "value":
        if tx.kind is Kind.IGNORED:
            raise CorrectionProblem(f"transaction {tx.id} is ignored: a fair value would change nothing")
    elif c.kind == "split":
        leg = main_leg(tx)
        if tx.kind is Kind.TRADE or leg is None:
            raise CorrectionProblem(f"transaction {tx.id} is a {tx.kind.value}: only deposits, withdrawals, income "
                                    "and outflows (gift, spend, ...) can be split")
        with localcontext(WIDE):  # exact: the default context would round a 40-digit sum to 28 digits
            total = sum((Decimal(str(p["amount"])) for p in v["parts"]), Decimal(0))
        if total != leg.amount:
            raise CorrectionProblem(f"the parts add up to {total} {leg.asset} but transaction {tx.id} moves "
                                    f"{leg.amount} {leg.asset}: the parts must add up exactly", "value")
        for p in v["parts"]:
            if p.get("as"):
                relabelled(tx, str(p["as"]))
    elif c.kind in ("match", "unmatch"):
        _check_pair(c, tx, other)
    elif c.kind == "merge":
        if other is None:
            raise CorrectionProblem("a merge needs the duplicate's transaction id", "other")
        if (tx.sent, tx.received) != (other.sent, other.received) or tx.account == other.account and \
                tx.source == other.source and tx.external_id == other.external_id:
            raise CorrectionProblem(f"transactions {tx.id} and {other.id} are not duplicates: they move different "
                                    "amounts (or are the same record)", "other")
    else:
        raise CorrectionProblem(f"unknown correction kind {c.kind!r}; use one of {', '.join(KINDS)}", "kind")


# How much of a matched withdrawal may go missing beyond its stated fee (network fees not in the record).
MATCH_SLACK = Decimal("0.05")


def _check_pair(c: Correction, tx: Transaction, other: Transaction | None) -> None:
    if other is None:
        raise CorrectionProblem(f"{c.kind} needs a withdrawal and a deposit", "other")
    if tx.kind is not Kind.WITHDRAWAL or not _crypto(tx.sent):
        raise CorrectionProblem(f"transaction {tx.id} is a {tx.kind.value}: name the withdrawal first, then the "
                                "deposit")
    if other.kind is not Kind.DEPOSIT or not _crypto(other.received):
        raise CorrectionProblem(f"transaction {other.id} is a {other.kind.value}, not a deposit of coins", "other")
    if c.kind == "unmatch":
        return
    if other.received.asset != tx.sent.asset or other.account == tx.account:
        raise CorrectionProblem(f"transaction {tx.id} sends {tx.sent.asset} from {tx.account!r} and transaction "
                                f"{other.id} receives {other.received.asset} in {other.account!r}: a transfer "
                                "moves one asset between two accounts", "other")
    if other.received.amount > tx.sent.amount:
        raise CorrectionProblem(f"transaction {other.id} receives {other.received.amount} {other.received.asset}, "
                                f"more than the {tx.sent.amount} transaction {tx.id} sent", "other")
    if other.timestamp < tx.timestamp:
        raise CorrectionProblem(f"deposit {other.id} ({other.timestamp:%Y-%m-%d %H:%M} UTC) arrived before withdrawal "
                                f"{tx.id} left ({tx.timestamp:%Y-%m-%d %H:%M} UTC): coins cannot arrive before they "
                                "are sent", "other")
    fee = tx.fee.amount if tx.fee is not None and tx.fee.asset == tx.sent.asset else Decimal(0)
    gap = tx.sent.amount - other.received.amount
    if gap > fee + tx.sent.amount * MATCH_SLACK:
        raise CorrectionProblem(f"withdrawal {tx.id} sent {tx.sent.amount} {tx.sent.asset} but deposit {other.id} "
                                f"received {other.received.amount}: the {gap} missing is more than a network fee "
                                f"(the withdrawal's fee is {fee}). If only part went to that wallet, split the "
                                f"withdrawal first (`taxer correct split {tx.id} ...`) and match the part", "other")


@dataclass(frozen=True)
class Outcome:
    """What applying the corrections did: each applied one with the transaction ids it touched, and the
    ones that could not apply, with the reason (target gone, or no longer fitting)."""

    applied: tuple[tuple[Correction, tuple[int, ...]], ...] = ()
    not_applied: tuple[tuple[Correction, str], ...] = ()
    touched: Mapping[int, tuple[int, ...]] = field(default_factory=dict)  # tx id -> correction ids
