"""Binance's own history exports: Spot trade history, crypto deposit and withdrawal history, and the Transaction
History statement. Times are UTC (Binance writes them so: "Date(UTC)", "UTC_Time").

None of these files carries Binance's record ids (trade id, deposit id, dividend id), so their rows are matched by
content against what a sync of the same account stored (CsvFormat.match_by_content, taxer.store.matching).
"""

from __future__ import annotations

from taxer.importers import rows
from taxer.importers.formats import CsvFormat, register
from taxer.importers.rows import RowError
from taxer.model import Kind, Leg

SOURCE = "binance"
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%y-%m-%d %H:%M:%S")   # newer exports write two-digit years
SIDES = {"buy": "buy", "sell": "sell"}
# Deposit/withdrawal status: only a completed one moved funds; the others are skipped.
STATUSES = {"completed": True, "pending": False, "processing": False, "failed": False, "cancelled": False,
            "canceled": False, "rejected": False, "awaiting approval": False}


def _when(row, column: str):
    return rows.plain_datetime(row.get(column) or "", column, TIME_FORMATS)


def parse_trade(row) -> dict:
    """Spot > Orders > Trade History export: one fill per row; amounts carry their asset ('0.001BTC')."""
    timestamp = _when(row, "Date(UTC)")
    side = rows.choice(row, "Side", SIDES)
    rows.amount(row.get("Price") or "", "Price")
    base = rows.amount_with_unit(row.get("Executed") or "", "Executed")
    quote = rows.amount_with_unit(row.get("Amount") or "", "Amount")
    if base is None:
        raise RowError("Executed", "is empty; expected the filled quantity with its asset, such as 0.001BTC")
    if quote is None:
        raise RowError("Amount", "is empty; expected the traded total with its asset, such as 62.5USDT")
    pair = (row.get("Pair") or "").strip().upper().replace("/", "").replace("_", "").replace("-", "")
    if pair != base.asset + quote.asset:
        raise RowError("Pair", f"{row.get('Pair')!r} does not match the assets of Executed ({base.asset}) and "
                               f"Amount ({quote.asset}); check that the row was not edited")
    fee = rows.amount_with_unit(row.get("Fee") or "", "Fee", allow_zero=True)
    buy = side == "buy"
    return dict(timestamp=timestamp, kind=Kind.TRADE, sent=quote if buy else base, received=base if buy else quote,
                fee=fee, description=f"{side} {base.asset}/{quote.asset}")


def _transfer(row, direction: str) -> dict | None:
    done = rows.choice(row, "Status", STATUSES)
    timestamp = _when(row, "Date(UTC+0)")
    leg = rows.leg(row, "Amount", "Coin")
    if leg is None:
        raise RowError("Amount", "is empty; expected the amount moved")
    if not done:
        return None
    fee = None
    if direction == "withdrawal":
        fee_amount = rows.amount(row.get("Fee") or "", "Fee", allow_zero=True)
        fee = Leg(leg.asset, fee_amount) if fee_amount else None
    deposit = direction == "deposit"
    return dict(timestamp=timestamp, kind=Kind.DEPOSIT if deposit else Kind.WITHDRAWAL,
                sent=None if deposit else leg, received=leg if deposit else None, fee=fee, description=direction,
                tx_hash=(row.get("TXID") or "").strip() or None)


def parse_deposit(row) -> dict | None:
    """Wallet > Transaction History > Deposit > Export: a crypto deposit per row (Amount is what was credited)."""
    return _transfer(row, "deposit")


def parse_withdrawal(row) -> dict | None:
    """Wallet > Transaction History > Withdraw > Export: Amount reached the address, Fee was charged on top."""
    return _transfer(row, "withdrawal")


# Transaction History statement operations (lower-cased). Income becomes INCOME with the label the API path gives
# the same distribution; trades, deposits and withdrawals are taken from their own exports (the statement splits a
# trade into several same-second rows and does not separate a withdrawal's fee), moves between Binance's own
# wallets change nothing for tax.
INCOME = {
    "staking rewards": "staking", "pos savings interest": "staking", "eth 2.0 staking rewards": "staking",
    "simple earn locked rewards": "staking", "bnb vault rewards": "staking",
    "savings interest": "interest", "simple earn flexible interest": "interest", "launchpool interest": "interest",
    "savings distribution": "interest", "pool distribution": "interest",
    "airdrop assets": "airdrop", "distribution": "airdrop", "simple earn flexible airdrop": "airdrop",
    "super bnb mining": "mining",
    "commission history": "reward", "referral kickback": "reward", "referral commission": "reward",
    "commission rebate": "reward", "cash voucher distribution": "reward", "campaign related reward": "reward",
}
FROM_OTHER_EXPORTS = {
    "buy", "sell", "fee", "transaction buy", "transaction spend", "transaction fee", "transaction revenue",
    "transaction sold", "transaction related", "deposit", "withdraw",
}
INTERNAL_MOVES = {
    "transfer between main and funding wallet", "transfer between spot account and funding account",
    "transfer between main account/futures and margin account", "simple earn flexible subscription",
    "simple earn flexible redemption", "simple earn locked subscription", "simple earn locked redemption",
    "staking purchase", "staking redemption", "pos savings purchase", "pos savings redemption",
    "savings purchase", "savings principal redemption",
}
ACCOUNTS = {"spot", "funding", "earn", "savings", "pool"}


def parse_statement(row) -> dict | None:
    """Wallet > Transaction History > Generate all statements: one balance change per row."""
    timestamp = _when(row, "UTC_Time")
    account = (row.get("Account") or "").strip()
    if account.lower() not in ACCOUNTS:
        raise RowError("Account", f"{account!r}: taxer reads the {', '.join(sorted(ACCOUNTS))} accounts of a "
                                  "Binance statement; futures and margin rows are not supported yet, generate the "
                                  "statement for the spot, funding and earn accounts only")
    operation = " ".join((row.get("Operation") or "").split())
    op = operation.lower()
    change = rows.signed_amount(row.get("Change") or "", "Change")
    coin = (row.get("Coin") or "").strip().upper()
    if not coin:
        raise RowError("Coin", "is empty; expected the asset symbol of the change, such as BTC")
    if op in FROM_OTHER_EXPORTS or op in INTERNAL_MOVES:
        return None
    if op not in INCOME:
        raise RowError("Operation", f"{operation!r} is an operation taxer does not know; it reads income ("
                                    f"{', '.join(sorted(INCOME))}) from the statement and takes trades, deposits "
                                    "and withdrawals from their own exports. Report the operation name to us")
    if change < 0:
        raise RowError("Change", f"{change} is negative but {operation!r} is income; expected a credit")
    return dict(timestamp=timestamp, kind=Kind.INCOME, received=Leg(coin, change), label=INCOME[op],
                description=operation)


TRADES = register(CsvFormat(
    name="binance-trades", title="Binance spot trade history", source=SOURCE, match_by_content=True,
    required=("Date(UTC)", "Pair", "Side", "Price", "Executed", "Amount", "Fee"), parse_row=parse_trade))
DEPOSITS = register(CsvFormat(
    name="binance-deposits", title="Binance deposit history", source=SOURCE, match_by_content=True,
    required=("Date(UTC+0)", "Coin", "Network", "Amount", "Address", "TXID", "Status"), parse_row=parse_deposit))
WITHDRAWALS = register(CsvFormat(
    name="binance-withdrawals", title="Binance withdrawal history", source=SOURCE, match_by_content=True,
    required=("Date(UTC+0)", "Coin", "Network", "Amount", "Fee", "Address", "TXID", "Status"),
    parse_row=parse_withdrawal))
STATEMENT = register(CsvFormat(
    name="binance-statement", title="Binance transaction history statement", source=SOURCE, match_by_content=True,
    required=("UTC_Time", "Account", "Operation", "Coin", "Change", "Remark"), parse_row=parse_statement))
