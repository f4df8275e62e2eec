"""kraken's spot REST API (/0/public, /0/private), as ccxt 4.5.90 calls it, over a History; and its CSV exports.

Private calls are POST with a form body carrying a growing `nonce`; every answer is `{"error": [...], "result": ...}`
(HTTP 200 for API errors, as kraken does). TradesHistory and Ledgers page newest first by `ofs`, 50 rows a page,
with `count` the total in the [start, end] range (start exclusive, end inclusive, unix seconds).
Deliberate differences from the real API (documented so nobody relies on them):
- ids are the History's numbers, not kraken's "TXXXXX-XXXXX-XXXXXX" strings (a sync test compares them);
- DepositStatus/WithdrawStatus need the key's Deposit Funds / Withdraw Funds permission, as kraken's do (a read-only
  key gets `EGeneral:Permission denied`, tests/real/api/kraken/error--permission-denied.json); without `cursor` they
  answer the newest `limit` (default 25) records of [start, end];
  the real cursor mode is not served;
- OHLC serves the oldest 720 candles after `since` (the real API keeps only the latest 720);
- a TradesHistory `fee` is in the quote currency (kraken documents it so): where the History charged the fee in the
  base coin (its buys, like a kraken order with `fcib`), it is converted at the trade price; the ledger entries,
  which QueryLedgers returns, carry the fee in the coin actually charged.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import threading
from bisect import bisect_right
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import ClassVar
from urllib.parse import parse_qsl

from taxer_replica.base import ApiError, Exchange, Permissions, Request, Response, dumps, plain
from taxer_replica.history import NETWORKS, History, LedgerEntry, Market, Trade, Transfer, to_ms

PAGE = 50                        # TradesHistory and Ledgers: fixed page size
TRANSFERS_DEFAULT, TRANSFERS_MAX = 25, 500
QUERY_MAX = 20                   # ids per QueryLedgers call
OHLC_MAX = 720
INTERVALS = {"1": "1m", "60": "1h", "1440": "1d"}
# Legacy X/Z-prefixed asset ids (kraken's Assets); newer assets use their plain code.
ASSET_IDS = {"BTC": "XXBT", "ETH": "XETH", "USD": "ZUSD", "EUR": "ZEUR", "GBP": "ZGBP", "CAD": "ZCAD",
             "JPY": "ZJPY", "AUD": "ZAUD", "LTC": "XLTC", "XRP": "XXRP", "DOGE": "XXDG", "XLM": "XXLM",
             "XMR": "XXMR", "ZEC": "XZEC", "ETC": "XETC"}
ALTNAMES = {"BTC": "XBT", "DOGE": "XDG"}
# Staking rewards: type "staking" until kraken moved staking into Earn, then type "earn" subtype "reward".
EARN_SINCE = to_ms("2024-01-01")
METHODS = {"BTC": "Bitcoin", "ETH": "Ether", "SOL": "Solana", "USDT": "Tether USD (TRC20)", "USDC": "USDC"}
# GetApiKeyInfo `permissions`: a list of strings (kraken docs, "Get API Key Info", https://docs.kraken.com/
# api-reference/account-data/get-api-key-info, whose example shows query-funds, query-open-trades, modify-trades and
# withdraw-funds). The rest are the key settings page's names written the same way (an inference: see
# taxer/exchanges/kraken.py).
READ = ("query-funds", "query-open-trades", "query-closed-trades", "query-ledger", "export-data")
TRADE = ("modify-trades", "cancel-trades")
MOVE = ("withdraw-funds",)
DEPOSIT = "deposit-funds"   # deposit methods, addresses and DepositStatus (KeyFacts.deposit_funds)


def _seconds_text(ms: int | None) -> str:
    return str(ms // 1000) if ms else "0"


def asset_id(code: str) -> str:
    return ASSET_IDS.get(code, code)


def altname(code: str) -> str:
    return ALTNAMES.get(code, code)


def pair_id(m: Market) -> str:
    """XXBTZUSD when both assets have legacy ids, else the altname (XBTUSDT, SOLXBT)."""
    base, quote = asset_id(m.base), asset_id(m.quote)
    if base != m.base and quote != m.quote:
        return base + quote
    return altname(m.base) + altname(m.quote)


def seconds(ms: int) -> float:
    """kraken's float seconds; the shortest repr of ms / 1000 is exact to the millisecond (float ok: a time)."""
    return float(Decimal(ms).scaleb(-3))  # not money: a time, as kraken's JSON writes it


def _error(message: str, status: int = 200) -> ApiError:
    return ApiError(status, {"error": [message]})


def _time_param(params: dict, name: str) -> int | None:
    """A unix-seconds bound (decimals allowed) in ms; kraken also takes ids there, which the replica does not."""
    raw = params.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(Decimal(raw) * 1000)
    except InvalidOperation:
        raise _error(f"EGeneral:Invalid arguments:{name}") from None


def _int_param(params: dict, name: str) -> int | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    if not raw.lstrip("-").isdigit():
        raise _error(f"EGeneral:Invalid arguments:{name}")
    return int(raw)


def quote_fee(t: Trade, m: Market) -> Decimal:
    """A trade's fee as kraken's TradesHistory and trades.csv state it: in the quote currency."""
    if t.fee_currency == m.quote:
        return t.fee
    return (t.fee * t.price).quantize(Decimal("1E-8"), ROUND_HALF_UP)


class Api(Exchange):
    name = "kraken"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._markets = {pair_id(m): m for m in self.history.markets}
        self._by_symbol = {m.symbol: m for m in self.history.markets}
        self._series: dict[tuple, tuple[Sequence, list[int]]] = {}
        self._nonce_lock = threading.Lock()
        self._last_nonce = 0
        self._ledger_of_trade: dict[str, list[str]] | None = None
        self._entries: dict[str, LedgerEntry] | None = None

    # --- envelope, errors, auth -------------------------------------------------------------------------------------
    def wrap(self, payload: object) -> object:
        return {"error": [], "result": payload}

    def not_found(self, request: Request) -> ApiError:
        # tests/real/api/kraken/error--unknown-method.json (voidloop/krakenapi PR #14): HTTP 200, like every error
        return _error("EGeneral:Unknown method")

    def refusal(self, kind: str, request: Request | None = None) -> ApiError:
        if kind == "not_authorized":   # tests/real/api/kraken/error--permission-denied.json (support.kraken.com)
            return _error("EGeneral:Permission denied")
        return self.not_found(request)

    def rate_limited(self, retry_after: int) -> Response:
        return Response(429, dumps({"error": ["EAPI:Rate limit exceeded"]}), {"Retry-After": str(retry_after)})

    def server_error(self) -> Response:
        return Response(503, dumps({"error": ["EService:Unavailable"]}))

    def rate_limit_key(self, request: Request) -> tuple[str, float, float]:
        # kraken's call counter: history calls cost 2, other private calls 1; public calls about 1 per second
        if "/private/" not in request.path:
            return ("public", 1.0, 1.0)
        heavy = request.path.endswith(("TradesHistory", "Ledgers", "QueryLedgers"))
        return ("private", 2.0 if heavy else 1.0, 15.0)

    def authenticate(self, request: Request) -> None:
        params = self.params(request)
        key, sign = request.headers.get("API-Key"), request.headers.get("API-Sign")
        # kraken answers a wrong key and a wrong signature alike: "EAPI:Invalid key"
        if not key or key != self.credentials.api_key or not sign:
            raise _error("EAPI:Invalid key")
        nonce = params.get("nonce") or ""
        if not nonce.isdigit():
            raise _error("EAPI:Invalid nonce")
        digest = hashlib.sha256((nonce + request.body.decode()).encode()).digest()
        secret = base64.b64decode(self.credentials.secret)
        expected = base64.b64encode(hmac.new(secret, request.path.encode() + digest, hashlib.sha512).digest())
        if not hmac.compare_digest(expected.decode(), sign):
            raise _error("EAPI:Invalid key")
        with self._nonce_lock:   # checked after the signature: a forged request must not burn nonces
            if int(nonce) <= self._last_nonce:
                raise _error("EAPI:Invalid nonce")
            self._last_nonce = int(nonce)

    @staticmethod
    def params(request: Request) -> dict[str, str]:
        """Private calls carry their parameters in the form body; public ones in the query."""
        if request.method == "POST":
            return dict(parse_qsl(request.body.decode(), keep_blank_values=True))
        return request.query

    # --- helpers ----------------------------------------------------------------------------------------------------
    def _range(self, key: tuple, records: Sequence, times: Sequence[int], params: dict) -> list:
        """Records with start < time <= end (ms; `times` ascending as reported), newest first."""
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = (records, list(times))
        records, stamps = series
        start, end = _time_param(params, "start"), _time_param(params, "end")
        lo = 0 if start is None else bisect_right(stamps, start)
        hi = len(stamps) if end is None else bisect_right(stamps, end)
        return [records[i] for i in range(hi - 1, lo - 1, -1)]

    def _page(self, rows: list, params: dict) -> list:
        ofs = _int_param(params, "ofs") or 0
        if ofs < 0:
            raise _error("EGeneral:Invalid arguments:ofs")
        return rows[ofs:ofs + PAGE]

    def ledger_entries(self) -> tuple[LedgerEntry, ...]:
        """The History's balance changes plus its extras (earn rewards, airdrops, own-wallet moves, trade fees paid
        in KFEE), in time order."""
        cached = getattr(self, "_all_entries", None)
        if cached is None:
            cached = self._all_entries = tuple(sorted(_with_extras(self.history), key=lambda e: e.timestamp))
        return cached

    def _ledger_index(self) -> tuple[dict[str, LedgerEntry], dict[str, list[str]]]:
        if self._entries is None:
            entries, by_trade = {}, {}
            for e in self.ledger_entries():
                entries[e.id] = e
                if e.kind == "trade":
                    by_trade.setdefault(e.ref, []).append(e.id)
            self._entries, self._ledger_of_trade = entries, by_trade
        return self._entries, self._ledger_of_trade

    # --- public -----------------------------------------------------------------------------------------------------
    def server_time(self, request: Request) -> object:
        now = datetime.now(UTC)
        return {"unixtime": int(now.timestamp()), "rfc1123": now.strftime("%a, %d %b %y %H:%M:%S +0000")}

    def assets(self, request: Request) -> object:
        return {asset_id(c): {"aclass": "currency", "altname": altname(c), "decimals": 10, "display_decimals": 5,
                              "collateral_value": "1.0", "status": "enabled"} for c in self.history.currencies}

    def asset_pairs(self, request: Request) -> object:
        return {pair_id(m): _pair(m) for m in self.history.markets}

    def ohlc(self, request: Request) -> object:
        q = request.query
        m = self._markets.get(q.get("pair", ""))
        if m is None:
            raise _error("EQuery:Unknown asset pair")
        timeframe = INTERVALS.get(q.get("interval", "1"))
        if timeframe is None:
            raise _error("EGeneral:Invalid arguments")
        since = _time_param(q, "since")
        bars = self.history.ohlcv(m.symbol, timeframe, since=None if since is None else since + 1, limit=OHLC_MAX)
        rows = [[b.timestamp // 1000, plain(b.open), plain(b.high), plain(b.low), plain(b.close), plain(b.close),
                 plain(b.volume), 100] for b in bars]
        return {pair_id(m): rows, "last": rows[-1][0] if rows else 0}

    # --- private ----------------------------------------------------------------------------------------------------
    def key_info(self, request: Request) -> object:
        # The documented answer's fields and types: times are unix-second strings, "0" for no limit.
        names = self.permission_names()
        k = self.key
        return self.key_payload({
            "apiKeyName": "taxer", "apiKey": self.credentials.api_key, "nonce": "0", "nonceWindow": 0,
            "permissions": names, "iban": "AA88 N84G WOAK NMOI", "validUntil": _seconds_text(k.expires_ms),
            "queryFrom": _seconds_text(k.query_from_ms), "queryTo": _seconds_text(k.query_to_ms),
            "createdTime": _seconds_text(self.key_created_ms()), "modifiedTime": _seconds_text(self.key_created_ms()),
            "ipAllowlist": list(k.ips), "lastUsed": "0"})

    def permission_names(self) -> list[str]:
        p = self.permissions
        return [*READ, *((DEPOSIT,) if self.key.deposit_funds else ()), *(TRADE if p.can_trade else ()),
                *(MOVE if p.can_withdraw else ())]

    def balance_ex(self, request: Request) -> object:
        return {asset_id(c): {"balance": plain(v), "hold_trade": "0.0000"} for c, v in self.history.balances.items()}

    def trades_history(self, request: Request) -> object:
        params = self.params(request)
        trades = self.history.trades
        rows = self._range(("trades",), trades, [t.timestamp for t in trades], params)
        with_ledgers = params.get("ledgers", "").lower() == "true"
        _entries, by_trade = self._ledger_index()
        page = {}
        for t in self._page(rows, params):
            row = trade_row(t, self._by_symbol[t.symbol])
            if with_ledgers:
                row["ledgers"] = by_trade.get(t.id, [])
            page[t.id] = row
        return {"trades": page, "count": len(rows)}

    def ledgers(self, request: Request) -> object:
        params = self.params(request)
        entries = self.ledger_entries()
        rows = self._range(("ledger",), entries, [e.timestamp for e in entries], params)
        wanted_assets = {a for a in (params.get("asset") or "all").split(",") if a != "all"}
        wanted_type = params.get("type") or "all"
        if wanted_assets or wanted_type != "all":
            rows = [e for e in rows if (not wanted_assets or asset_id(e.currency) in wanted_assets)
                    and wanted_type in ("all", ledger_type(e)[0])]
        return {"ledger": {e.id: ledger_row(e) for e in self._page(rows, params)}, "count": len(rows)}

    def query_ledgers(self, request: Request) -> object:
        ids = [i for i in (self.params(request).get("id") or "").split(",") if i]
        if not ids or len(ids) > QUERY_MAX:
            raise _error("EGeneral:Invalid arguments:id")
        entries, _ = self._ledger_index()
        return {i: ledger_row(entries[i]) for i in ids if i in entries}

    def deposit_status(self, request: Request) -> object:
        self._needs(DEPOSIT, request)
        return self._transfers(request, "deposit", self.history.deposits)

    def withdraw_status(self, request: Request) -> object:
        self._needs(MOVE[0], request)
        return self._transfers(request, "withdrawal", self.history.withdrawals)

    def _needs(self, permission: str, request: Request) -> None:
        # kraken's API key guide: DepositStatus needs "Deposit Funds", WithdrawStatus "Withdraw Funds"
        # (tests/real/api/PERMISSIONS.md); the query permissions of a read-only key do not allow them
        if permission not in self.permission_names():
            raise self.refusal("not_authorized", request)

    def _transfers(self, request: Request, kind: str, records: Sequence[Transfer]) -> object:
        params = self.params(request)
        asset = params.get("asset") or None
        if asset is not None:
            records = tuple(r for r in records if asset_id(r.currency) == asset)
        # kraken states funding times in whole seconds: the range is decided on what it reports
        rows = self._range((kind, asset), records, [r.timestamp // 1000 * 1000 for r in records], params)
        limit = _int_param(params, "limit") or TRANSFERS_DEFAULT
        return [transfer_row(r) for r in rows[:min(max(limit, 1), TRANSFERS_MAX)]]

    routes: ClassVar = {
        ("GET", "/0/public/Time"): (server_time, False),
        ("GET", "/0/public/Assets"): (assets, False),
        ("GET", "/0/public/AssetPairs"): (asset_pairs, False),
        ("GET", "/0/public/OHLC"): (ohlc, False),
        ("POST", "/0/private/GetApiKeyInfo"): (key_info, True),
        ("POST", "/0/private/BalanceEx"): (balance_ex, True),
        ("POST", "/0/private/TradesHistory"): (trades_history, True),
        ("POST", "/0/private/Ledgers"): (ledgers, True),
        ("POST", "/0/private/QueryLedgers"): (query_ledgers, True),
        ("POST", "/0/private/DepositStatus"): (deposit_status, True),
        ("POST", "/0/private/WithdrawStatus"): (withdraw_status, True),
    }


def _pair(m: Market) -> dict:
    return {"altname": altname(m.base) + altname(m.quote), "wsname": f"{altname(m.base)}/{altname(m.quote)}",
            "aclass_base": "currency", "base": asset_id(m.base), "aclass_quote": "currency",
            "quote": asset_id(m.quote), "lot": "unit", "cost_decimals": 8, "pair_decimals": m.price_decimals,
            "lot_decimals": 8, "lot_multiplier": 1, "leverage_buy": [], "leverage_sell": [],
            "fees": [[0, 0.4], [10000, 0.35]], "fees_maker": [[0, 0.25], [10000, 0.2]],
            "fee_volume_currency": "ZUSD", "margin_call": 80, "margin_stop": 40, "ordermin": "0.0001",
            "costmin": "0.5", "tick_size": plain(Decimal(1).scaleb(-m.price_decimals)), "status": "online"}


def trade_row(t: Trade, m: Market) -> dict:
    """A TradesHistory entry (without its key, the trade id)."""
    # tests/real/api/kraken/trades-history.json (docs.kraken.com get-trades-history)
    return {"ordertxid": t.order_id, "postxid": "TKH2SE-M7IF5-CFI7LT", "pair": pair_id(m), "aclass": "currency",
            "time": seconds(t.timestamp), "type": t.side, "ordertype": "market" if t.taker else "limit",
            "price": plain(t.price), "cost": plain(t.cost), "fee": plain(quote_fee(t, m)), "vol": plain(t.amount),
            "margin": "0.00000", "leverage": "0", "misc": "", "trade_id": int(t.id) % 100_000_000,
            "maker": not t.taker}


# How the extras appear in kraken's Ledgers (tests/real/api/kraken/ledgers--income-and-transfers.json): earn rewards
# on the earn wallets' assets (DOT.S, USDC.M, ETH.F), airdrops as transfer/airdrop, moves between the user's own
# spot and earn wallets as earn/autoallocation and transfer/spottostaking (no tax event), and a trade fee paid in
# kraken fee credits as a KFEE entry of amount 0 whose `fee` is the credits spent.
EARN_WALLET = {"USDC": "USDC.M", "USDT": "USDT.M", "ETH": "ETH.F", "BTC": "XBT.M"}
KFEE = "KFEE"


def _wallet(coin: str) -> str:
    return EARN_WALLET.get(coin, f"{coin}.S")


def _with_extras(history: History):
    """History's ledger, with KFEE-paid trade fees moved onto KFEE entries, plus the extras' entries."""
    x = history.extras
    kfee_ids = iter(range(10**12, 10**13, 7919))
    for e in history.ledger():
        if e.kind == "trade" and e.ref in x.kfee_trades and e.fee:
            # what a USD-worth of fee costs in credits: 1 KFEE = 0.01 USD (kraken's fee credit terms)
            usd = e.fee * Decimal(str(history.prices.usd(e.currency, e.timestamp)))
            credits = (usd * 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
            yield LedgerEntry(e.id, e.timestamp, e.currency, e.change + e.fee, Decimal(0), e.balance + e.fee,
                              e.kind, e.detail, e.ref)
            yield LedgerEntry(f"{e.id}K{next(kfee_ids)}", e.timestamp, KFEE, -credits, credits, Decimal(0),
                              "trade", "kfee", e.ref)
        else:
            yield e
    for y in x.earned("earn", "airdrop"):
        kind = "extra:earn/reward" if y.kind == "earn" else "extra:transfer/airdrop"
        yield LedgerEntry(y.id, y.timestamp, _wallet(y.asset) if y.kind == "earn" else asset_id(y.asset), y.amount,
                          Decimal(0), y.amount, kind, y.label, y.id)
    for o in x.own_moves:
        if o.kind == "autoallocation":
            yield LedgerEntry(o.id, o.timestamp, _wallet(o.asset), o.amount, Decimal(0), o.amount,
                              "extra:earn/autoallocation", o.kind, o.id)
        elif o.kind == "spottostaking":   # a pair that nets to zero per coin
            yield LedgerEntry(o.id, o.timestamp, asset_id(o.asset), o.amount, Decimal(0), Decimal(0),
                              "extra:transfer/spottostaking", o.kind, o.id)
            yield LedgerEntry(f"{o.id}S", o.timestamp + 2000, _wallet(o.asset), -o.amount, Decimal(0), -o.amount,
                              "extra:transfer/stakingfromspot", o.kind, o.id)


def ledger_type(e: LedgerEntry) -> tuple[str, str]:
    """kraken's (type, subtype) of a History balance change."""
    if e.kind.startswith("extra:"):
        kind, _, subtype = e.kind[len("extra:"):].partition("/")
        return kind, subtype
    if e.kind != "reward":
        return e.kind, ""
    if e.detail == "airdrop":
        return "transfer", "airdrop"
    return ("staking", "") if e.timestamp < EARN_SINCE else ("earn", "reward")


def ledger_row(e: LedgerEntry) -> dict:
    """A Ledgers entry: `amount` excludes the fee, the balance moves by amount - fee."""
    # tests/real/api/kraken/ledgers.json, ledgers--income-and-transfers.json (docs.kraken.com get-ledgers)
    kind, subtype = ledger_type(e)
    return {"refid": e.ref, "time": seconds(e.timestamp), "type": kind, "subtype": subtype, "aclass": "currency",
            "asset": asset_id(e.currency), "amount": plain(e.change + e.fee), "fee": plain(e.fee),
            "balance": plain(e.balance)}


def transfer_row(r: Transfer) -> dict:
    # tests/real/api/kraken/deposit-status.json, withdraw-status.json (ccxt's recorded answers): `time` a string
    # of seconds; a withdrawal names the address book `key` it went to
    row = {"method": METHODS.get(r.currency, r.currency), "aclass": "currency", "asset": asset_id(r.currency),
           "refid": r.id, "txid": r.txid, "info": r.address, "amount": plain(r.amount), "fee": plain(r.fee),
           "time": str(r.timestamp // 1000), "status": "Success", "network": NETWORKS.get(r.currency, "ERC20")}
    if r.kind == "withdrawal":
        row["key"] = f"{r.currency} wallet"
    return row


# --- the CSV exports a user downloads from kraken's website (Documents > Export) ----------------------------------
LEDGERS_COLUMNS = ("txid", "refid", "time", "type", "subtype", "aclass", "asset", "wallet", "amount", "fee",
                   "balance")
TRADES_COLUMNS = ("txid", "ordertxid", "pair", "aclass", "time", "type", "ordertype", "price", "cost", "fee",
                  "vol", "margin", "misc", "ledgers")


def csv_time(ms: int) -> str:
    """kraken's export time: UTC, no zone marker, four decimals of a second."""
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%d %H:%M:%S") + f".{ms % 1000:03d}0"


def export_csv(history: History) -> dict[str, str]:
    """kraken's ledgers.csv and trades.csv of the History's account, as the website exports them (every cell quoted)."""
    markets = {m.symbol: m for m in history.markets}
    by_trade: dict[str, list[str]] = {}
    ledgers = io.StringIO()
    out = csv.writer(ledgers, quoting=csv.QUOTE_ALL, lineterminator="\n")
    out.writerow(LEDGERS_COLUMNS)
    for e in history.ledger():
        kind, subtype = ledger_type(e)
        wallet = "earn / flexible" if kind == "earn" else "spot / main"
        out.writerow((e.id, e.ref, csv_time(e.timestamp), kind, subtype, "currency", asset_id(e.currency), wallet,
                      plain(e.change + e.fee), plain(e.fee), plain(e.balance)))
        if e.kind == "trade":
            by_trade.setdefault(e.ref, []).append(e.id)
    trades = io.StringIO()
    out = csv.writer(trades, quoting=csv.QUOTE_ALL, lineterminator="\n")
    out.writerow(TRADES_COLUMNS)
    for t in history.trades:
        row = trade_row(t, markets[t.symbol])
        out.writerow((t.id, t.order_id, row["pair"], "currency", csv_time(t.timestamp), t.side, row["ordertype"],
                      row["price"], row["cost"], row["fee"], row["vol"], row["margin"], "",
                      ",".join(by_trade.get(t.id, []))))
    return {"ledgers.csv": ledgers.getvalue(), "trades.csv": trades.getvalue()}


__all__ = ["Api", "Permissions", "export_csv"]
