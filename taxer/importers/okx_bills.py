"""okx's bill exports, one row per balance change: the trading account statement ("Trading history"), the
funding account bills, and OKEx's first trade bill (before 2022).

- Trading account statement: `id,Order id,Time,Trade Type,Instrument,Type,Amount,Unit,PL,Fee,Position Change,
  Position Balance,Balance Change,Balance,Unit` (a UTF-8 BOM before `id`, two columns named Unit: the amount's and
  the balance's). A spot trade is a Buy row (the coin received, its fee negative in the same unit) and a Sell row
  (the coin spent) with one Order id (or, without one, one id), in either order: combined into one trade. Transfer
  rows are moves between the user's own okx accounts; futures, swaps, options and margin rows are refused.
- Funding account bills: `id,Time,Type,Amount,Before Balance,After Balance,Fee,Symbol` (some files have an unnamed
  second column). Amount signed, Fee positive on top.
- OKEx trade bill: `time,type,size,balance,fee,currency`, each trade a buy row then a sell row of one time, times
  in China Standard Time ("2021-03-01 18:00:00 CST", UTC+8).
Times without a zone are read as UTC (okx lets the user pick the statement's zone and these columns do not name
it: export in UTC). None of these files carries the fill or deposit ids the API
gives, so their rows are matched by content (CsvFormat.match_by_content) against a sync of the same account.
"""

from __future__ import annotations

from datetime import timedelta, timezone

from taxer.importers import rows
from taxer.importers.formats import CsvFormat, register
from taxer.importers.rows import Part, RowError, Skip
from taxer.model import Kind, Leg

CST = timezone(timedelta(hours=8), "CST")
OWN = "move between own okx accounts"
DERIVATIVES = {"perpetual", "futures", "swap", "options", "option", "margin", "expiry futures"}


def _charged(row, column: str):
    """A fee okx prints as a debit ('-0.00001'): its size; a credit is refused (not a fee)."""
    text = (row.get(column) or "").strip()
    fee = rows.signed_amount(text or "0", column, allow_zero=True)
    if fee > 0:
        raise RowError(column, f"{text!r} is a credit; okx prints a charged fee as a debit such as -0.001")
    return -fee


def parse_statement_row(row) -> dict | Skip | Part:
    when = rows.naive_time(row.get("Time") or "", "Time")
    trade_type = (row.get("Trade Type") or "").strip()
    if trade_type.lower() == "transfer":
        return Skip(OWN)
    if trade_type.lower() in DERIVATIVES:
        raise RowError("Trade Type", f"{trade_type!r} ({(row.get('Instrument') or '').strip()}): okx derivatives "
                                     "are not supported; taxer reads spot trades")
    if trade_type.lower() != "spot":
        raise RowError("Trade Type", f"{trade_type!r} is not a trade type taxer knows; it reads Spot and Transfer")
    side = rows.choice(row, "Type", {"buy": "received", "sell": "sent"})
    unit = rows.asset(row.get("Unit") or "", "Unit")
    if not unit:
        raise RowError("Unit", "is empty; expected the coin of Amount")
    amount = rows.amount(row.get("Amount") or "", "Amount")   # unsigned: Type says the direction
    if amount is None:
        raise RowError("Amount", "is empty; a trade row moves a coin")
    fee = _charged(row, "Fee")
    key = (row.get("Order id") or "").strip() or (row.get("id") or "").strip()
    if not key:
        raise RowError("id", "is empty; a trade's two rows are told together by their ids")
    instrument = (row.get("Instrument") or "").strip().upper()
    return Part(key=key, operation="spot", leg=Leg(unit, amount), role=side,
                fields={"timestamp": when, "description": f"okx spot {instrument}".strip(),
                        "fee": Leg(unit, fee) if fee else None})


FUNDING_TYPES = {
    "deposit": (Kind.DEPOSIT, None), "withdrawal": (Kind.WITHDRAWAL, None),
    "staking yield": (Kind.INCOME, "staking"), "earn interest": (Kind.INCOME, "interest"),
    "savings interest": (Kind.INCOME, "interest"), "airdrop": (Kind.INCOME, "airdrop"),
    "fee rebate": (Kind.INCOME, "reward"),
}
FUNDING_OWN = {"stake", "redeem staking", "savings subscription", "savings redemption", "transfer in",
               "transfer out", "from unified trading account", "to unified trading account",
               "from trading account", "to trading account", "from funding account", "to funding account"}


def parse_funding(row) -> dict | Skip:
    when = rows.naive_time(row.get("Time") or "", "Time")
    raw_type = (row.get("Type") or "").strip()
    kind_label = FUNDING_TYPES.get(raw_type.lower())
    change = rows.signed_amount(row.get("Amount") or "", "Amount")
    coin = rows.asset(row.get("Symbol") or "", "Symbol")
    if not coin:
        raise RowError("Symbol", "is empty; expected the coin of the bill, such as USDT")
    if raw_type.lower() in FUNDING_OWN:
        return Skip(OWN)
    if kind_label is None:
        raise RowError("Type", f"unknown okx funding bill type {raw_type!r}; taxer reads: "
                               f"{', '.join(sorted({*FUNDING_TYPES, *FUNDING_OWN}))}")
    kind, label = kind_label
    incoming = kind is not Kind.WITHDRAWAL
    if (change > 0) != incoming:
        raise RowError("Amount", f"{change} has the wrong sign for {raw_type!r}")
    fee = rows.amount(row.get("Fee") or "", "Fee", allow_zero=True)
    leg = Leg(coin, abs(change))
    return {"timestamp": when, "kind": kind, "received": leg if incoming else None,
            "sent": None if incoming else leg, "fee": Leg(coin, fee) if fee and not incoming else None,
            "label": label, "description": f"okx {raw_type.lower()}"}


def parse_v1(row) -> Part:
    when = rows.naive_time((row.get("time") or "").strip().removesuffix("CST").strip(), "time", CST)
    side = rows.choice(row, "type", {"buy": "received", "sell": "sent"})
    coin = rows.asset(row.get("currency") or "", "currency")
    if not coin:
        raise RowError("currency", "is empty; expected the coin of the row")
    size = rows.signed_amount(row.get("size") or "", "size")
    if (size > 0) != (side == "received"):
        raise RowError("size", f"{size} has the wrong sign for a {row.get('type', '').strip()} row (a buy row is "
                               "the coin received, positive; a sell row the coin spent, negative)")
    size = abs(size)
    fee = _charged(row, "fee")
    return Part(key=when.isoformat(), operation="v1", leg=Leg(coin, size), role=side,
                fields={"timestamp": when, "description": "okex trade", "fee": Leg(coin, fee) if fee else None})


def combine(parts: list[Part]) -> list[tuple[list[Part], dict]]:
    """A trade's rows: the coin in, the coin out, the fee riding on a row (pairwise when one moment holds more)."""
    expanded = []
    for p in parts:
        expanded.append(p)
        fee = p.fields.get("fee")
        if fee:
            expanded.append(Part(key=p.key, operation=p.operation, leg=fee, role="fee", fields=p.fields))
    return [([p for p in parts if any(m is p for m in members)], fields)
            for members, fields in rows.combine_trades(expanded, pairwise=True)]


STATEMENT = register(CsvFormat(
    name="okx-statement", title="okx trading account statement", source="okx", match_by_content=True,
    required=("id", "Order id", "Time", "Trade Type", "Instrument", "Type", "Amount", "Unit", "Fee",
              "Balance Change", "Balance"), repeated=("Unit",), parse_row=parse_statement_row, combine=combine,
    columns=("PL", "Position Change", "Position Balance")))
FUNDING_BILLS = register(CsvFormat(
    name="okx-funding-bills", title="okx funding account bills", source="okx", match_by_content=True,
    required=("id", "Time", "Type", "Amount", "Before Balance", "After Balance", "Fee", "Symbol"),
    parse_row=parse_funding, columns=()))
V1_TRADES = register(CsvFormat(
    name="okx-trades-v1", title="OKEx trade bill (before 2022)", source="okx", match_by_content=True,
    required=("time", "type", "size", "balance", "fee", "currency"), parse_row=parse_v1, combine=combine,
    columns=()))
