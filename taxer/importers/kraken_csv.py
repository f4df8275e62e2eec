"""kraken's own exports (Documents > Export on kraken.com): trades.csv and ledgers.csv.

Both carry kraken's ids, so their records get the external ids the API sync gives the same records (source
"kraken"): importing a file and syncing the account adds nothing twice. trades.csv gives the trades; ledgers.csv
gives every balance change: a trade's rows (trade, or spend/receive of a "Buy Crypto", sharing a refid; a fee paid
in KFEE credits as a third row) become one trade with the id trades.csv and the sync give it
(`trade:BASE/QUOTE:<refid>`), deposits and withdrawals (a reversed one moves the coins back), and income (staking,
Earn rewards, airdrops, invite bonuses, KFEE grants). Moves between kraken's own wallets (spot <-> earn/staking)
and pending rows (no txid yet) are skipped and counted; margin and futures rows are refused.
Times in both files are UTC without a zone marker (kraken's documented export format).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from taxer.exchanges.kraken_assets import asset_code, coin
from taxer.exchanges.kraken_ledger import INCOME, funding, income_label
from taxer.importers import rows
from taxer.importers.formats import CsvFormat, register
from taxer.importers.rows import Part, RowError, Skip
from taxer.model import UTC, Kind, Leg

TRADES_REQUIRED = ("txid", "ordertxid", "pair", "time", "type", "ordertype", "price", "cost", "fee", "vol")
LEDGERS_REQUIRED = ("txid", "refid", "time", "type", "subtype", "aclass", "asset", "amount", "fee", "balance")
# Quote ids a pair name can end in, longest first so XXBT wins over XBT (XETHXXBT = ETH/BTC).
QUOTES = ("ZUSD", "ZEUR", "ZGBP", "ZCAD", "ZJPY", "ZAUD", "ZCHF", "XXBT", "XETH", "USDT", "USDC", "PYUSD", "DAI",
          "USD", "EUR", "GBP", "CAD", "JPY", "AUD", "CHF", "XBT", "ETH", "DOT", "SOL")


def _time(value: str, column: str) -> datetime:
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise RowError(column, f"{text!r} is not a time; kraken exports times such as 2024-03-01 14:05:00.1234 "
                               "(UTC)") from None
    return rows.checked_time(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC), column, text)  # UTC


def _asset(value: str, column: str) -> str:
    text = rows.asset(value, column, upper=False)
    if not text:
        raise RowError(column, "is empty; expected kraken's asset code such as XXBT or SOL")
    return coin(text)   # the sync's own mapping: XBT.M -> BTC, DOT.S -> DOT


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


# Ledger types and subtypes (lower-cased) that move coins between the user's own kraken wallets.
OWN_WALLETS = "move between own kraken wallets"
INTERNAL_SUBTYPES = {"allocation", "autoallocation", "deallocation", "spottostaking", "stakingfromspot",
                     "stakingtospot", "spotfromstaking", "spottofutures", "spotfromfutures", "migration", ""}
# Ledger types a trade is made of: the two (or three, with a KFEE fee credit) rows share the trade's refid.
TRADE_TYPES = {"trade", "spend", "receive"}
REFUSED = {"margin", "rollover", "settled", "adjustment", "sale", "conversion", "credit"}
# Quote preference to name a ledger trade's market as trades.csv and the sync do (fiat, then stablecoins...).
QUOTE_ORDER = ("EUR", "USD", "GBP", "CAD", "JPY", "AUD", "CHF", "USDT", "USDC", "PYUSD", "DAI", "BTC", "ETH", "DOT",
               "SOL")


def parse_ledger(row) -> dict | Skip | Part:
    txid, refid = (row.get("txid") or "").strip(), (row.get("refid") or "").strip()
    if not txid:
        return Skip("pending (kraken lists it again with a txid)")
    kind, subtype = (row.get("type") or "").strip().lower(), (row.get("subtype") or "").strip().lower()
    amount = rows.signed_amount(row.get("amount") or "", "amount", allow_zero=True)
    fee = rows.amount(row.get("fee") or "", "fee", allow_zero=True) or Decimal(0)
    when = _time(row.get("time") or "", "time")
    if kind in TRADE_TYPES:
        if not refid:
            raise RowError("refid", "is empty; a trade's rows carry the trade's reference id")
        asset = _asset(row.get("asset") or "", "asset")
        if amount == 0 and not fee:
            return Part(key=refid, operation=kind, leg=Leg(asset, Decimal(0)), role="none",
                        fields={"timestamp": when})
        role = "received" if amount > 0 else "sent" if amount < 0 else "fee"
        return Part(key=refid, operation=kind, leg=Leg(asset, abs(amount) if amount else fee), role=role,
                    fields={"timestamp": when, "fee": Leg(asset, fee) if fee and amount else None})
    label = income_label(kind, subtype, row.get("asset") or "", amount)
    if label is not None:
        if amount - fee <= 0:
            raise RowError("amount", f"{amount} less the fee {fee} is no credit, but {kind} {subtype} is income")
        asset = _asset(row.get("asset") or "", "asset")
        return {"timestamp": when, "kind": Kind.INCOME, "received": Leg(asset, amount - fee), "label": label,
                "description": f"kraken {kind} {subtype}".strip(), "external_id": f"income:{txid}"}
    if kind in ("deposit", "withdrawal"):
        if not refid:
            raise RowError("refid", f"is empty; a {kind} row carries the {kind}'s reference id")
        move = funding(kind, amount)
        if move is None:
            raise RowError("amount", f"is zero; a {kind} moves coins")
        direction, reversed_ = move
        asset = _asset(row.get("asset") or "", "asset")
        incoming = direction == "deposit"
        leg = Leg(asset, abs(amount))
        return {"timestamp": when, "kind": Kind.DEPOSIT if incoming else Kind.WITHDRAWAL,
                "received": leg if incoming else None, "sent": None if incoming else leg,
                "fee": Leg(asset, fee) if fee else None,
                "description": f"{kind} reversed" if reversed_ else kind, "external_id": f"{direction}:{refid}"}
    if kind in ("earn", "transfer", "staking") and subtype in INTERNAL_SUBTYPES | {"spotfromstaking"}:
        if fee:
            raise RowError("fee", f"{kind} {subtype or '(no subtype)'} moves coins between kraken's wallets but "
                                  f"charges a fee of {fee}; taxer does not know this row: report it to us")
        return Skip(OWN_WALLETS)
    if kind in REFUSED:
        raise RowError("type", f"{row.get('type')!r}: kraken margin and futures bookkeeping is not supported; taxer "
                               "reads spot trades, funding and income")
    known = sorted({"deposit", "withdrawal", "earn", "transfer", *TRADE_TYPES} | {k for k, _ in INCOME})
    raise RowError("type", f"unknown kraken ledger type {row.get('type')!r} (subtype {row.get('subtype')!r}); "
                           f"known: {', '.join(known)}")


def _market(a: str, b: str) -> str:
    """The market of a ledger trade between assets a and b, as trades.csv and the sync name it (BTC/EUR)."""
    rank = {q: i for i, q in enumerate(QUOTE_ORDER)}
    base, quote = sorted((a, b), key=lambda x: rank.get(x, len(rank)))[::-1]
    return f"{base}/{quote}"


def combine_trade(parts: list[Part]) -> list[tuple[list[Part], dict]]:
    """A trade's ledger rows (one refid) as one trade: the debit is sent, the credit received, the fee the one
    fee charged (in the coin kraken charged, or in KFEE credits)."""
    sent = [p for p in parts if p.role == "sent"]
    received = [p for p in parts if p.role == "received"]
    fees = [f for f in [p.fields.get("fee") for p in parts] + [p.leg for p in parts if p.role == "fee"] if f]
    if len(sent) != 1 or len(received) != 1 or len({f.asset for f in fees}) > 1:
        raise RowError("refid", f"the rows of trade {parts[0].key} do not make one trade (debits: {len(sent)}, "
                                f"credits: {len(received)}, fee coins: {len({f.asset for f in fees})}); the file "
                                "looks cut or edited", part=parts[0])
    fee = Leg(fees[0].asset, sum((f.amount for f in fees), Decimal(0))) if fees else None
    s, r = sent[0].leg, received[0].leg
    symbol = _market(s.asset, r.asset)
    side = "buy" if symbol.startswith(r.asset + "/") else "sell"
    return [(parts, {"timestamp": min(p.fields["timestamp"] for p in parts), "kind": Kind.TRADE, "sent": s,
                     "received": r, "fee": fee, "description": f"{side} {symbol}",
                     "external_id": f"trade:{symbol}:{parts[0].key}"})]


TRADES = register(CsvFormat(name="kraken_trades", title="kraken trades.csv", required=TRADES_REQUIRED,
                            parse_row=parse_trade, source="kraken"))
LEDGERS = register(CsvFormat(name="kraken_ledgers", title="kraken ledgers.csv", required=LEDGERS_REQUIRED,
                             parse_row=parse_ledger, source="kraken", combine=combine_trade))
