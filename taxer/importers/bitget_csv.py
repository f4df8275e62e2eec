"""Bitget's own history exports (spot): trade fills, deposit records, withdrawal records and the asset bills
("financial records"). The column layouts mirror the fields of Bitget's v2 API that these pages show.

Every one of these files carries Bitget's ids (trade id, order id of a transfer, bill id), so each row gets the
external id the API path gives the same record (taxer.exchanges.normalize) and a file plus a sync of one account
dedupe by id. Times: Bitget's files are in UTC+8 (its record files name the column "Creation timestamp (+8 UTC)"),
so a time without an offset is read as UTC+8; a cell with an explicit offset ("2024-03-01T14:05:00+00:00") is read
as it says.
"""

from __future__ import annotations

from datetime import timedelta, timezone

from taxer.exchanges.bitget import income_label
from taxer.importers import rows
from taxer.importers.formats import CsvFormat, register
from taxer.importers.rows import RowError
from taxer.model import Kind, Leg

SOURCE = "bitget"
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f")
BITGET_TIME = timezone(timedelta(hours=8), "UTC+8")   # what Bitget's files use when a cell has no offset
SIDES = {"buy": "buy", "sell": "sell"}
# Quote coins of Bitget spot markets, longest first, to split "ETHBTC" when the pair has no separator.
QUOTES = ("FDUSD", "USDT", "USDC", "BUSD", "USDE", "BTC", "ETH", "BGB", "EUR", "BRL", "TRY", "USD")
STATUSES = {"success": True, "successful": True, "completed": True, "pending": False, "fail": False,
            "failed": False, "reject": False, "rejected": False, "cancel": False, "cancelled": False}


def _when(row, column: str = "Date"):
    text = (row.get(column) or "").strip()
    if "T" in text or "+" in text or text.endswith("Z"):
        return rows.utc_timestamp(text, column)  # an explicit offset wins over the file's UTC+8
    return rows.plain_datetime(text, column, TIME_FORMATS, BITGET_TIME)


def _pair(text: str) -> tuple[str, str]:
    pair = text.strip().upper()
    for sep in ("/", "_", "-"):
        if sep in pair:
            base, _, quote = pair.partition(sep)
            if base and quote:
                return base, quote
    for quote in QUOTES:
        if pair.endswith(quote) and len(pair) > len(quote):
            return pair[:-len(quote)], quote
    raise RowError("Trading pair", f"{text!r} is not a trading pair taxer can split; write it as BASE/QUOTE "
                                   "(e.g. BTC/USDT)")


def _required(row, column: str) -> str:
    value = (row.get(column) or "").strip()
    if not value:
        raise RowError(column, "is empty; this export always fills it (Bitget's id), so the row looks edited")
    return value


def _fee(row, amount_col: str, coin: str | None) -> Leg | None:
    """Bitget writes fees as negative balance changes ('-0.0001') or positive; either way the fee is the size."""
    text = (row.get(amount_col) or "").strip().lstrip("-")
    amount = rows.amount(text, amount_col, allow_zero=True)
    if not amount:
        return None
    if not coin:
        raise RowError(amount_col, f"fee {amount} has no coin; fill in the fee coin")
    return Leg(coin, amount)


def parse_fill(row) -> dict:
    """Spot > Orders > Trade history > Export: one fill per row (Amount in the base coin, Total in the quote)."""
    timestamp = _when(row)
    base, quote = _pair(row.get("Trading pair") or "")
    side = rows.choice(row, "Direction", SIDES)
    rows.amount(row.get("Price") or "", "Price")
    size = rows.amount(row.get("Amount") or "", "Amount")
    total = rows.amount(row.get("Total") or "", "Total")
    if size is None or total is None:
        raise RowError("Amount" if size is None else "Total", "is empty; a fill moves both coins")
    trade_id = _required(row, "Trade ID")
    fee = _fee(row, "Fee", (row.get("Fee coin") or "").strip().upper())
    buy = side == "buy"
    base_leg, quote_leg = Leg(base, size), Leg(quote, total)
    symbol = f"{base}/{quote}"
    return dict(timestamp=timestamp, kind=Kind.TRADE, sent=quote_leg if buy else base_leg,
                received=base_leg if buy else quote_leg, fee=fee, description=f"{side} {symbol}",
                external_id=f"trade:{symbol}:{trade_id}")


def _transfer(row, direction: str) -> dict | None:
    done = rows.choice(row, "Status", STATUSES)
    timestamp = _when(row)
    order_id = _required(row, "Order ID")
    leg = rows.leg(row, "Amount", "Coin")
    if leg is None:
        raise RowError("Amount", "is empty; expected the amount moved")
    if not done:
        return None  # a pending or failed transfer moved nothing
    fee = None
    if direction == "withdrawal":
        fee = _fee(row, "Fee", leg.asset)
        if fee is not None:
            # Bitget's withdrawal Amount includes the fee (the API's `size`): what left for the address is the rest
            if fee.amount >= leg.amount:
                raise RowError("Fee", f"fee {fee.amount} is not less than Amount {leg.amount}; Bitget's Amount "
                                      "includes the fee")
            leg = Leg(leg.asset, leg.amount - fee.amount)
    deposit = direction == "deposit"
    return dict(timestamp=timestamp, kind=Kind.DEPOSIT if deposit else Kind.WITHDRAWAL,
                sent=None if deposit else leg, received=leg if deposit else None, fee=fee, description=direction,
                tx_hash=(row.get("TxID") or "").strip() or None, external_id=f"{direction}:{order_id}")


def parse_deposit(row) -> dict | None:
    """Assets > Deposit records > Export."""
    return _transfer(row, "deposit")


def parse_withdrawal(row) -> dict | None:
    """Assets > Withdrawal records > Export (Amount includes the Fee)."""
    return _transfer(row, "withdrawal")


def parse_bill(row) -> dict | None:
    """Assets > Spot > Financial records (bills) > Export: one balance change per row.

    Income (earn/staking interest, airdrops, rewards, rebates) is taken from here, labelled by the same rule as the
    API path; trades, deposits and withdrawals come from their own exports, as the API path takes them from their
    own streams.
    """
    timestamp = _when(row)
    bill_id = _required(row, "Bill ID")
    coin = (row.get("Coin") or "").strip().upper()
    if not coin:
        raise RowError("Coin", "is empty; expected the coin of the balance change, such as USDT")
    change = rows.signed_amount(row.get("Amount") or "", "Amount")
    group, business = (row.get("Group type") or "").strip(), (row.get("Business type") or "").strip()
    label = income_label({"groupType": group, "businessType": business})
    if label is None or change < 0:
        return None
    return dict(timestamp=timestamp, kind=Kind.INCOME, received=Leg(coin, change), label=label,
                description=f"bitget {business}", external_id=f"income:{bill_id}")


FILLS = register(CsvFormat(
    name="bitget-fills", title="Bitget spot trade history", source=SOURCE,
    required=("Date", "Order ID", "Trade ID", "Trading pair", "Direction", "Price", "Amount", "Total", "Fee",
              "Fee coin"), parse_row=parse_fill))
DEPOSITS = register(CsvFormat(
    name="bitget-deposits", title="Bitget deposit records", source=SOURCE,
    required=("Date", "Order ID", "Coin", "Chain", "Amount", "Address", "TxID", "Status"), parse_row=parse_deposit))
WITHDRAWALS = register(CsvFormat(
    name="bitget-withdrawals", title="Bitget withdrawal records", source=SOURCE,
    required=("Date", "Order ID", "Coin", "Chain", "Amount", "Fee", "Address", "TxID", "Status"),
    parse_row=parse_withdrawal))
BILLS = register(CsvFormat(
    name="bitget-bills", title="Bitget financial records (bills)", source=SOURCE,
    required=("Date", "Bill ID", "Coin", "Group type", "Business type", "Amount", "Fee", "Balance"),
    parse_row=parse_bill))
