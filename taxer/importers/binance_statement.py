"""Binance's Transaction History statement (Wallet > Transaction History > Generate all statements).

One row per balance change: `User_ID,UTC_Time,Account,Operation,Coin,Change,Remark` (older statements have no
User_ID), times in UTC, Change signed. A trade is spread over several rows of one second (Buy/Sell/Transaction
Buy/Spend/Sold/Revenue/Related for the two coins, Fee/Transaction Fee for the fee, in any order, a multi-fill
order as several rows per coin); a Binance Convert is a pair of rows, a dust conversion ("Small assets exchange
BNB") a coin row and a BNB row. Those rows are combined here into one trade per second; when the rows of one
second hold more than one pair of coins, which amount belongs to which trade is not in the file and the statement
is refused there. Deposits, withdrawals (the Change includes the network fee, which the statement does not
split), income (staking, earn interest, airdrops, distributions, rewards) are one row each; moves between the
user's own Binance wallets (spot, funding, earn, futures) are skipped and counted. Futures and margin rows are
refused: taxer reads spot accounts.

The rows carry no Binance ids: matched by content (CsvFormat.match_by_content), so a single-fill trade imported
from both the statement and the spot trade history is held once; a trade of several fills in one second is one
trade here and several in the trade history, so import one of the two for a period, not both.
"""

from __future__ import annotations

from taxer.importers import rows
from taxer.importers.formats import CsvFormat, register
from taxer.importers.rows import Part, RowError, Skip
from taxer.model import Kind, Leg

TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%y-%m-%d %H:%M:%S")
# Operation names (lower-cased) as Binance writes them (from BittyTax's and rotki's statement readers).
INCOME = {
    "staking rewards": "staking", "pos savings interest": "staking", "eth 2.0 staking rewards": "staking",
    "simple earn locked rewards": "staking", "bnb vault rewards": "staking", "dot slot auction rewards": "staking",
    "savings interest": "interest", "simple earn flexible interest": "interest", "launchpool interest": "interest",
    "savings distribution": "interest", "pool distribution": "interest", "liquid swap rewards": "interest",
    "swap farming rewards": "interest", "launchpool earnings withdrawal": "interest",
    "airdrop assets": "airdrop", "distribution": "airdrop", "simple earn flexible airdrop": "airdrop",
    "launchpool airdrop": "airdrop", "hodler airdrops distribution": "airdrop", "megadrop rewards": "airdrop",
    "launchpool airdrop - user claim distribution": "airdrop", "launchpool airdrop - system distribution": "airdrop",
    "super bnb mining": "mining",
    "commission history": "reward", "referral kickback": "reward", "referral commission": "reward",
    "commission rebate": "reward", "commission fee shared with you": "reward", "referrer rebates": "reward",
    "cash voucher distribution": "reward", "campaign related reward": "reward",
    "mission reward distribution": "reward",
}
TRADE = {"buy", "sell", "fee", "transaction related", "transaction buy", "transaction fee", "transaction spend",
         "transaction sold", "transaction revenue"}
CONVERT = {"binance convert", "large otc trading", "buy crypto with card"}
DUST = {"small assets exchange bnb"}
FEES = {"fee", "transaction fee"}
DEPOSITS = {"deposit", "fiat deposit", "buy crypto"}   # Buy Crypto: a card purchase; its fiat side is not here
WITHDRAWALS = {"withdraw", "fiat withdraw", "fiat withdrawal", "send"}
INTERNAL = {
    "simple earn flexible subscription", "simple earn flexible redemption", "simple earn locked subscription",
    "simple earn locked redemption", "staking purchase", "staking redemption", "pos savings purchase",
    "pos savings redemption", "savings purchase", "savings principal redemption", "launchpool subscription/redemption",
    "eth 2.0 staking", "transfer_in", "transfer_out",
}
ACCOUNTS = {"spot", "funding", "earn", "savings", "pool"}
OWN_WALLETS = "move between own Binance wallets"


def _internal(op: str) -> bool:
    return op in INTERNAL or op.startswith("transfer between")


def parse_row(row) -> dict | Skip | Part:
    """One statement row: a transaction, a Skip, or a Part of a trade the driver combines."""
    timestamp = rows.plain_datetime(row.get("UTC_Time") or "", "UTC_Time", TIME_FORMATS)
    account = (row.get("Account") or "").strip()
    operation = " ".join((row.get("Operation") or "").split())
    op = operation.lower()
    change = rows.signed_amount(row.get("Change") or "", "Change")
    coin = rows.asset(row.get("Coin") or "", "Coin")
    if not coin:
        raise RowError("Coin", "is empty; expected the asset symbol of the change, such as BTC")
    if _internal(op):
        return Skip(OWN_WALLETS)
    if account.lower() not in ACCOUNTS:
        raise RowError("Account", f"{account!r} ({operation}): taxer reads the {', '.join(sorted(ACCOUNTS))} "
                                  "accounts of a Binance statement; futures and margin are not supported, generate "
                                  "the statement for the spot, funding and earn accounts only")
    leg = Leg(coin, abs(change))
    if op in TRADE or op in CONVERT or op in DUST:
        if op in FEES and change > 0:
            raise RowError("Change", f"{change} is a credit but {operation!r} is a fee; expected a debit")
        role = "fee" if op in FEES else "received" if change > 0 else "sent"
        group = "trade" if op in TRADE else op
        return Part(key=f"{timestamp.isoformat()}|{group}", operation=op, leg=leg, role=role,
                    fields={"timestamp": timestamp, "description": f"binance {group}"})
    if op in DEPOSITS or op in WITHDRAWALS:
        deposit = op in DEPOSITS
        if (change > 0) != deposit:
            raise RowError("Change", f"{change} has the wrong sign for {operation!r} (a deposit is a credit, a "
                                     "withdrawal a debit); a reversed transfer is not supported: check the row")
        return dict(timestamp=timestamp, kind=Kind.DEPOSIT if deposit else Kind.WITHDRAWAL,
                    received=leg if deposit else None, sent=None if deposit else leg, description=operation)
    if op in INCOME:
        if change < 0:
            raise RowError("Change", f"{change} is negative but {operation!r} is income; expected a credit")
        return dict(timestamp=timestamp, kind=Kind.INCOME, received=leg, label=INCOME[op], description=operation)
    raise RowError("Operation", f"{operation!r} is an operation taxer does not know; it reads trades, converts, "
                                "dust conversions, deposits, withdrawals, income and moves between own wallets. "
                                "Report the operation name to us")


def combine(parts: list[Part]) -> list[tuple[list[Part], dict]]:
    """The rows of one second and operation as trades; a dust conversion of several coins pair by pair."""
    return rows.combine_trades(parts, pairwise=parts[0].operation in DUST)


STATEMENT = register(CsvFormat(
    name="binance-statement", title="Binance transaction history statement", source="binance",
    match_by_content=True, required=("UTC_Time", "Account", "Operation", "Coin", "Change", "Remark"),
    parse_row=parse_row, combine=combine, columns=("User_ID",)))
