"""`taxer review`: the open warnings, each with the command that would resolve it and what that would change.

The effect of a candidate correction is computed, not guessed: the year(s) are computed again with the
correction applied and the totals compared. Where the value is the user's to supply (a cost basis, a fair
value), the direction is stated instead, with the computed effect of an example value when the ledger offers one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Engine

from taxer.corrections import Correction, build
from taxer.corrections.apply import apply
from taxer.engine import compute
from taxer.model import Kind, Transaction
from taxer.reports.view import WarningLine, build_view
from taxer.store import ledger
from taxer.year import TaxYear, load

COMPUTED_LIMIT = 50  # warnings whose candidates are computed; later ones get the command only
FIELDS = (("proceeds", "proceeds"), ("cost_basis", "cost basis"), ("short_term_gain", "short-term gain"),
          ("long_term_gain", "long-term gain"), ("total_gain", "total gain"), ("income", "income"))
NOTE = '--note "WHY"'


@dataclass(frozen=True)
class Suggestion:
    """A command that would resolve a warning, and what it would change."""

    command: str
    effect: str


@dataclass(frozen=True)
class Item:
    code: str
    message: str
    tx_ids: tuple[int, ...]
    suggestions: tuple[Suggestion, ...]
    account: str = ""
    asset: str = ""


# Stablecoins pegged to one fiat unit: one user price file (a row per day at 1) values every event in them.
PEGGED = {"USDT": "USD", "USDC": "USD", "DAI": "USD", "BUSD": "USD", "TUSD": "USD", "USDP": "USD", "PYUSD": "USD",
          "FDUSD": "USD", "USDE": "USD", "EURC": "EUR", "EURT": "EUR"}
GROUP_FROM = 4  # warnings of one kind and asset from this many on are shown as one group


@dataclass(frozen=True)
class Group:
    """Warnings of one kind and asset, with the commands that resolve them all at once where there are such."""

    code: str
    asset: str
    accounts: tuple[str, ...]
    items: tuple[Item, ...]
    commands: tuple[Suggestion, ...]


@dataclass(frozen=True)
class Review:
    year_label: str            # the year reviewed, or "all years up to YYYY"
    items: tuple[Item, ...]
    currency: str
    year: int | None = None

    def groups(self) -> list[Group]:
        """The items by (kind, asset) in order of first appearance; a group of GROUP_FROM or more gets commands
        that resolve the whole group."""
        by_key: dict[tuple[str, str], list[Item]] = {}
        for item in self.items:
            by_key.setdefault((item.code, item.asset), []).append(item)
        return [Group(code, asset, tuple(sorted({i.account for i in items if i.account})), tuple(items),
                      tuple(_group_commands(code, asset, items, self)) if len(items) >= GROUP_FROM else ())
                for (code, asset), items in by_key.items()]


def _group_commands(code: str, asset: str, items: list[Item], review: Review):
    n = len(items)
    year = f" --year {review.year}" if review.year is not None else " --year YYYY"
    if code == "missing_value":
        yield Suggestion(f"taxer prices fetch{year}", f"market prices for all {n:,} events (and the others' too)")
        peg = PEGGED.get(asset)
        if peg:
            yield Suggestion("taxer prices import prices.csv",
                             f"one price file resolves all {n:,}: {asset} is pegged to {peg}, so a row per day "
                             f"`YYYY-MM-DD,{asset},{peg},1` values every event in it")
        else:
            yield Suggestion("taxer prices import prices.csv",
                             f"or your own prices for {asset} (timestamp,asset,quote,price; a bare date is a daily "
                             "price)")
    elif code == "unknown_origin":
        yield Suggestion("taxer import csv FILE --account NAME",
                         f"import the wallet(s) the {n:,} deposits of {asset} came from: their history gives the "
                         "basis, and each deposit then matches its withdrawal")
    elif code == "unmatched_withdrawal":
        yield Suggestion("taxer import csv FILE --account NAME",
                         f"import the wallet(s) the {n:,} withdrawals of {asset} went to, if yours; else relabel each "
                         "(gift, spend) or label a batch with `taxer correct import fixes.csv`")
    elif code == "oversold":
        yield Suggestion("taxer import csv FILE --account NAME",
                         f"import the acquisitions of {asset} missing before these {n:,} disposals")
    if code != "correction_not_applied":
        yield Suggestion("taxer correct import fixes.csv", "a batch of corrections in one file "
                         "(kind,transaction,other,value,acquired,currency,note,by), checked line by line")


def review_year(engine: Engine, year: str | int | None, *, code: str | None = None, account: str | None = None,
                asset: str | None = None, **options) -> Review:
    """Review tax year `year` (its report's warnings), or, without a year, every tax year of the ledger; years
    are the country's own (a UK review of 2024 is 6 April 2024 to 5 April 2025). `code`, `account` and `asset`
    keep only the warnings of that kind, account or asset."""
    whole = year is None
    if whole:
        with engine.connect() as conn:
            last = ledger.last_transaction_time(conn)
        if last is None:
            return Review("(empty ledger)", (), "")
        tax_year = load(engine, last.year, background_fingerprint=False, **options)
        year = tax_year.rules.year_of(last, tax_year.settings.timezone)
        if year != tax_year.params.year:
            tax_year = load(engine, year, background_fingerprint=False, **options)
    else:
        tax_year = load(engine, year, background_fingerprint=False, **options)
    year = tax_year.params.year
    rules, zone_name = tax_year.rules, tax_year.settings.timezone
    first = year if not whole else min(rules.year_of(tx.timestamp, zone_name) for tx in tax_year.transactions)
    base = _totals(tax_year, first, ())
    view = tax_year.view()
    by_id = {tx.id: tx for tx in tax_year.transactions}
    unmatched = {t for w in view.warnings if w.code == "unmatched_withdrawal" for t in w.tx_ids}
    items = []
    shown = [w for w in view.warnings if (code is None or w.code == code) and (account is None or w.account == account)
             and (asset is None or w.asset == asset.upper())]
    for n, w in enumerate(shown):
        if w.code == "correction_not_applied":
            found = re.match(r"Correction (\d+) ", w.message)  # the view's message names the correction
            revoke = f"taxer correct revoke {found.group(1) if found else 'ID'} {NOTE}"
            suggestions = (Suggestion(revoke, "stops applying the stale correction (it stays in the history); make a "
                                      "new one for the record as the ledger now has it"),)
        else:
            suggestions = tuple(_suggest(w, by_id, unmatched, tax_year, first, base, n < COMPUTED_LIMIT))
        items.append(Item(w.code, w.message, w.tx_ids, suggestions, w.account, w.asset))
    label = f"{rules.label(first)}-{rules.label(year)}" if whole and first != year else rules.label(year)
    return Review(label, tuple(items), tax_year.params.currency, None if whole else year)


def _totals(tax_year: TaxYear, first: int, extra: tuple[Correction, ...]) -> tuple[dict[int, dict], set]:
    """Each year's summary totals from `first` on with `extra` corrections applied, and the open warnings."""
    s, p = tax_year.settings, tax_year.params
    corrected, overrides, outcome = apply(tax_year.transactions, [*tax_year.corrections, *extra], s.currency)
    start = tax_year.params_for(first).period_start
    result = compute(corrected, s, until=p.period_end, keep_from=start, price=tax_year.book.price,
                     overrides=overrides)
    totals = {}
    for y in range(first, p.year + 1):
        totals[y] = build_view(tax_year.params_for(y), result, tax_year.account_settings).summary()
    open_warnings = {(w.code, w.tx_ids) for w in result.warnings}
    open_warnings |= {("correction_not_applied", (c.id,)) for c, _ in outcome.not_applied}
    return totals, open_warnings


def _effect(tax_year: TaxYear, first: int, base, candidate: Correction, w: WarningLine) -> str:
    before, _ = base
    after, still_open = _totals(tax_year, first, (candidate,))
    cur = tax_year.params.currency
    changes = []
    for y, summary in after.items():
        diffs = [f"{label} {_signed(Decimal(summary[key]) - Decimal(before[y][key]))} {cur}" for key, label in FIELDS
                 if summary[key] != before[y][key]]
        for key, noun in (("disposals", "Form 8949 line"), ("other_disposals", "other disposal"),
                          ("income_events", "income event")):
            change = summary[key] - before[y][key]
            if change:
                diffs.append(f"{change:+d} {noun}{'' if abs(change) == 1 else 's'}")
        if diffs:
            changes.append(f"{tax_year.rules.label(y)}: " + ", ".join(diffs))
    resolved = (w.code, tuple(w.tx_ids)) not in still_open
    text = "; ".join(changes) if changes else "no change in the totals"
    return text + ("; resolves this warning" if resolved else "; the warning stays")


def _signed(amount: Decimal) -> str:
    return f"{'+' if amount >= 0 else '-'}{abs(amount):.2f}"


def _candidate(kind: str, tx: Transaction, other: Transaction | None = None, **kw) -> Correction | None:
    try:
        return build(kind, tx, other, note="candidate", author="taxer review", now=tx.timestamp, **kw)
    except ValueError:
        return None


def _suggest(w: WarningLine, by_id: dict[int, Transaction], unmatched: set[int], tax_year: TaxYear, first: int,
             base, compute_effects: bool):
    tx = by_id.get(w.tx_ids[0]) if w.tx_ids else None
    cur = tax_year.params.currency

    def effect(candidate: Correction | None, fallback: str) -> str:
        if candidate is None or not compute_effects:
            return fallback
        return _effect(tax_year, first, base, candidate, w)

    if w.code == "unknown_origin" and tx is not None:
        direction = ("unknown until you supply the cost: it lowers the gains (or raises the losses) of the years "
                     "that dispose of these coins by up to that cost")
        if tx.fair_value is not None and tx.fair_value_currency == cur:
            example = _candidate("basis", tx, value=str(tx.fair_value), currency=cur,
                                 acquired=tx.timestamp.isoformat())
            direction += f"; e.g. a cost of {tx.fair_value} {cur} (its value on arrival) acquired on arrival: " + \
                effect(example, "")
        yield Suggestion(f"taxer correct basis {tx.id} COST --acquired YYYY-MM-DD {NOTE}", direction)
        for other in _withdrawals_that_could_send(tx, [by_id[i] for i in sorted(unmatched) if i in by_id]):
            yield Suggestion(f"taxer correct match {other.id} {tx.id} {NOTE}",
                             effect(_candidate("match", other, tx), "a transfer: not taxable"))
    elif w.code == "unmatched_withdrawal" and tx is not None:
        for label, why in (("transfer", "sent to your own wallet outside taxer"), ("gift", "a gift"),
                           ("spend", "a payment: a disposal at fair value")):
            yield Suggestion(f"taxer correct relabel {tx.id} {label} {NOTE}",
                             f"if {why}: " + effect(_candidate("relabel", tx, value=label), ""))
    elif w.code == "missing_value" and tx is not None:
        yield Suggestion(f"taxer correct value {tx.id} AMOUNT --currency {cur} {NOTE}",
                         "unknown until you supply it: the value you set becomes the proceeds, income or cost of "
                         "the event (now counted as 0); or fetch market prices with `taxer prices fetch`")
    elif w.code == "oversold":
        yield Suggestion("taxer import csv FILE --account NAME",
                         "import the missing acquisitions: their cost lowers the gain now counted on a zero basis")
    else:
        yield Suggestion("", "check the account balances and import the missing history")


def _withdrawals_that_could_send(deposit: Transaction, unmatched: list[Transaction]) -> list[Transaction]:
    """Unmatched withdrawals of the deposit's asset from another account, before it, of at least its amount."""
    leg = deposit.received
    found = [tx for tx in unmatched if tx.kind is Kind.WITHDRAWAL and tx.sent is not None
             and tx.sent.asset == leg.asset and tx.account != deposit.account and tx.timestamp <= deposit.timestamp
             and tx.sent.amount >= leg.amount]
    found.sort(key=lambda tx: deposit.timestamp - tx.timestamp)
    return found[:3]
