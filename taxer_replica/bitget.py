"""bitget's classic (v2) REST API, as ccxt 4.5.90 calls it, over a History.

Shapes follow bitget's v2 docs and ccxt's recorded responses; numbers are strings, times are ms strings.
Deliberate differences from the real API (documented so nobody relies on them):
- the real fills/bills endpoints only return the last 90 days (older data is a web download); the replica serves the
  whole history through the same <= 90-day windows, which is what a multi-year sync test needs;
- a window given by only one end gets the other end 90 days away (the real API's default is not documented).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import ClassVar
from urllib.parse import unquote

from taxer_replica.base import (
    DAY_MS,
    ApiError,
    Enveloped,
    Exchange,
    Permissions,
    Request,
    Response,
    clamp_limit,
    dumps,
    int_param,
    now_ms,
    of_currency,
    plain,
)
from taxer_replica.history import NETWORKS, WITHDRAWAL_FEES, LedgerEntry, Market, Trade, Transfer

WINDOW = 90 * DAY_MS
TIMESTAMP_TOLERANCE = 30_000
# Key permissions as /api/v2/spot/account/info lists them in `authorities` (bitget docs, "Get Account Information",
# https://www.bitget.live/api-doc/spot/account/Get-Account-Info): read-only codes end in "r" (coor futures orders,
# cpor futures holdings, stor spot trade, smor margin trade, wtor wallet transfer, taxr taxation), read-write ones in
# "w" (coow, cpow, stow, smow, wtow wallet transfer; wwow wallet withdrawal). The IP whitelist is the string `ips`.
AUTHORITIES = {
    Permissions.READ_ONLY: ["coor", "cpor", "stor", "smor", "wtor", "taxr"],
    Permissions.TRADE: ["coow", "cpow", "stow", "smow", "wtor", "taxr"],
    Permissions.WITHDRAW: ["coow", "cpow", "stow", "smow", "wtow", "wwow", "taxr"],
}
GRANULARITY = {"1min": "1m", "1m": "1m", "1h": "1h", "1H": "1h", "1day": "1d", "1D": "1d", "1Dutc": "1d"}
# Bill types: group and business type as bitget's docs list them. Staking/earn interest has no documented
# business type; "financial" is the documented group (wealth management) and "savings_interest" our assumption.
BILL_TYPES = {"deposit": ("deposit", "deposit"), "withdrawal": ("withdraw", "withdraw"),
              "buy": ("transaction", "buy"), "sell": ("transaction", "sell"),
              "staking": ("financial", "savings_interest"), "airdrop": ("other", "airdrop rewards")}


def _error(status: int, code: str, msg: str) -> ApiError:
    return ApiError(status, {"code": code, "msg": msg, "requestTime": now_ms(), "data": None})


def _bad_param(name: str) -> ApiError:
    return _error(400, "40020", f"Parameter {name} error")


class Api(Exchange):
    name = "bitget"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._series: dict[tuple, tuple[Sequence, list[int], list[int]]] = {}
        self._markets = {m.id: m for m in self.history.markets}

    # --- envelope, errors, auth -------------------------------------------------------------------------------------
    def wrap(self, payload: object) -> object:
        return {"code": "00000", "msg": "success", "requestTime": now_ms(), "data": payload}

    def not_found(self, request: Request) -> ApiError:
        # tests/real/api/bitget/error--unknown-endpoint.json (BitgetLimited/v3-bitget-api-sdk issue #21): a web
        # framework's 404 body, not bitget's {code, msg} envelope
        return ApiError(404, {"timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"), "status": 404,
                              "error": "Not Found", "message": "No message available",
                              "path": request.path if request else ""})

    def refusal(self, kind: str, request: Request | None = None) -> ApiError:
        if kind == "not_authorized":   # tests/real/api/bitget/error--incorrect-permissions.json (40014)
            return _error(400, "40014", "Incorrect permissions")
        return self.not_found(request)

    def rate_limited(self, retry_after: int) -> Response:
        body = dumps({"code": "429", "msg": "Too Many Requests", "requestTime": now_ms(), "data": None})
        return Response(429, body, {"Retry-After": str(retry_after)})

    def server_error(self) -> Response:
        body = dumps({"code": "50001", "msg": "The system is busy, please try again later", "requestTime": now_ms(),
                      "data": None})
        return Response(500, body)

    def rate_limit_key(self, request: Request) -> tuple[str, float, float]:
        return (request.path, 1.0, 10.0)   # most private spot endpoints: 10 requests/s per UID

    def authenticate(self, request: Request) -> None:
        h, creds = request.headers, self.credentials
        key, sign = h.get("ACCESS-KEY"), h.get("ACCESS-SIGN")
        ts, passphrase = h.get("ACCESS-TIMESTAMP"), h.get("ACCESS-PASSPHRASE")
        if not key:
            raise _error(400, "40001", "ACCESS_KEY cannot be empty")
        if not sign:
            raise _error(400, "40003", "Signature cannot be empty")
        if not ts or not ts.isdigit():
            raise _error(400, "40005", "Invalid ACCESS_TIMESTAMP")
        if abs(now_ms() - int(ts)) > TIMESTAMP_TOLERANCE:
            raise _error(400, "40008", "Request timestamp expired")
        if key != creds.api_key:
            raise _error(400, "40006", "Invalid ACCESS_KEY")
        if not passphrase:
            raise _error(400, "40011", "ACCESS_PASSPHRASE cannot be empty")
        if creds.passphrase is not None and passphrase != creds.passphrase:
            raise _error(400, "40012", "apikey/password is incorrect")
        # ccxt signs the decoded query and sends it percent-encoded: accept the signature over either form
        body = request.body.decode()
        for query in dict.fromkeys((request.raw_query, unquote(request.raw_query))):
            prehash = ts + request.method + request.path + (f"?{query}" if query else "") + body
            digest = hmac.new(creds.secret.encode(), prehash.encode(), hashlib.sha256).digest()
            if hmac.compare_digest(base64.b64encode(digest).decode(), sign):
                return
        raise _error(400, "40009", "sign signature error")

    # --- helpers ----------------------------------------------------------------------------------------------------
    def _market(self, request: Request) -> Market:
        symbol = request.query.get("symbol")
        if not symbol:
            raise _error(400, "40019", "Parameter symbol cannot be empty")
        m = self._markets.get(symbol)
        if m is None:
            raise _error(400, "40034", f"Parameter {symbol} does not exist")
        return m

    def _window(self, request: Request, required: bool = False) -> tuple[int, int]:
        start, end = int_param(request, "startTime", _bad_param), int_param(request, "endTime", _bad_param)
        if required and (start is None or end is None):
            raise _error(400, "40019", f"Parameter {'startTime' if start is None else 'endTime'} cannot be empty")
        if start is None and end is None:
            end = now_ms()
        if start is None:
            start = end - WINDOW
        if end is None:
            end = start + WINDOW
        if end < start or end - start > WINDOW:
            # what bitget answers for a window over 90 days (ccxt issue #21502); ccxt maps 43111 to PermissionDenied
            raise _error(400, "43111", "param error time range illegal")
        return start, end

    def _page(self, key: tuple, records: Sequence, request: Request, limit: int, window_required: bool = False) -> list:
        """Records (ascending in time and id) inside the window, below `idLessThan`, newest first, at most `limit`."""
        start, end = self._window(request, required=window_required)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = (records, [r.timestamp for r in records], [int(r.id) for r in records])
        records, times, ids = series
        lo, hi = bisect_left(times, start), bisect_right(times, end)
        below = int_param(request, "idLessThan", _bad_param)
        if below is not None:
            hi = min(hi, bisect_left(ids, below))
        return [records[i] for i in range(hi - 1, max(lo, hi - limit) - 1, -1)]

    # --- public -----------------------------------------------------------------------------------------------------
    def server_time(self, request: Request) -> object:
        return {"serverTime": str(now_ms())}

    def coins(self, request: Request) -> object:
        wanted = request.query.get("coin")
        return [{"coinId": str(i + 1), "coin": c, "transfer": "true", "areaCoin": "no", "chains": [{
            "chain": NETWORKS.get(c, "ERC20"), "needTag": "false", "withdrawable": "true", "rechargeable": "true",
            "withdrawFee": plain(WITHDRAWAL_FEES.get(c, Decimal("0.01"))), "extraWithdrawFee": "0",
            "depositConfirm": "12", "withdrawConfirm": "64", "minDepositAmount": "0.0001",
            "minWithdrawAmount": "0.001", "browserUrl": "", "contractAddress": None, "withdrawStep": "0",
            "withdrawMinScale": "8", "congestion": "normal"}]}
            for i, c in enumerate(self.history.currencies) if wanted in (None, c)]

    def symbols(self, request: Request) -> object:
        wanted = request.query.get("symbol")
        return [{"symbol": m.id, "baseCoin": m.base, "quoteCoin": m.quote, "minTradeAmount": "0",
                 "maxTradeAmount": "900000000000000000000", "takerFeeRate": "0.001", "makerFeeRate": "0.001",
                 "pricePrecision": str(m.price_decimals), "quantityPrecision": str(m.amount_decimals),
                 "quotePrecision": "8", "status": "online", "minTradeUSDT": "1", "buyLimitPriceRatio": "0.05",
                 "sellLimitPriceRatio": "0.05", "areaSymbol": "no", "orderQuantity": "200",
                 "openTime": str(self.history.start - 365 * DAY_MS)}
                for m in self.history.markets if wanted in (None, m.id)]

    def margin_currencies(self, request: Request) -> object:
        return [{"symbol": m.id, "baseCoin": m.base, "quoteCoin": m.quote, "maxCrossedLeverage": "3",
                 "maxIsolatedLeverage": "10", "warningRiskRatio": "0.8", "liquidationRiskRatio": "1",
                 "minTradeAmount": "0", "maxTradeAmount": "900000000000000000000", "takerFeeRate": "0.001",
                 "makerFeeRate": "0.001", "priceScale": str(m.price_decimals),
                 "quantityScale": str(m.amount_decimals), "minTradeUSDT": "5", "isBorrowable": True,
                 "userMinBorrow": "0.00000001", "status": "1", "isIsolatedBaseBorrowable": True,
                 "isIsolatedQuoteBorrowable": True, "isCrossBorrowable": True}
                for m in self.history.markets if m.quote == self.history.quote]

    def contracts(self, request: Request) -> object:
        return []   # a spot-only replica: no futures markets

    def candles(self, request: Request) -> object:
        m = self._market(request)
        timeframe = GRANULARITY.get(request.query.get("granularity", ""))
        if timeframe is None:
            raise _bad_param("granularity")
        history = request.path.endswith("history-candles")
        limit = clamp_limit(int_param(request, "limit", _bad_param), 100, 200 if history else 1000)
        start, end = int_param(request, "startTime", _bad_param), int_param(request, "endTime", _bad_param)
        if end is None:
            end = now_ms()
        # candles opening before endTime, the newest `limit` of them (what ccxt's since/limit arithmetic expects)
        bars = self.history.ohlcv(m.symbol, timeframe, since=start, until=end - 1, limit=limit, newest=True)
        return [[str(b.timestamp), plain(b.open), plain(b.high), plain(b.low), plain(b.close), plain(b.volume),
                 plain(b.volume * b.close), plain(b.volume * b.close)] for b in bars]

    # --- private ----------------------------------------------------------------------------------------------------
    def account_settings(self, request: Request) -> object:
        # A classic account asking the unified-account API: ccxt then keeps to the classic v2 endpoints.
        raise _error(400, "40084", "You are in Classic Account mode, and the Unified Account API is not supported "
                                   "at this time")

    def account_info(self, request: Request) -> object:
        # the documented fields and types (parentId a number, every other id a string; regisTime is the account's)
        return self.key_payload({
            "userId": "8712345678", "inviterId": "", "ips": ",".join(self.key.ips),
            "authorities": AUTHORITIES[self.permissions], "parentId": 8712345678, "traderType": "not_trader",
            "channelCode": "", "channel": "", "regisTime": str(self.history.start - 30 * DAY_MS)})

    def assets(self, request: Request) -> object:
        wanted = request.query.get("coin")
        show_all = request.query.get("assetType") == "all"
        last = str(self.history.events[-1].timestamp if self.history.events else self.history.start)
        return [{"coin": c, "available": plain(self.history.balances.get(c, Decimal(0))), "frozen": "0",
                 "locked": "0", "limitAvailable": "0", "uTime": last}
                for c in self.history.currencies
                if wanted in (None, c) and (show_all or wanted or self.history.balances.get(c))]

    def fills(self, request: Request) -> object:
        m = self._market(request)
        limit = clamp_limit(int_param(request, "limit", _bad_param), 100, 100)
        rows = self._page(("trade", m.symbol), self.history.trades_of(m.symbol), request, limit)
        return [_fill(t, m) for t in rows]

    def _transfers(self, request: Request, kind: str, records: Sequence[Transfer]) -> object:
        coin = request.query.get("coin") or None
        records = of_currency(records, coin)
        limit = clamp_limit(int_param(request, "limit", _bad_param), 20, 100)
        rows = self._page((kind, coin), records, request, limit, window_required=True)
        order_id = request.query.get("orderId")
        return [_transfer(r) for r in rows if order_id in (None, r.id)]

    def bills(self, request: Request) -> object:
        q = request.query
        coin, group, business = q.get("coin") or None, q.get("groupType") or None, q.get("businessType") or None
        records: Sequence[LedgerEntry] = self.history.ledger()
        if coin or group or business:
            records = tuple(e for e in records if coin in (None, e.currency) and _matches(e, group, business))
        limit = clamp_limit(int_param(request, "limit", _bad_param), 100, 500)
        rows = [_bill(e) for e in self._page(("bill", coin, group, business), records, request, limit)]
        # tests/real/api/bitget/account-bills.json (bitget.com api-doc Get-Account-Bills): this answer's envelope
        # says `message`, not `msg`
        return Enveloped({"code": "00000", "message": "success", "requestTime": now_ms(), "data": rows})

    def convert_record(self, request: Request) -> object:
        # tests/real/api/bitget/convert-record.json (bitget.cc api-doc Get-Convert-Record): rows under
        # data.dataList, `endId` the cursor for idLessThan, fromCoinSize a NUMBER and toCoinSize a string
        limit = clamp_limit(int_param(request, "limit", _bad_param), 20, 100)
        rows = self._page(("convert",), self.history.extras.of("convert"), request, limit, window_required=True)
        return {"dataList": [_convert(c) for c in rows], "endId": rows[-1].id if rows else None}

    def bgb_convert_records(self, request: Request) -> object:
        # tests/real/api/bitget/bgb-convert-records.json (bitgetapp.com api-doc Get-BGB-Convert-Record): small
        # balances swapped for BGB; `ctime` in lower case; no cursor documented
        limit = clamp_limit(int_param(request, "limit", _bad_param), 100, 100)
        rows = self._page(("bgb",), self.history.extras.of("dust"), request, limit, window_required=True)
        return [_bgb_convert(c) for c in rows]

    routes: ClassVar = {
        ("GET", "/api/v2/public/time"): (server_time, False),
        ("GET", "/api/v2/convert/convert-record"): (convert_record, True),
        ("GET", "/api/v2/convert/bgb-convert-records"): (bgb_convert_records, True),
        ("GET", "/api/v2/spot/public/coins"): (coins, False),
        ("GET", "/api/v2/spot/public/symbols"): (symbols, False),
        ("GET", "/api/v2/margin/currencies"): (margin_currencies, False),
        ("GET", "/api/v2/mix/market/contracts"): (contracts, False),
        ("GET", "/api/v2/spot/market/candles"): (candles, False),
        ("GET", "/api/v2/spot/market/history-candles"): (candles, False),
        ("GET", "/api/v3/account/settings"): (account_settings, True),
        ("GET", "/api/v2/spot/account/info"): (account_info, True),
        ("GET", "/api/v2/spot/account/assets"): (assets, True),
        ("GET", "/api/v2/spot/trade/fills"): (fills, True),
        ("GET", "/api/v2/spot/wallet/deposit-records"): (Exchange.deposits, True),
        ("GET", "/api/v2/spot/wallet/withdrawal-records"): (Exchange.withdrawals, True),
        ("GET", "/api/v2/spot/account/bills"): (bills, True),
    }


def _fill(t: Trade, m: Market) -> dict:
    # tests/real/api/bitget/spot-fills.json (bitget.com api-doc Get-Fills)
    return {"userId": "8712345678", "symbol": m.id, "orderId": t.order_id, "tradeId": t.id, "orderType": "market"
            if t.taker else "limit", "side": t.side, "priceAvg": plain(t.price), "size": plain(t.amount),
            "amount": plain(t.cost), "feeDetail": {"deduction": "no", "feeCoin": t.fee_currency,
                                                    "totalDeductionFee": "", "totalFee": plain(-t.fee)},
            "tradeScope": "taker" if t.taker else "maker", "cTime": str(t.timestamp),
            "uTime": str(t.timestamp + 37)}


def _transfer(r: Transfer) -> dict:
    # tests/real/api/bitget/deposit-records.json, withdrawal-records.json (ccxt 4.5.90's recorded comments)
    row = {"orderId": r.id, "tradeId": r.txid, "coin": r.currency, "type": "deposit", "size": plain(r.amount),
           "status": "success", "toAddress": r.address, "dest": "on_chain", "chain": r.network, "fromAddress": None,
           "cTime": str(r.timestamp), "uTime": str(r.timestamp + 60_000)}
    if r.kind == "withdrawal":
        # bitget's size includes the fee: ccxt reports amount = size - |fee| (see its recorded responses)
        row.update(type="withdraw", size=plain(r.amount + r.fee), fee=plain(-r.fee), clientOid=r.id[-6:],
                   confirm="100")
    return row


def _bill_type(e: LedgerEntry) -> tuple[str, str]:
    return BILL_TYPES[e.detail if e.kind in ("trade", "reward") else e.kind]


def _matches(e: LedgerEntry, group: str | None, business: str | None) -> bool:
    g, b = _bill_type(e)
    return group in (None, g) and business in (None, b)


def _bill(e: LedgerEntry) -> dict:
    # tests/real/api/bitget/account-bills.json: coin lower case, `fees` (not `fee`), all strings. Its cTime is in
    # seconds, but the parameter text says ms and ccxt's fetch_ledger (used against the real API) reads ms: the
    # replica serves ms, taxer reads both.
    group, business = _bill_type(e)
    return {"cTime": str(e.timestamp), "coin": e.currency.lower(), "groupType": group, "businessType": business,
            "size": plain(e.change), "balance": plain(e.balance), "fees": plain(-e.fee) if e.fee else "0",
            "billId": e.id}


def _convert(c) -> dict:
    return {"id": c.id, "ts": str(c.timestamp), "cnvtPrice": plain((c.bought_amount / c.sold_amount).quantize(
        Decimal("1E-8"))), "fee": "0", "fromCoinSize": float(c.sold_amount),  # a number, as documented
        "fromCoin": c.sold, "toCoinSize": plain(c.bought_amount), "toCoin": c.bought}


def _bgb_convert(c) -> dict:
    # the dust of History.extras is swapped for BNB on binance; on bitget for BGB (the same amounts). toAmount is
    # served net of the fee (whether it is, the docs do not say)
    return {"orderId": c.id, "fromCoin": c.sold, "fromAmount": plain(c.sold_amount), "fromCoinPrice": "0",
            "toCoin": "BGB", "toAmount": plain(c.bought_amount - c.fee), "toCoinPrice": "0",
            "feeDetail": [{"feeCoin": "BGB", "fee": plain(c.fee)}], "status": "success", "ctime": str(c.timestamp)}
