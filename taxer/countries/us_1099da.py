"""Reconciling brokers' Forms 1099-DA with the ledger's sales, and the Form 8949 lines that follow (pure).

The IRS matches a return against what brokers reported, so each broker row is matched to the ledger's sale of the
same account, asset, date sold (in the broker's zone, a day either side tolerated) and units; one row may cover
several lot pieces of one sale, and several same-day rows may together cover the same-day sales. Proceeds within
$1.00 and, where shown, basis within $1.00 count as matched.

Form 8949 (Instructions for Form 8949 (2025)): a sale on a 1099-DA goes in box G/J when the form shows basis
reported to the IRS (1099-DA box 2), H/K when not; a sale not on any 1099-DA in I/L. Where the reported basis is
wrong, column (e) shows the broker's basis with code B and column (g) the correction (basis reported), or column
(e) shows the correct basis with code B and 0 in column (g) (basis not reported). Column (d) shows the proceeds as
the form shows them; a difference is corrected in column (g): code E where the broker did not deduct the selling
expenses (the fee), code O for any other. A wrong term in box 6 is code T, the line filed in its true Part. With
several codes they are printed in alphabetical order and (g) is their net. Every line's gain (h) stays the
ledger's own, so a broker's error never changes the total gain.

A broker row the ledger has no sale for is listed on Form 8949 with the broker's proceeds and basis and a code O
adjustment that makes its gain zero, and is a warning: the IRS has the proceeds, and the gain is unknown until the
history is imported (or the broker corrects the form).

Covered units (Treas. Reg. 1.6045-1, T.D. 10000): from 2026 a lot bought in the broker account on or after
1 January 2026 is covered, and the broker must report its basis; any other lot (transferred in, or older) is
noncovered. A covered lot whose basis the broker reports differently is a warning.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from taxer.engine.records import Disposal, LedgerWarning
from taxer.model import Kind, Transaction
from taxer.model.form1099da import BrokerRow
from taxer.money import cents, money, quantity

if TYPE_CHECKING:
    from taxer.countries.lines import Form8949Line

TOLERANCE = Decimal("1.00")
COVERED_FROM = datetime(2026, 1, 1, tzinfo=UTC)
ZERO = Decimal("0.00")
MATCHED, PROCEEDS, BASIS, ONLY_FORM, ONLY_LEDGER = ("matched", "proceeds_differ", "basis_differ", "only_on_1099da",
                                                    "only_in_ledger")
STATUSES = (MATCHED, PROCEEDS, BASIS, ONLY_FORM, ONLY_LEDGER)
BOXES = {(True, "short"): "G", (True, "long"): "J", (False, "short"): "H", (False, "long"): "K"}
UNREPORTED = {"short": "I", "long": "L"}

ACTIONS = {
    MATCHED: "",
    PROCEEDS: "Form 8949 shows the broker's proceeds in (d) and corrects them in (g). Keep the sale's record as "
              "evidence; if the ledger is wrong, correct the sale (`taxer correct value`) or import the missing fee.",
    BASIS: "Form 8949 shows the basis with code B and the correction in (g). Keep the acquisitions' records as "
           "evidence; if taxer's basis is wrong, import the missing history or supply it (`taxer correct basis`).",
    ONLY_FORM: "Import the missing history of this account (the sale and its acquisitions), then report again; if "
               "you made no such sale, ask the broker for a corrected 1099-DA. Until then the row is on Form 8949 "
               "with the broker's figures and a code O adjustment to zero gain.",
    ONLY_LEDGER: "The broker did not report this sale: check that the 1099-DA is complete. It is filed in box I/L "
                 "(not reported to you on a 1099-DA).",
}


@dataclass(frozen=True)
class ReconciliationRow:
    """One line of reconciliation_1099da.csv: a broker row with the ledger's figures for it, or an unreported sale."""

    status: str
    account: str
    asset: str
    date_sold: str
    date_acquired: str                  # the broker's box 1d (or VARIOUS); the ledger's where the broker has none
    units_1099da: Decimal | None
    units_ledger: Decimal | None
    proceeds_1099da: Decimal | None
    proceeds_ledger: Decimal | None
    basis_1099da: Decimal | None
    basis_ledger: Decimal | None
    basis_reported: bool | None
    term_1099da: str
    term_ledger: str
    box: str
    codes: str
    adjustment: Decimal
    covered: str                        # covered | noncovered | mixed
    cause: str
    action: str
    origin: str                         # file:line of the broker row
    tx_ids: tuple[int, ...]

    @property
    def proceeds_difference(self) -> Decimal | None:
        """1099-DA minus ledger."""
        if self.proceeds_1099da is None or self.proceeds_ledger is None:
            return None
        return self.proceeds_1099da - self.proceeds_ledger

    @property
    def basis_difference(self) -> Decimal | None:
        if self.basis_1099da is None or self.basis_ledger is None:
            return None
        return self.basis_1099da - self.basis_ledger


@dataclass(frozen=True)
class Reconciliation:
    lines: tuple[Any, ...]              # every Form 8949 line of the year, boxes and adjustments set
    rows: tuple[ReconciliationRow, ...]
    warnings: tuple[LedgerWarning, ...]


@dataclass
class _Sale:
    """The lot pieces of one ledger sale of one asset in one account."""

    account: str
    asset: str
    day: date
    pieces: list[tuple[Disposal, Any]]

    @property
    def units(self) -> Decimal:
        return sum((d.amount for d, _ in self.pieces), Decimal(0))

    @property
    def proceeds(self) -> Decimal:
        return sum((line.proceeds for _, line in self.pieces), ZERO)

    @property
    def basis(self) -> Decimal:
        return sum((line.cost_basis for _, line in self.pieces), ZERO)

    @property
    def tx_ids(self) -> tuple[int, ...]:
        return tuple(sorted({d.dispose_tx_id for d, _ in self.pieces if d.dispose_tx_id is not None}))


def reconcile(year: int, pieces: Sequence[tuple[Disposal, Any]], rows: Sequence[BrokerRow], *, zone: str = "UTC",
              currency: str = "USD", transactions: Mapping[int | None, Transaction] | None = None) -> Reconciliation:
    """Match the year's broker `rows` to its sale `pieces` (each a disposal and its printed Form 8949 line).

    Lines of accounts without rows are returned as they are (their box comes from the account's `form1099da`
    setting). `transactions` is the ledger by id: its fees in `currency` tell a broker's gross proceeds, its
    acquisitions transfers in and covered lots.
    """
    transactions = transactions or {}
    fees = {i: tx.fee.amount for i, tx in transactions.items()
            if i is not None and tx.fee is not None and tx.fee.asset == currency}
    tz = ZoneInfo(zone)
    broker_accounts = {r.account for r in rows}
    kept = [line for d, line in pieces if d.account not in broker_accounts]
    sales: dict[tuple[str, str, int | str], _Sale] = {}
    for n, (d, line) in enumerate(pieces):
        if d.account in broker_accounts:
            key = (d.account, d.asset, d.dispose_tx_id if d.dispose_tx_id is not None else f"#{n}")
            day = d.disposed_at.astimezone(tz).date()
            sales.setdefault(key, _Sale(d.account, d.asset, day, [])).pieces.append((d, line))
    groups = _match(list(rows), list(sales.values()))
    lines, out, warnings = list(kept), [], []
    for group_rows, group_sales in groups:
        if not group_sales:
            for r in group_rows:
                line, row, warning = _only_on_form(r, year)
                lines.append(line)
                out.append(row)
                warnings.append(warning)
        elif not group_rows:
            for s in group_sales:
                new_lines, row, warning = _only_in_ledger(s, year, transactions)
                lines.extend(new_lines)
                out.append(row)
                warnings.append(warning)
        else:
            new_lines, new_rows, new_warnings = _matched(group_rows, group_sales, year, fees, transactions)
            lines.extend(new_lines)
            out.extend(new_rows)
            warnings.extend(new_warnings)
    out.sort(key=lambda r: (r.account, r.date_sold, r.asset, r.origin, r.tx_ids))
    return Reconciliation(tuple(lines), tuple(out), tuple(warnings))


# --- matching ---------------------------------------------------------------------------------------------------

def _match(rows: list[BrokerRow], sales: list[_Sale]) -> list[tuple[list[BrokerRow], list[_Sale]]]:
    """Groups of broker rows and ledger sales that report the same sales; unmatched ones alone."""
    groups: list[tuple[list[BrokerRow], list[_Sale]]] = []
    free_rows, free_sales = list(rows), list(sales)

    def take(found_rows: list[BrokerRow], found_sales: list[_Sale]) -> None:
        for r in found_rows:
            free_rows.remove(r)
        for s in found_sales:
            free_sales.remove(s)
        groups.append((found_rows, found_sales))

    def same(r: BrokerRow, s: _Sale, days: int) -> bool:
        return r.account == s.account and r.asset == s.asset and abs((r.date_sold - s.day).days) <= days

    for days in (0, 1):  # the same date first; then a day either side (the broker's zone may differ)
        for r in list(free_rows):
            found = next((s for s in free_sales if same(r, s, days) and s.units == r.units), None)
            if found is not None:
                take([r], [found])
    # Several rows and several sales of one asset on one day that add up: a broker reporting lot by lot, or
    # aggregating same-day sales.
    buckets: dict[tuple[str, str, date], tuple[list[BrokerRow], list[_Sale]]] = defaultdict(lambda: ([], []))
    for r in free_rows:
        buckets[(r.account, r.asset, r.date_sold)][0].append(r)
    for s in free_sales:
        if (s.account, s.asset, s.day) in buckets:
            buckets[(s.account, s.asset, s.day)][1].append(s)
    for bucket_rows, bucket_sales in buckets.values():
        if bucket_sales and (sum(r.units for r in bucket_rows) == sum(s.units for s in bucket_sales)
                             or (len(bucket_rows) == 1 and len(bucket_sales) == 1)):
            take(bucket_rows, bucket_sales)  # one row, one sale, other units: matched, the units differ
    groups += [([r], []) for r in free_rows]
    groups += [([], [s]) for s in free_sales]
    return groups


def _allocate(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """`total` (cents) split pro rata by `weights`; the last share takes the rounding, so the shares add up."""
    whole = sum(weights, Decimal(0))
    shares = [cents(total * w / whole) if whole else ZERO for w in weights[:-1]]
    return [*shares, cents(total) - sum(shares, ZERO)]


# --- one group ----------------------------------------------------------------------------------------------------

def _covered(d: Disposal, line: Any, year: int, transactions: Mapping[int | None, Transaction]) -> str:
    """Whether a piece's lot is a covered security: bought in this broker account on or after 2026-01-01."""
    tx = transactions.get(d.acquire_tx_id)
    if year < 2026 or tx is None or d.acquired_at < COVERED_FROM:
        return "noncovered"
    return "covered" if tx.account == d.account and tx.kind is Kind.TRADE else "noncovered"


def _covered_text(marks: Sequence[str]) -> str:
    found = sorted(set(marks))
    return found[0] if len(found) == 1 else "mixed"


def _flags(line: Any, *more: str) -> str:
    return ";".join(f for f in (line.flags, *more) if f)


def _matched(rows: list[BrokerRow], sales: list[_Sale], year: int, fees: Mapping[int, Decimal],
             transactions: Mapping[int | None, Transaction]
             ) -> tuple[list[Any], list[ReconciliationRow], list[LedgerWarning]]:
    pieces = [p for s in sales for p in s.pieces]
    units_b, units_l = sum((r.units for r in rows), Decimal(0)), sum((s.units for s in sales), Decimal(0))
    proceeds_b = sum((cents(r.proceeds) for r in rows), ZERO)
    proceeds_l = sum((s.proceeds for s in sales), ZERO)
    basis_b = None if any(r.cost_basis is None for r in rows) else \
        sum((cents(r.cost_basis) for r in rows if r.cost_basis is not None), ZERO)
    basis_l = sum((s.basis for s in sales), ZERO)
    reported = all(r.basis_reported or r.form8949_code in ("G", "J") for r in rows)
    proceeds_off = abs(proceeds_b - proceeds_l) > TOLERANCE
    basis_off = basis_b is not None and abs(basis_b - basis_l) > TOLERANCE
    status = PROCEEDS if proceeds_off else BASIS if basis_off else MATCHED
    tx_ids = tuple(sorted({t for s in sales for t in s.tx_ids}))
    fee = sum((fees.get(t, ZERO) for t in tx_ids), ZERO)
    fee_cause = proceeds_off and fee > 0 and abs(proceeds_b - proceeds_l - cents(fee)) <= TOLERANCE
    broker_terms = {r.term for r in rows if r.term in ("short", "long")}
    covered = [_covered(d, line, year, transactions) for d, line in pieces]

    weights = [d.amount for d, _ in pieces]
    shown_d = _allocate(proceeds_b, weights) if proceeds_off else [line.proceeds for _, line in pieces]
    shown_e = _allocate(basis_b, weights) if basis_off and reported and basis_b is not None \
        else [line.cost_basis for _, line in pieces]
    lines = []
    for (_, line), d_col, e_col, mark in zip(pieces, shown_d, shown_e, covered, strict=True):
        codes = set(line.adjustment_code)
        if basis_off:
            codes.add("B")
        if proceeds_off:
            codes.add("E" if fee_cause else "O")
        if broker_terms and line.term not in broker_terms:
            codes.add("T")
        adjustment = line.gain - (d_col - e_col)
        new = replace(line, box=BOXES[(reported, line.term)], proceeds=d_col, cost_basis=e_col,
                      adjustment=adjustment, adjustment_code="".join(sorted(codes)),
                      flags=_flags(line, mark, f"1099da_{status}"))
        assert new.proceeds - new.cost_basis + new.adjustment == line.gain  # the ledger's gain, whatever the form says
        lines.append(new)

    cause = _cause(status, rows, sales, proceeds_b - proceeds_l, basis_b, basis_l, fee_cause, fee, units_b,
                   units_l, broker_terms, transactions)
    action = ACTIONS[status]
    if status == BASIS and not reported:
        action = "The broker's basis was not reported to the IRS: Form 8949 shows taxer's basis in (e) with code " \
                 "B and 0 in (g). Keep the acquisitions' records as evidence."
    adjustment_total = sum((line.adjustment for line in lines), ZERO)
    row_weights = [r.units for r in rows]
    shares = {name: _allocate(value, row_weights) for name, value in
              (("proceeds", proceeds_l), ("basis", basis_l), ("adjustment", adjustment_total))}
    unit_shares = [units_l * r.units / units_b for r in rows] if len(rows) > 1 else [units_l]
    boxes = "".join(sorted({line.box for line in lines}))
    ledger_terms = "/".join(sorted({line.term for line in lines}))
    out = []
    for i, r in enumerate(rows):
        out.append(ReconciliationRow(
            status=status, account=r.account, asset=r.asset, date_sold=r.date_sold.isoformat(),
            date_acquired=_acquired_text(r, pieces), units_1099da=r.units, units_ledger=unit_shares[i],
            proceeds_1099da=cents(r.proceeds), proceeds_ledger=shares["proceeds"][i],
            basis_1099da=None if r.cost_basis is None else cents(r.cost_basis), basis_ledger=shares["basis"][i],
            basis_reported=r.basis_reported, term_1099da=r.term, term_ledger=ledger_terms, box=boxes,
            codes="".join(sorted({c for line in lines for c in line.adjustment_code})),
            adjustment=shares["adjustment"][i], covered=_covered_text(covered), cause=cause, action=action,
            origin=r.origin, tx_ids=tx_ids))
    warnings = []
    account, asset = rows[0].account, rows[0].asset
    where = ", ".join(r.origin for r in rows)
    if status != MATCHED:
        warnings.append(LedgerWarning(
            f"form1099da_{status}", f"Form 1099-DA ({where}): {asset} sold {rows[0].date_sold.isoformat()} in "
            f"account {account}: {cause}.", tx_ids, account, asset, units_b))
    if basis_off and basis_b is not None and "covered" in covered:
        warnings.append(LedgerWarning(
            "form1099da_covered_basis", f"Form 1099-DA ({where}): covered {asset} lots (bought in {account} from "
            f"2026) with basis {money(basis_l)} in the ledger, {money(basis_b)} reported by the broker, which must "
            "report the basis of covered units.", tx_ids, account, asset, units_b))
    return lines, out, warnings


def _acquired_text(r: BrokerRow, pieces: Sequence[tuple[Disposal, Any]]) -> str:
    if r.various:
        return "VARIOUS"
    if r.date_acquired is not None:
        return r.date_acquired.isoformat()
    return ""


def _cause(status: str, rows: list[BrokerRow], sales: list[_Sale], proceeds_diff: Decimal, basis_b: Decimal | None,
           basis_l: Decimal, fee_cause: bool, fee: Decimal, units_b: Decimal, units_l: Decimal, broker_terms: set[str],
           transactions: Mapping[int | None, Transaction]) -> str:
    """Why the figures differ, where the ledger can tell."""
    parts = []
    if units_b != units_l:
        parts.append(f"units differ (1099-DA {quantity(units_b)}, ledger {quantity(units_l)}; a fee paid in the "
                     "coin, or a sale split differently)")
    if status == PROCEEDS:
        if fee_cause:
            parts.append(f"fee treatment: the broker reported proceeds {_signed(proceeds_diff)} above the "
                         f"ledger's, the fee of {money(fee)} not deducted (box 3a: "
                         f"{rows[0].proceeds_type or 'not shown'}); code E")
        else:
            parts.append(f"proceeds differ by {_signed(proceeds_diff)}: check the sale's price and fee; code O")
    if basis_b is not None and abs(basis_b - basis_l) > TOLERANCE:
        pieces = [p for s in sales for p in s.pieces]
        moved = sorted({transactions[d.acquire_tx_id].account for d, _ in pieces
                        if d.acquire_tx_id in transactions and transactions[d.acquire_tx_id].account != d.account})
        dates = sorted({(d.acquired_date or d.acquired_at.date()).isoformat() for d, _ in pieces})
        broker_dates = sorted({r.date_acquired.isoformat() for r in rows if r.date_acquired})
        text = f"basis differs by {_signed(basis_b - basis_l)} (1099-DA {money(basis_b)}, ledger {money(basis_l)})"
        if moved:
            text += f": transfer in from {', '.join(moved)}; the broker did not know the coins' basis"
        elif basis_b == 0:
            text += ": the broker reported a zero basis"
        elif broker_dates and broker_dates != dates:
            text += f": lot order, the broker took lots acquired {', '.join(broker_dates)}, taxer's method " \
                    f"{', '.join(dates)}"
        if any(d.basis_missing for d, _ in pieces):
            text += "; the ledger's basis is missing (flag B) for part of the sale"
        parts.append(text)
    ledger_terms = {d.term for s in sales for d, _ in s.pieces}
    if broker_terms and broker_terms != ledger_terms:
        parts.append(f"term differs (1099-DA {'/'.join(sorted(broker_terms))}, ledger "
                     f"{'/'.join(sorted(ledger_terms))}); code T")
    return "; ".join(parts) or "agrees within $1.00"


def _signed(value: Decimal) -> str:
    return f"{'+' if value >= 0 else '-'}{money(abs(value))}"


def _only_in_ledger(sale: _Sale, year: int, transactions: Mapping[int | None, Transaction]
                    ) -> tuple[list[Any], ReconciliationRow, LedgerWarning]:
    lines = []
    marks = []
    for d, line in sale.pieces:
        mark = _covered(d, line, year, transactions)
        marks.append(mark)
        lines.append(replace(line, box=UNREPORTED[line.term], flags=_flags(line, mark, f"1099da_{ONLY_LEDGER}")))
    row = ReconciliationRow(
        status=ONLY_LEDGER, account=sale.account, asset=sale.asset, date_sold=sale.day.isoformat(),
        date_acquired=", ".join(sorted({line.date_acquired for _, line in sale.pieces})), units_1099da=None,
        units_ledger=sale.units, proceeds_1099da=None, proceeds_ledger=sale.proceeds, basis_1099da=None,
        basis_ledger=sale.basis, basis_reported=None, term_1099da="",
        term_ledger="/".join(sorted({d.term for d, _ in sale.pieces})),
        box="".join(sorted({line.box for line in lines})), codes="", adjustment=ZERO, covered=_covered_text(marks),
        cause="not on the 1099-DA: the broker did not report this sale", action=ACTIONS[ONLY_LEDGER], origin="",
        tx_ids=sale.tx_ids)
    warning = LedgerWarning(f"form1099da_{ONLY_LEDGER}", f"{quantity(sale.units)} {sale.asset} sold "
                            f"{sale.day.isoformat()} in account {sale.account} is on no Form 1099-DA of that account.",
                            sale.tx_ids, sale.account, sale.asset, sale.units)
    return lines, row, warning


def _only_on_form(r: BrokerRow, year: int) -> tuple[Form8949Line, ReconciliationRow, LedgerWarning]:
    from taxer.countries.lines import Form8949Line

    term = r.term if r.term in ("short", "long") else "short"
    proceeds = cents(r.proceeds)
    basis = cents(r.cost_basis) if r.cost_basis is not None else ZERO
    reported = r.basis_reported or r.form8949_code in ("G", "J")
    line = Form8949Line(
        part="I" if term == "short" else "II", box=BOXES[(reported, term)],
        description=f"{quantity(r.units)} {r.asset}",
        date_acquired="VARIOUS" if r.various or r.date_acquired is None else r.date_acquired.isoformat(),
        date_sold=r.date_sold.isoformat(), proceeds=proceeds, cost_basis=basis, adjustment_code="O",
        adjustment=basis - proceeds, gain=ZERO, term=term, account=r.account, asset=r.asset, amount=r.units,
        disposal_tx_id=None, acquisition_tx_id=None, method="", flags=f"1099da_{ONLY_FORM}")
    cause = "a sale the ledger lacks (history not imported), or one the broker reported in error"
    row = ReconciliationRow(
        status=ONLY_FORM, account=r.account, asset=r.asset, date_sold=r.date_sold.isoformat(),
        date_acquired=_acquired_text(r, ()), units_1099da=r.units, units_ledger=None, proceeds_1099da=proceeds,
        proceeds_ledger=None, basis_1099da=None if r.cost_basis is None else basis, basis_ledger=None,
        basis_reported=r.basis_reported, term_1099da=r.term, term_ledger="", box=line.box, codes="O",
        adjustment=line.adjustment, covered="", cause=cause, action=ACTIONS[ONLY_FORM], origin=r.origin, tx_ids=())
    warning = LedgerWarning(f"form1099da_{ONLY_FORM}", f"Form 1099-DA ({r.origin}): {quantity(r.units)} {r.asset} sold "
                      f"{r.date_sold.isoformat()} for {money(proceeds)} in account {r.account}, and the ledger has "
                      f"no such sale: {cause}.", (), r.account, r.asset, r.units)
    return line, row, warning


# --- reconciliation_1099da.csv ------------------------------------------------------------------------------------

HEADER = ("status", "account", "asset", "date_sold", "date_acquired", "units_1099da", "units_ledger",
          "proceeds_1099da", "proceeds_ledger", "proceeds_difference", "basis_1099da", "basis_ledger",
          "basis_difference", "basis_reported", "term_1099da", "term_ledger", "box", "adjustment_code",
          "adjustment", "covered", "cause", "action", "origin", "transaction_ids")


def _opt(value: Decimal | None, fmt: Callable[[Decimal], str] = money) -> str:
    return "" if value is None else fmt(value)


def csv_rows(rows: Sequence[ReconciliationRow]) -> list[tuple[str, ...]]:
    """reconciliation_1099da.csv's rows (HEADER's columns)."""
    return [(r.status, r.account, r.asset, r.date_sold, r.date_acquired, _opt(r.units_1099da, quantity),
             _opt(r.units_ledger, quantity), _opt(r.proceeds_1099da), _opt(r.proceeds_ledger),
             _opt(r.proceeds_difference), _opt(r.basis_1099da), _opt(r.basis_ledger), _opt(r.basis_difference),
             "" if r.basis_reported is None else ("yes" if r.basis_reported else "no"), r.term_1099da, r.term_ledger,
             r.box, r.codes, money(r.adjustment), r.covered, r.cause, r.action, r.origin,
             " ".join(map(str, r.tx_ids))) for r in rows]
