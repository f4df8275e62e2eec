"""Binance's own history exports: Spot trade history, crypto deposit and withdrawal history, and the Transaction
History statement (taxer.importers.binance_statement), each in the generations Binance has served, and the convert
history. Times are UTC (Binance writes them so: "Date(UTC)", "UTC_Time"; the convert history's Date is taken as
UTC too). Numbers may carry thousands separators ("62,000.00"); a comma that is not one is refused.

None of these files carries Binance's record ids (trade id, deposit id, dividend id), so their rows are matched by
content against what a sync of the same account stored (CsvFormat.match_by_content, taxer.store.matching).
"""

from __future__ import annotations

from taxer.importers import rows
from taxer.importers.formats import CsvFormat, register
from taxer.importers.rows import RowError, Skip
from taxer.model import Kind, Leg

SOURCE = "binance"
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%y-%m-%d %H:%M:%S")   # newer exports write two-digit years
SIDES = {"buy": "buy", "sell": "sell"}
# Deposit/withdrawal status: only a completed one moved funds; the others are skipped.
STATUSES = {"completed": True, "pending": False, "processing": False, "failed": False, "cancelled": False,
            "canceled": False, "rejected": False, "awaiting approval": False}


def _when(row, column: str):
    return rows.plain_datetime(row.get(column) or "", column, TIME_FORMATS)


def _pair_assets(pair: str, executed: str, amount: str) -> tuple[str, str]:
    """Split a pair such as 1000SATSUSDT where Executed and Amount cells end in its two assets."""
    text = pair.strip().upper().replace("/", "").replace("_", "").replace("-", "")
    fits = [(text[:i], text[i:]) for i in range(1, len(text))
            if executed.strip().upper().endswith(text[:i]) and amount.strip().upper().endswith(text[i:])]
    if not fits:
        rows.amount_with_unit(executed, "Executed")   # a malformed cell is named as such
        rows.amount_with_unit(amount, "Amount")
        raise RowError("Pair", f"{pair!r} does not match the assets of Executed ({executed!r}) and Amount "
                               f"({amount!r}); check that the row was not edited")
    return max(fits, key=lambda f: len(f[0]))


def parse_trade(row) -> dict:
    """Spot > Orders > Trade History export: one fill per row; amounts carry their asset ('0.001BTC')."""
    timestamp = _when(row, "Date(UTC)")
    side = rows.choice(row, "Side", SIDES)
    _price(row, "Price")
    executed, total = row.get("Executed") or "", row.get("Amount") or ""
    if not executed.strip():
        raise RowError("Executed", "is empty; expected the filled quantity with its asset, such as 0.001BTC")
    if not total.strip():
        raise RowError("Amount", "is empty; expected the traded total with its asset, such as 62.5USDT")
    base_asset, quote_asset = _pair_assets(row.get("Pair") or "", executed, total)
    base = rows.amount_with_unit(executed, "Executed", assets=(base_asset,))
    quote = rows.amount_with_unit(total, "Amount", assets=(quote_asset,))
    if (base.asset, quote.asset) != (base_asset, quote_asset):
        raise RowError("Pair", f"{row.get('Pair')!r} does not match the assets of Executed ({base.asset}) and "
                               f"Amount ({quote.asset}); check that the row was not edited")
    fee = rows.amount_with_unit(row.get("Fee") or "", "Fee", allow_zero=True, assets=(base_asset, quote_asset))
    buy = side == "buy"
    return dict(timestamp=timestamp, kind=Kind.TRADE, sent=quote if buy else base, received=base if buy else quote,
                fee=fee, description=f"{side} {base.asset}/{quote.asset}")


def _price(row, column: str):
    rows.amount(rows.grouped_number((row.get(column) or "").strip(), column), column)


# Quote assets of Binance markets (BittyTax's list, less the one-letter and prefix-clashing ones), longest first.
QUOTES = sorted(("BNB", "BTC", "ETH", "USDT", "BUSD", "USDC", "TUSD", "FDUSD", "PAX", "USDP", "USDS", "DAI",
                 "XRP", "TRX", "DOGE", "DOT", "SOL", "EUR", "GBP", "AUD", "BRL", "TRY", "RUB", "UAH", "NGN",
                 "ZAR", "IDRT", "BIDR", "BKRW", "BVND", "UST", "VAI", "XMR", "GYEN", "PLN", "RON", "ARS", "JPY",
                 "MXN", "CZK", "COP", "KZT", "AEUR", "EURI", "USD"), key=len, reverse=True)
PAIR_QUOTES = {"ADAEUR": "EUR", "ARBIDR": "IDR", "BNBIDR": "IDR", "BNBUSD": "USD", "ENAEUR": "EUR",
               "GALAEUR": "EUR", "LUNAEUR": "EUR", "THETAEUR": "EUR", "USDTUSD": "USD"}


def _market(text: str) -> tuple[str, str]:
    market = text.strip().upper().replace("/", "").replace("_", "").replace("-", "")
    quote = PAIR_QUOTES.get(market) or next((q for q in QUOTES if market.endswith(q) and len(market) > len(q)),
                                            None)
    if quote is None:
        raise RowError("Market", f"{text!r} is not a market taxer can split into its two assets; quotes known: "
                                 f"{', '.join(QUOTES)}")
    return market[:-len(quote)], quote


def parse_old_trade(row) -> dict:
    """The trade history before 2021: Market (XLMETH), Type (BUY/SELL), Amount in the base, Total in the quote."""
    timestamp = _when(row, "Date(UTC)")
    base_asset, quote_asset = _market(row.get("Market") or "")
    side = rows.choice(row, "Type", SIDES)
    _price(row, "Price")
    size = rows.amount(rows.grouped_number((row.get("Amount") or "").strip(), "Amount"), "Amount")
    total = rows.amount(rows.grouped_number((row.get("Total") or "").strip(), "Total"), "Total")
    if size is None or total is None:
        raise RowError("Amount" if size is None else "Total", "is empty; a trade moves both assets")
    fee = rows.leg({"Fee": rows.grouped_number((row.get("Fee") or "").strip(), "Fee"),
                    "Fee Coin": row.get("Fee Coin") or ""}, "Fee", "Fee Coin", allow_zero=True)
    base, quote = Leg(base_asset, size), Leg(quote_asset, total)
    buy = side == "buy"
    return dict(timestamp=timestamp, kind=Kind.TRADE, sent=quote if buy else base, received=base if buy else quote,
                fee=fee, description=f"{side} {base_asset}/{quote_asset}")


def _transfer(row, direction: str, *, date_column: str = "Date(UTC+0)", fee_column: str = "Fee") -> dict | Skip:
    done = rows.choice(row, "Status", STATUSES)
    timestamp = _when(row, date_column)
    leg = rows.leg(row, "Amount", "Coin")
    if leg is None:
        raise RowError("Amount", "is empty; expected the amount moved")
    if not done:
        return Skip(f"{direction} not completed")
    fee = None
    if direction == "withdrawal":
        fee_amount = rows.amount(row.get(fee_column) or "", fee_column, allow_zero=True)
        fee = Leg(leg.asset, fee_amount) if fee_amount else None
    deposit = direction == "deposit"
    return dict(timestamp=timestamp, kind=Kind.DEPOSIT if deposit else Kind.WITHDRAWAL,
                sent=None if deposit else leg, received=leg if deposit else None, fee=fee, description=direction,
                tx_hash=(row.get("TXID") or "").strip() or None)


def parse_deposit(row) -> dict | Skip:
    """Wallet > Transaction History > Deposit > Export: a crypto deposit per row (Amount is what was credited)."""
    return _transfer(row, "deposit")


def parse_withdrawal(row) -> dict | Skip:
    """Wallet > Transaction History > Withdraw > Export: Amount reached the address, Fee was charged on top."""
    return _transfer(row, "withdrawal")


def parse_old_deposit(row) -> dict | Skip:
    """The deposit history before 2022 (Date(UTC), TransactionFee; the same header as withdrawals)."""
    return _transfer(row, "deposit", date_column="Date(UTC)", fee_column="TransactionFee")


def parse_old_withdrawal(row) -> dict | Skip:
    """The withdrawal history before 2022: Amount sent, TransactionFee charged on top."""
    return _transfer(row, "withdrawal", date_column="Date(UTC)", fee_column="TransactionFee")


CONVERT_STATUSES = {"successful": True, "success": True, "completed": True, "expired": False, "failed": False,
                    "cancelled": False, "canceled": False, "processing": False, "pending": False}


def parse_convert(row) -> dict | Skip:
    """Orders > Convert history: Sell and Buy as '<quantity> <asset>'; the spread is in the rate (no fee)."""
    done = rows.choice(row, "Status", CONVERT_STATUSES)
    timestamp = _when(row, "Date")
    sell = rows.amount_with_unit(row.get("Sell") or "", "Sell")
    buy = rows.amount_with_unit(row.get("Buy") or "", "Buy")
    if sell is None or buy is None:
        raise RowError("Sell" if sell is None else "Buy", "is empty; a convert has both sides, such as 0.5 ETH")
    if not done:
        return Skip(f"convert not filled ({(row.get('Status') or '').strip()})")
    pair = (row.get("Pair") or "").strip().upper()
    if pair and pair not in (sell.asset + buy.asset, buy.asset + sell.asset):
        raise RowError("Pair", f"{pair!r} does not match the assets of Sell ({sell.asset}) and Buy ({buy.asset})")
    return dict(timestamp=timestamp, kind=Kind.TRADE, sent=sell, received=buy,
                description=f"convert {sell.asset} to {buy.asset}")


TRADES = register(CsvFormat(
    name="binance-trades", title="Binance spot trade history", source=SOURCE, match_by_content=True,
    required=("Date(UTC)", "Pair", "Side", "Price", "Executed", "Amount", "Fee"), parse_row=parse_trade,
    columns=()))
DEPOSITS = register(CsvFormat(
    name="binance-deposits", title="Binance deposit history", source=SOURCE, match_by_content=True,
    required=("Date(UTC+0)", "Coin", "Network", "Amount", "Address", "TXID", "Status"), parse_row=parse_deposit,
    columns=()))
WITHDRAWALS = register(CsvFormat(
    name="binance-withdrawals", title="Binance withdrawal history", source=SOURCE, match_by_content=True,
    required=("Date(UTC+0)", "Coin", "Network", "Amount", "Fee", "Address", "TXID", "Status"),
    parse_row=parse_withdrawal, columns=()))
OLD_TRANSFER_COLUMNS = ("Network", "SourceAddress", "PaymentID")   # beside the required ones, when present
OLD_TRADES = register(CsvFormat(
    name="binance-trades-old", title="Binance trade history (before 2021)", source=SOURCE, match_by_content=True,
    required=("Date(UTC)", "Market", "Type", "Price", "Amount", "Total", "Fee", "Fee Coin"), parse_row=parse_old_trade,
    columns=()))
OLD_DEPOSITS = register(CsvFormat(
    name="binance-deposits-old", title="Binance deposit history (before 2022)", source=SOURCE,
    match_by_content=True, file_hint="deposit",
    required=("Date(UTC)", "Coin", "Amount", "TransactionFee", "Address", "TXID", "Status"),
    parse_row=parse_old_deposit, columns=OLD_TRANSFER_COLUMNS))
OLD_WITHDRAWALS = register(CsvFormat(
    name="binance-withdrawals-old", title="Binance withdrawal history (before 2022)", source=SOURCE,
    match_by_content=True, file_hint="withdraw",
    required=("Date(UTC)", "Coin", "Amount", "TransactionFee", "Address", "TXID", "Status"),
    parse_row=parse_old_withdrawal, columns=OLD_TRANSFER_COLUMNS))
CONVERTS = register(CsvFormat(
    name="binance-converts", title="Binance convert history", source=SOURCE, match_by_content=True,
    required=("Date", "Pair", "Type", "Sell", "Buy", "Price", "Inverse Price", "Date Updated", "Status"),
    parse_row=parse_convert, columns=("Wallet",)))
