"""Coinbase's "transaction history" CSV (Statements > Generate report > Transaction history, CSV).

The file opens with a few preamble lines (a tax notice, "Transactions", "User,<name>,<id>") before its header:
ID,Timestamp,Transaction Type,Asset,Quantity Transacted,Price Currency,Price at Transaction,Subtotal,
Total (inclusive of fees and/or spread),Fees and/or Spread,Notes
Older exports have no ID column and say "Spot Price Currency" / "Spot Price at Transaction". Money cells may carry a
currency sign and thousands separators ("$1,234.56"); quantities of sends and sells may be negative.

Records share the API's ledger source ("coinbase") and ids where the file has them: a Send is `withdrawal:<ID>`,
a Receive `deposit:<ID>`, a reward `income:<ID>`, an Advanced Trade fill `trade:<BASE>/<QUOTE>:<ID>` (the ID of
an Advanced Trade row taken to be the fill's trade id), so a file and a sync of one account add nothing twice.
"""

from __future__ import annotations

import re

from taxer.importers import rows
from taxer.importers.formats import CsvFormat, register
from taxer.importers.rows import RowError
from taxer.model import Kind, Leg

COLUMNS = ("ID", "Timestamp", "Transaction Type", "Asset", "Quantity Transacted", "Price Currency",
           "Price at Transaction", "Subtotal", "Total (inclusive of fees and/or spread)", "Fees and/or Spread",
           "Notes")
OLD_COLUMNS = ("Timestamp", "Transaction Type", "Asset", "Quantity Transacted", "Spot Price Currency",
               "Spot Price at Transaction", "Subtotal", "Total (inclusive of fees and/or spread)",
               "Fees and/or Spread", "Notes")
TRADES = {"buy": "buy", "advanced trade buy": "buy", "advance trade buy": "buy", "sell": "sell",
          "advanced trade sell": "sell", "advance trade sell": "sell"}
INCOME = {"staking income": "staking", "inflation reward": "staking", "rewards income": "reward",
          "coinbase earn": "airdrop", "learning reward": "airdrop", "interest income": "interest"}
DEPOSITS = {"receive": "deposit", "deposit": "deposit", "withdrawal": "withdrawal", "send": "withdrawal"}
KNOWN = sorted({*TRADES, *INCOME, *DEPOSITS, "convert"})
# "Bought 0.001 BTC for 43.47 USDT on BTC-USDT at 43210.12 USDT/BTC": the market an Advanced Trade fill was on
PRODUCT = re.compile(r"\bon ([A-Z0-9]+)-([A-Z0-9]+)\b")
CONVERTED = re.compile(r"Converted ([0-9.,]+) ([A-Z0-9]+) to ([0-9.,]+) ([A-Z0-9]+)")
MONEY_SIGNS = "$€£¥"


def _number(row, column: str, *, allow_zero: bool = True):
    """A cell as a positive Decimal: sign, currency symbol and thousands separators removed; None when empty."""
    text = (row.get(column) or "").strip().lstrip("-").lstrip(MONEY_SIGNS).replace(",", "")
    return rows.amount(text, column, allow_zero=allow_zero)


def _price_currency(row) -> str:
    return (row.get("Price Currency") or row.get("Spot Price Currency") or "").strip().upper()


def _quantity(row):
    qty = _number(row, "Quantity Transacted", allow_zero=False)
    if qty is None:
        raise RowError("Quantity Transacted", "is empty; every Coinbase transaction moves a quantity")
    return qty


def parse_row(row) -> dict:
    when = rows.utc_timestamp(row.get("Timestamp") or "", "Timestamp")
    raw_type = (row.get("Transaction Type") or "").strip()
    kind = raw_type.lower()
    asset = (row.get("Asset") or "").strip().upper()
    if not asset:
        raise RowError("Asset", "is empty; expected the coin's symbol (e.g. BTC)")
    ident = (row.get("ID") or "").strip()
    notes = (row.get("Notes") or "").strip() or None
    out: dict = {"timestamp": when, "description": notes or raw_type}
    if kind in TRADES:
        out.update(_trade(row, TRADES[kind], asset, _quantity(row), ident, notes))
    elif kind in INCOME:
        out.update(kind=Kind.INCOME, received=Leg(asset, _quantity(row)), label=INCOME[kind])
        if ident:
            out["external_id"] = f"income:{ident}"
    elif kind in DEPOSITS:
        direction = DEPOSITS[kind]
        leg = Leg(asset, _quantity(row))
        out.update(kind=Kind.DEPOSIT if direction == "deposit" else Kind.WITHDRAWAL,
                   received=leg if direction == "deposit" else None, sent=None if direction == "deposit" else leg)
        if ident:
            out["external_id"] = f"{direction}:{ident}"
    elif kind == "convert":
        out.update(_convert(row, notes))
        if ident:
            out["external_id"] = f"convert:{ident}"
    else:
        raise RowError("Transaction Type", f"unknown Coinbase transaction type {raw_type!r}; taxer reads: "
                                           f"{', '.join(KNOWN)}")
    return out


def _trade(row, side: str, asset: str, qty, ident: str, notes: str | None) -> dict:
    quote = _price_currency(row)
    product = PRODUCT.search(notes or "")
    if product and product.group(1) == asset:
        quote = product.group(2)   # the fill's own market (BTC-USDT), not the user's display currency
    if not quote:
        raise RowError("Price Currency", "is empty; expected the currency the asset was priced in (e.g. USD)")
    subtotal = _number(row, "Subtotal", allow_zero=False)
    if subtotal is None:
        raise RowError("Subtotal", "is empty; a buy or sell needs its value before fees")
    fee = _number(row, "Fees and/or Spread")
    base, quote_leg = Leg(asset, qty), Leg(quote, subtotal)
    out = {"kind": Kind.TRADE, "sent": quote_leg if side == "buy" else base,
           "received": base if side == "buy" else quote_leg, "fee": Leg(quote, fee) if fee else None}
    if ident:
        out["external_id"] = f"trade:{asset}/{quote}:{ident}"
    return out


def _convert(row, notes: str | None) -> dict:
    match = CONVERTED.search(notes or "")
    if not match:
        raise RowError("Notes", f"a Convert row needs Notes like 'Converted 0.5 ETH to 800 USDC'; got {notes!r}")
    sent = rows.amount(match.group(1).replace(",", ""), "Notes")
    received = rows.amount(match.group(3).replace(",", ""), "Notes")
    return {"kind": Kind.TRADE, "sent": Leg(match.group(2), sent), "received": Leg(match.group(4), received)}


FORMAT = register(CsvFormat(name="coinbase", title="Coinbase transaction history", required=COLUMNS,
                            parse_row=parse_row, source="coinbase"))
OLD_FORMAT = register(CsvFormat(name="coinbase_2022", title="Coinbase transaction history (before 2023, no ID)",
                                required=OLD_COLUMNS, parse_row=parse_row, source="coinbase"))
