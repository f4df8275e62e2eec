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
from taxer.importers.rows import Part, RowError, Skip
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
    fee = _fee(row, "Fee", rows.asset(row.get("Fee coin") or "", "Fee coin"))
    buy = side == "buy"
    base_leg, quote_leg = Leg(base, size), Leg(quote, total)
    symbol = f"{base}/{quote}"
    return dict(timestamp=timestamp, kind=Kind.TRADE, sent=quote_leg if buy else base_leg,
                received=base_leg if buy else quote_leg, fee=fee, description=f"{side} {symbol}",
                external_id=f"trade:{symbol}:{trade_id}")


def _transfer(row, direction: str) -> dict | Skip:
    done = rows.choice(row, "Status", STATUSES)
    timestamp = _when(row)
    order_id = _required(row, "Order ID")
    leg = rows.leg(row, "Amount", "Coin")
    if leg is None:
        raise RowError("Amount", "is empty; expected the amount moved")
    if not done:
        return Skip(f"{direction} not completed")  # a pending or failed transfer moved nothing
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
    coin = rows.asset(row.get("Coin") or "", "Coin")
    if not coin:
        raise RowError("Coin", "is empty; expected the coin of the balance change, such as USDT")
    change = rows.signed_amount(row.get("Amount") or "", "Amount")
    group, business = (row.get("Group type") or "").strip(), (row.get("Business type") or "").strip()
    label = income_label({"groupType": group, "businessType": business})
    if label is None or change < 0:
        return Skip("taken from the trade, deposit and withdrawal exports (or a move between own accounts)")
    return dict(timestamp=timestamp, kind=Kind.INCOME, received=Leg(coin, change), label=label,
                description=f"bitget {business}", external_id=f"income:{bill_id}")


# The spot financial record (Assets > Spot > Financial record > Export): Type (and in most files Action) say what
# each balance change was; times in UTC+8 as the column's name says.
RECORD_TIME = "Creation timestamp (+8 UTC)"
TRADING = {"buy", "sell", "transaction fee deduct", "trading fee", "fee"}
RECORD_DEPOSITS = {"deposit": True, "withdrawal": False}
RECORD_INCOME = {"interest earned": "interest", "airdrop": "airdrop", "rewards": "reward", "reward": "reward",
                 "rebate": "reward", "staking rewards": "staking"}
RECORD_OWN = {"token locked up", "token unlocked", "transfer in", "transfer out", "subscription", "redemption"}
HELD = "withdrawal(freeze)"   # the coins held while a withdrawal is processed; the Withdrawal row moves them


def parse_record(row) -> dict | Skip | Part:
    timestamp = rows.plain_datetime(row.get(RECORD_TIME) or "", RECORD_TIME, TIME_FORMATS, BITGET_TIME)
    coin = rows.asset(row.get("Coin") or "", "Coin")
    if not coin:
        raise RowError("Coin", "is empty; expected the coin of the balance change, such as USDT")
    group = " ".join((row.get("Type") or "").split())
    action = " ".join((row.get("Action") or group).split())
    column = "Action" if "Action" in row else "Type"
    change = rows.signed_amount(rows.grouped_number((row.get("Quantity") or "").strip(), "Quantity"), "Quantity")
    fee = rows.amount(row.get("Fees") or "", "Fees", allow_zero=True)
    what = action.lower()
    leg = Leg(coin, abs(change))
    if what == HELD:
        return Skip("coins held for a withdrawal (Withdrawal(Freeze))")
    if what in RECORD_OWN or group.lower() == "fund transfer":
        return Skip("move between own Bitget accounts")
    if what in TRADING:
        if what != "buy" and what != "sell" and change > 0:
            raise RowError("Quantity", f"{change} is a credit but {action!r} is a fee; expected a debit")
        role = "fee" if what not in ("buy", "sell") else "received" if change > 0 else "sent"
        return Part(key=f"{timestamp.isoformat()}|trade", operation="trade", leg=leg, role=role,
                    fields={"timestamp": timestamp, "description": "bitget spot trade"})
    if what in RECORD_DEPOSITS:
        incoming = RECORD_DEPOSITS[what]
        if (change > 0) != incoming:
            raise RowError("Quantity", f"{change} has the wrong sign for {action!r}")
        return dict(timestamp=timestamp, kind=Kind.DEPOSIT if incoming else Kind.WITHDRAWAL,
                    received=leg if incoming else None, sent=None if incoming else leg,
                    fee=Leg(coin, fee) if fee and not incoming else None, description=f"bitget {what}")
    if what in RECORD_INCOME:
        if change < 0:
            raise RowError("Quantity", f"{change} is negative but {action!r} is income; expected a credit")
        return dict(timestamp=timestamp, kind=Kind.INCOME, received=leg, label=RECORD_INCOME[what],
                    description=f"bitget {action}")
    known = sorted({*TRADING, *RECORD_DEPOSITS, *RECORD_INCOME, *RECORD_OWN, HELD})
    raise RowError(column, f"{action!r} is not a Bitget financial record type taxer knows; it reads: "
                           f"{', '.join(known)}")


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
RECORD = register(CsvFormat(
    name="bitget-spot-record", title="Bitget spot financial record", source=SOURCE, match_by_content=True,
    required=(RECORD_TIME, "Coin", "Type", "Quantity", "Fees"), parse_row=parse_record, columns=("Action",),
    combine=lambda parts: rows.combine_trades(parts)))
