"""kraken's own exports (Documents > Export on kraken.com): trades.csv and ledgers.csv.

Both carry kraken's ids, so their records get the external ids the API sync gives the same records (source
"kraken"): importing a file and syncing the account adds nothing twice. trades.csv gives the trades; ledgers.csv
gives deposits, withdrawals and income (staking, Earn rewards, airdrops). A trade's two ledgers.csv rows, the moves
between kraken's own wallets (spot <-> earn/staking) and pending rows (no txid yet) are skipped there: the trade
comes from trades.csv, and an internal move is not a taxable event.
Times in both files are UTC without a zone marker (kraken's documented export format).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from taxer.exchanges.kraken import asset_code, held_asset, income_label
from taxer.importers import rows
from taxer.importers.formats import CsvFormat, register
from taxer.importers.rows import RowError
from taxer.model import UTC, Kind, Leg

TRADES_REQUIRED = ("txid", "ordertxid", "pair", "time", "type", "ordertype", "price", "cost", "fee", "vol")
LEDGERS_REQUIRED = ("txid", "refid", "time", "type", "subtype", "aclass", "asset", "amount", "fee", "balance")
# Quote ids a pair name can end in, longest first so XXBT wins over XBT (XETHXXBT = ETH/BTC).
QUOTES = ("ZUSD", "ZEUR", "ZGBP", "ZCAD", "ZJPY", "ZAUD", "ZCHF", "XXBT", "XETH", "USDT", "USDC", "PYUSD", "DAI",
          "USD", "EUR", "GBP", "CAD", "JPY", "AUD", "CHF", "XBT", "ETH", "DOT", "SOL")
# Ledger types that hold nothing for the ledger here: trade legs (trades.csv has the trades), moves between
# kraken's own wallets, margin bookkeeping.
SKIPPED = {"trade", "margin", "rollover", "settled", "transfer", "earn", "staking", "adjustment", "credit",
           "spend", "receive", "sale", "conversion", "dividend"}


def _time(value: str, column: str) -> datetime:
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise RowError(column, f"{text!r} is not a time; kraken exports times such as 2024-03-01 14:05:00.1234 "
                               "(UTC)") from None
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC)
    return parsed.replace(tzinfo=UTC)   # kraken's exports are in UTC


def _asset(value: str, column: str) -> str:
    text = value.strip()
    if not text:
        raise RowError(column, "is empty; expected kraken's asset code such as XXBT or SOL")
    return held_asset(asset_code(text))


def pair_symbol(pair: str) -> str:
    """kraken's pair name as ccxt's unified symbol: XXBTZUSD -> BTC/USD, SOLXBT -> SOL/BTC, XBTUSDT -> BTC/USDT."""
    text = pair.strip().upper()
    if "/" in text:   # some exports write the ws name (XBT/USD)
        base, _, quote = text.partition("/")
        return f"{asset_code(base)}/{asset_code(quote)}"
    for quote in QUOTES:
        if text.endswith(quote) and len(text) > len(quote):
            return f"{asset_code(text[:-len(quote)])}/{asset_code(quote)}"
    raise RowError("pair", f"{pair!r} is not a kraken pair this importer knows (such as XXBTZUSD or SOLUSDT); "
                           f"quotes known: {', '.join(QUOTES)}")


def parse_trade(row) -> dict:
    txid = (row.get("txid") or "").strip()
    if not txid:
        raise RowError("txid", "is empty; every trade kraken exports has a txid")
    symbol = pair_symbol(row.get("pair") or "")
    base, quote = symbol.split("/")
    side = (row.get("type") or "").strip().lower()
    if side not in ("buy", "sell"):
        raise RowError("type", f"{row.get('type')!r} is not a trade side; expected buy or sell")
    vol = rows.amount(row.get("vol") or "", "vol")
    cost = rows.amount(row.get("cost") or "", "cost")
    if vol is None or cost is None:
        raise RowError("vol" if vol is None else "cost", "is empty; a trade has a volume and a cost")
    fee = rows.amount(row.get("fee") or "", "fee", allow_zero=True)
    base_leg, quote_leg = Leg(base, vol), Leg(quote, cost)
    buy = side == "buy"
    return {"timestamp": _time(row.get("time") or "", "time"), "kind": Kind.TRADE,
            "sent": quote_leg if buy else base_leg, "received": base_leg if buy else quote_leg,
            "fee": Leg(quote, fee) if fee else None,   # kraken states trade fees in the quote currency
            "description": f"{side} {symbol}", "external_id": f"trade:{symbol}:{txid}"}


def parse_ledger(row) -> dict | None:
    txid, refid = (row.get("txid") or "").strip(), (row.get("refid") or "").strip()
    if not txid:
        return None   # pending (a deposit not yet credited): kraken exports it again with its txid once it is
    kind, subtype = (row.get("type") or "").strip().lower(), (row.get("subtype") or "").strip().lower()
    amount = rows.signed_amount(row.get("amount") or "", "amount", allow_zero=True)
    fee = rows.amount(row.get("fee") or "", "fee", allow_zero=True) or Decimal(0)
    label = income_label(kind, subtype)
    if label is not None and amount - fee > 0:
        asset = _asset(row.get("asset") or "", "asset")
        return {"timestamp": _time(row.get("time") or "", "time"), "kind": Kind.INCOME,
                "received": Leg(asset, amount - fee), "label": label,
                "description": f"kraken {kind} {subtype}".strip(), "external_id": f"income:{txid}"}
    if kind in ("deposit", "withdrawal"):
        if not refid:
            raise RowError("refid", f"is empty; a {kind} row carries the {kind}'s reference id")
        if (amount > 0) != (kind == "deposit") or amount == 0:
            raise RowError("amount", f"{amount} has the wrong sign for a {kind} (deposits are positive, "
                                     "withdrawals negative)")
        asset = _asset(row.get("asset") or "", "asset")
        leg = Leg(asset, abs(amount))
        deposit = kind == "deposit"
        return {"timestamp": _time(row.get("time") or "", "time"),
                "kind": Kind.DEPOSIT if deposit else Kind.WITHDRAWAL,
                "received": leg if deposit else None, "sent": None if deposit else leg,
                "fee": Leg(asset, fee) if fee else None, "description": kind, "external_id": f"{kind}:{refid}"}
    if kind in SKIPPED:
        return None
    raise RowError("type", f"unknown kraken ledger type {row.get('type')!r}; known: "
                           f"{', '.join(sorted(SKIPPED | {'deposit', 'withdrawal'}))}")


TRADES = register(CsvFormat(name="kraken_trades", title="kraken trades.csv", required=TRADES_REQUIRED,
                            parse_row=parse_trade, source="kraken"))
LEDGERS = register(CsvFormat(name="kraken_ledgers", title="kraken ledgers.csv", required=LEDGERS_REQUIRED,
                             parse_row=parse_ledger, source="kraken"))
