"""okx's own CSV exports: the spot trade history and the funding account statement.

Both land on the ids the okx API sync stores (source "okx"): a fill is `trade:BASE/QUOTE:<Trade ID>`, a deposit
`deposit:<deposit id>`, a withdrawal `withdrawal:<withdrawal id>`, an earn payout or airdrop `income:<bill id>`, so
importing an export and syncing the same account never holds a record twice.

Column layouts follow okx's export (its column names are the web labels of the v5 API fields ccxt parses: tradeId,
ordId, instId, side, fillPx, fillSz, fee, feeCcy; depId/wdId, ccy, amt, fee, chain, to, txId). Times must say their
zone ("2024-03-01 14:05:00 UTC" or an ISO 8601 offset): okx lets users export in UTC+8 or local time, and a naive
time would shift every record by hours.
"""

from __future__ import annotations

from decimal import Decimal

from taxer.exchanges.okx import quote_amount
from taxer.importers import rows
from taxer.importers.formats import CsvFormat, register
from taxer.importers.rows import RowError
from taxer.model import Kind, Leg

TRADE_COLUMNS = ("Trade ID", "Order ID", "Time", "Instrument", "Side", "Filled Price", "Filled Amount", "Fee",
                 "Fee Currency")
FUNDING_COLUMNS = ("Time", "Type", "ID", "Currency", "Amount", "Fee", "Chain", "Address", "TxID")
# Funding statement types: (ledger kind, income label). Transfers between one's own okx accounts move nothing
# taxable: kept for the audit trail, out of all computations.
FUNDING_TYPES = {
    "deposit": (Kind.DEPOSIT, None), "withdrawal": (Kind.WITHDRAWAL, None),
    "staking yield": (Kind.INCOME, "staking"), "earn interest": (Kind.INCOME, "interest"),
    "savings interest": (Kind.INCOME, "interest"), "airdrop": (Kind.INCOME, "airdrop"),
    "transfer in": (Kind.IGNORED, "internal transfer"), "transfer out": (Kind.IGNORED, "internal transfer"),
}
OUTGOING = ("withdrawal", "transfer out")


def _text(row, column: str, what: str) -> str:
    value = (row.get(column) or "").strip()
    if not value:
        raise RowError(column, f"is empty; expected {what}")
    return value


def _unsigned(row, column: str, *, allow_zero: bool = False) -> Decimal | None:
    """okx prints charged fees (and outgoing amounts) negative: the sign is the direction, the column says it too."""
    text = (row.get(column) or "").strip()
    return rows.amount(text.removeprefix("-"), column, allow_zero=allow_zero)


def parse_trade(row) -> dict:
    trade_id = _text(row, "Trade ID", "okx's trade id")
    instrument = _text(row, "Instrument", "a spot instrument such as BTC-USDT").upper()
    base, sep, quote = instrument.partition("-")
    if not sep or not base or not quote or "-" in quote:
        raise RowError("Instrument", f"{instrument!r} is not a spot instrument; expected BASE-QUOTE such as "
                                     "BTC-USDT (futures and swaps are not read from this file)")
    side = _text(row, "Side", "buy or sell").lower()
    if side not in ("buy", "sell"):
        raise RowError("Side", f"{row.get('Side')!r} is not a side; expected buy or sell")
    price = rows.amount(_text(row, "Filled Price", "the fill price"), "Filled Price")
    size = rows.amount(_text(row, "Filled Amount", "the filled amount in the base currency"), "Filled Amount")
    fee_amount = _unsigned(row, "Fee", allow_zero=True)
    fee_currency = rows.asset(row.get("Fee Currency") or "", "Fee Currency")
    if fee_amount and not fee_currency:
        raise RowError("Fee Currency", f"fee {fee_amount} has no currency; fill in the fee currency")
    base_leg, quote_leg = Leg(base, size), Leg(quote, quote_amount(price, size))
    symbol = f"{base}/{quote}"
    return {"timestamp": rows.utc_timestamp(row.get("Time") or "", "Time"), "kind": Kind.TRADE,
            "sent": quote_leg if side == "buy" else base_leg, "received": base_leg if side == "buy" else quote_leg,
            "fee": Leg(fee_currency, fee_amount) if fee_amount else None, "description": f"{side} {symbol}",
            "external_id": f"trade:{symbol}:{trade_id}"}


def parse_funding(row) -> dict:
    raw_type = _text(row, "Type", "Deposit, Withdrawal, Staking yield, Earn interest, Airdrop, Transfer in/out")
    kind_label = FUNDING_TYPES.get(raw_type.lower())
    if kind_label is None:
        raise RowError("Type", f"unknown type {raw_type!r}; expected one of: "
                               f"{', '.join(t.capitalize() for t in FUNDING_TYPES)}")
    kind, label = kind_label
    record_id = _text(row, "ID", "okx's deposit, withdrawal or bill id")
    currency = rows.asset(_text(row, "Currency", "a currency such as BTC"), "Currency")
    _text(row, "Amount", "the amount that moved, such as 0.5")
    leg = Leg(currency, _unsigned(row, "Amount"))
    fee = _unsigned(row, "Fee", allow_zero=True)
    outgoing = raw_type.lower() in OUTGOING
    prefix = {Kind.DEPOSIT: "deposit", Kind.WITHDRAWAL: "withdrawal", Kind.INCOME: "income"}.get(kind, "transfer")
    return {"timestamp": rows.utc_timestamp(row.get("Time") or "", "Time"), "kind": kind,
            "sent": leg if outgoing else None, "received": None if outgoing else leg,
            "fee": Leg(currency, fee) if fee and kind is Kind.WITHDRAWAL else None, "label": label,
            "tx_hash": (row.get("TxID") or "").strip() or None,
            "description": raw_type.lower() if kind is not Kind.INCOME else f"okx {raw_type.lower()}",
            "external_id": f"{prefix}:{record_id}"}


TRADES = register(CsvFormat(name="okx-trades", title="okx trade history", required=TRADE_COLUMNS,
                            parse_row=parse_trade, source="okx"))
FUNDING = register(CsvFormat(name="okx-funding", title="okx funding account statement", required=FUNDING_COLUMNS,
                             parse_row=parse_funding, source="okx"))
