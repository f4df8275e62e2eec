"""binance's spot REST API (api/v3 and sapi/v1), as ccxt 4.5.90 calls it, over a History.

Shapes follow binance's docs and ccxt's recorded responses. Choices where the docs are silent:
- myTrades with only startTime returns the first `limit` trades from there (the 24 h limit applies when both ends are
  given); with only endTime, the last `limit` trades up to it;
- a limit above an endpoint's maximum is served as the maximum.
"""

from __future__ import annotations

import hashlib
import hmac
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import ClassVar

from taxer_replica.base import (
    DAY_MS,
    ApiError,
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
from taxer_replica.extras import Conversion, Earning, FiatMove
from taxer_replica.history import NETWORKS, WITHDRAWAL_FEES, Market, Reward, Trade, Transfer

HOUR_MS = 3_600_000
# ccxt network codes (History) -> binance network ids
NETWORK_IDS = {"BTC": "BTC", "ERC20": "ETH", "TRC20": "TRX", "BEP20": "BSC", "SOL": "SOL"}
INTERVALS = {"1m": "1m", "1h": "1h", "1d": "1d"}
# Request weights (binance docs) for the optional rate limiter: 6000 per minute = 100 per second.
WEIGHTS = {"/api/v3/myTrades": 20, "/api/v3/account": 20, "/api/v3/exchangeInfo": 20, "/api/v3/klines": 2,
           "/sapi/v1/asset/assetDividend": 10, "/sapi/v1/capital/config/getall": 10}


def _error(status: int, code: int, msg: str) -> ApiError:
    return ApiError(status, {"code": code, "msg": msg})


def _bad_param(name: str) -> ApiError:
    return _error(400, -1100, f"Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'.")


def _mandatory(name: str) -> ApiError:
    return _error(400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")


class Api(Exchange):
    name = "binance"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._markets = {m.id: m for m in self.history.markets}
        self._series: dict[tuple, tuple[Sequence, list[int], list[int]]] = {}

    # --- errors and auth --------------------------------------------------------------------------------------------
    def not_found(self, request: Request) -> ApiError:
        return ApiError(404, {"code": -1, "msg": "Not Found"})

    def refusal(self, kind: str, request: Request | None = None) -> ApiError:
        if kind == "not_authorized":   # tests/real/api/binance/error--unauthorized.json (spot errors.md -1002, 401)
            return _error(401, -1002, "You are not authorized to execute this request.")
        return self.not_found(request)    # the 404 body is not documented (tests/real/api/SOURCES.md)

    def rate_limited(self, retry_after: int) -> Response:
        body = dumps({"code": -1003, "msg": "Too many requests; current limit of IP(127.0.0.1) is 6000 requests per "
                                           "minute. Please use the websocket for live updates to avoid polling the "
                                           "API."})
        return Response(429, body, {"Retry-After": str(retry_after)})

    def server_error(self) -> Response:
        body = dumps({"code": -1001, "msg": "Internal error; unable to process your request. Please try again."})
        return Response(500, body)

    def rate_limit_key(self, request: Request) -> tuple[str, float, float]:
        return ("weight", float(WEIGHTS.get(request.path, 1)), 100.0)  # float ok: a request weight, not money

    def authenticate(self, request: Request) -> None:
        creds = self.credentials
        key = request.headers.get("X-MBX-APIKEY")
        if not key:
            raise _error(401, -2014, "API-key format invalid.")
        if key != creds.api_key:
            raise _error(401, -2015, "Invalid API-key, IP, or permissions for action.")
        payload = request.raw_query + (("&" if request.raw_query else "") + request.body.decode()
                                       if request.body else "")
        signed, sep, signature = payload.partition("&signature=")
        if not sep:
            if payload.startswith("signature="):
                signed, signature = "", payload[len("signature="):]
            else:
                raise _mandatory("signature")
        ts = int_param(request, "timestamp", _bad_param)
        if ts is None:
            raise _mandatory("timestamp")
        recv_window = int_param(request, "recvWindow", _bad_param) or 5000
        if recv_window > 60_000:
            raise _error(400, -1131, "recvWindow must be less than 60000")
        now = now_ms()
        if ts > now + 1000 or now - ts > recv_window:
            raise _error(400, -1021, "Timestamp for this request is outside of the recvWindow.")
        expected = hmac.new(creds.secret.encode(), signed.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature.split("&")[0]):
            raise _error(400, -1022, "Signature for this request is not valid.")

    # --- helpers ----------------------------------------------------------------------------------------------------
    def _market(self, request: Request) -> Market:
        symbol = request.query.get("symbol")
        if not symbol:
            raise _mandatory("symbol")
        m = self._markets.get(symbol)
        if m is None:
            raise _error(400, -1121, "Invalid symbol.")
        return m

    def _series_of(self, key: tuple, records: Sequence) -> tuple[Sequence, list[int], list[int]]:
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = (records, [r.timestamp for r in records], [int(r.id) for r in records])
        return series

    def _window(self, request: Request, days: int) -> tuple[int, int]:
        """[start, end] where a missing end is now and a missing start `days` before the end; wider: -1127."""
        start, end = int_param(request, "startTime", _bad_param), int_param(request, "endTime", _bad_param)
        end = now_ms() if end is None else end
        start = end - days * DAY_MS if start is None else start
        if end - start > days * DAY_MS:
            raise _error(400, -1127, f"More than {days} days between startTime and endTime.")
        return start, end

    # --- public -----------------------------------------------------------------------------------------------------
    def ping(self, request: Request) -> object:
        return {}

    def server_time(self, request: Request) -> object:
        return {"serverTime": now_ms()}

    def exchange_info(self, request: Request) -> object:
        wanted = request.query.get("symbol")
        return {"timezone": "UTC", "serverTime": now_ms(), "rateLimits": [
                    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
                    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
                    {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000}],
                "exchangeFilters": [], "symbols": [_symbol(m) for m in self.history.markets if wanted in (None, m.id)]}

    def futures_info(self, request: Request) -> object:
        return {"timezone": "UTC", "serverTime": now_ms(), "rateLimits": [], "exchangeFilters": [], "assets": [],
                "symbols": []}   # a spot-only replica

    def klines(self, request: Request) -> object:
        m = self._market(request)
        interval = INTERVALS.get(request.query.get("interval", ""))
        if interval is None:
            raise _error(400, -1120, "Invalid interval.")
        limit = clamp_limit(int_param(request, "limit", _bad_param), 500, 1000)
        start, end = int_param(request, "startTime", _bad_param), int_param(request, "endTime", _bad_param)
        bars = self.history.ohlcv(m.symbol, interval, since=start, until=end, limit=limit, newest=start is None)
        step = {"1m": 60_000, "1h": HOUR_MS, "1d": DAY_MS}[interval]
        return [[b.timestamp, plain(b.open), plain(b.high), plain(b.low), plain(b.close), plain(b.volume),
                 b.timestamp + step - 1, plain(b.volume * b.close), 100, plain(b.volume / 2),
                 plain(b.volume * b.close / 2), "0"] for b in bars]

    # --- signed -----------------------------------------------------------------------------------------------------
    def coins_config(self, request: Request) -> object:
        balances = self.history.balances
        return [{"coin": c, "depositAllEnable": True, "withdrawAllEnable": True, "name": c,
                 "free": plain(balances.get(c, Decimal(0))), "locked": "0", "freeze": "0", "withdrawing": "0",
                 "ipoing": "0", "ipoable": "0", "storage": "0", "isLegalMoney": False, "trading": True,
                 "networkList": [_network(c)]} for c in self.history.currencies]

    def margin_pairs(self, request: Request) -> object:
        return [{"id": str(351637150141315861 + i), "symbol": m.id, "base": m.base, "quote": m.quote,
                 "isMarginTrade": True, "isBuyAllowed": True, "isSellAllowed": True}
                for i, m in enumerate(self.history.markets) if m.quote == self.history.quote]

    def isolated_pairs(self, request: Request) -> object:
        return [{"symbol": m.id, "base": m.base, "quote": m.quote, "isMarginTrade": True, "isBuyAllowed": True,
                 "isSellAllowed": True} for m in self.history.markets if m.quote == self.history.quote]

    def account(self, request: Request) -> object:
        omit_zero = request.query.get("omitZeroBalances") == "true"
        last = self.history.events[-1].timestamp if self.history.events else self.history.start
        balances = [{"asset": c, "free": plain(self.history.balances.get(c, Decimal(0))), "locked": "0.00000000"}
                    for c in self.history.currencies]
        if omit_zero:
            balances = [b for b in balances if Decimal(b["free"])]
        return {"makerCommission": 10, "takerCommission": 10, "buyerCommission": 0, "sellerCommission": 0,
                "commissionRates": {"maker": "0.00100000", "taker": "0.00100000", "buyer": "0.00000000",
                                    "seller": "0.00000000"},
                "canTrade": True, "canWithdraw": True, "canDeposit": True, "brokered": False,
                "requireSelfTradePrevention": False, "preventSor": False, "updateTime": last,
                "accountType": "SPOT", "balances": balances, "permissions": ["SPOT"], "uid": 354937868}

    def my_trades(self, request: Request) -> object:
        m = self._market(request)
        limit = clamp_limit(int_param(request, "limit", _bad_param), 500, 1000)
        from_id = int_param(request, "fromId", _bad_param)
        order_id = int_param(request, "orderId", _bad_param)
        start, end = int_param(request, "startTime", _bad_param), int_param(request, "endTime", _bad_param)
        if from_id is not None and (start is not None or end is not None):
            raise _error(400, -1128, "Combination of optional parameters invalid.")
        if start is not None and end is not None and end - start > 24 * HOUR_MS:
            raise _error(400, -1127, "More than 24 hours between startTime and endTime.")
        records, times, ids = self._series_of(("trade", m.symbol), self.history.trades_of(m.symbol))
        if order_id is not None:
            rows = [t for t in records if int(t.order_id) == order_id and (from_id is None or int(t.id) >= from_id)]
            return [_trade(t, m) for t in rows[:limit]]
        lo, hi = 0, len(records)
        if from_id is not None:
            lo = bisect_left(ids, from_id)
        if start is not None:
            lo = bisect_left(times, start)
        if end is not None:
            hi = bisect_right(times, end)
        if from_id is not None or start is not None:
            hi = min(hi, lo + limit)
        else:
            lo = max(lo, hi - limit)     # no start: the most recent trades
        return [_trade(records[i], m) for i in range(lo, hi)]

    def _transfers(self, request: Request, kind: str, records: Sequence[Transfer]) -> object:
        coin = request.query.get("coin") or None
        records = of_currency(records, coin)
        start, end = self._window(request, 90)
        limit = clamp_limit(int_param(request, "limit", _bad_param), 1000, 1000)
        offset = int_param(request, "offset", _bad_param) or 0
        records, times, _ = self._series_of((kind, coin), records)
        lo, hi = bisect_left(times, start), bisect_right(times, end)
        newest_first = [records[i] for i in range(hi - 1 - offset, max(lo, hi - offset - limit) - 1, -1)]
        if kind == "deposit":
            return [_deposit(r) for r in newest_first]
        return [_withdrawal(r) for r in newest_first]

    def dividends(self, request: Request) -> object:
        asset = request.query.get("asset") or None
        records: Sequence[Reward] = self.history.rewards
        if asset is not None:
            records = tuple(r for r in records if r.currency == asset)
        start, end = self._window(request, 180)
        limit = clamp_limit(int_param(request, "limit", _bad_param), 20, 500)
        records, times, _ = self._series_of(("reward", asset), records)
        lo, hi = bisect_left(times, start), bisect_right(times, end)
        rows = [_dividend(records[i]) for i in range(hi - 1, max(lo, hi - limit) - 1, -1)]
        return {"rows": rows, "total": hi - lo}

    # --- converts, dust, fiat, Simple Earn (History.extras) ------------------------------------------------------
    def _in_window(self, request: Request, records, days: int, begin: str = "startTime") -> list:
        start, end = int_param(request, begin, _bad_param), int_param(request, "endTime", _bad_param)
        end = now_ms() if end is None else end
        start = end - days * DAY_MS if start is None else start
        if end - start > days * DAY_MS:
            raise _error(400, -1127, f"More than {days} days between startTime and endTime.")
        return [r for r in records if start <= r.timestamp <= end]

    def _numbered_page(self, request: Request, rows: list, page: str, size: str, default: int, maximum: int) -> list:
        number = max(int_param(request, page, _bad_param) or 1, 1)
        per = clamp_limit(int_param(request, size, _bad_param), default, maximum)
        return rows[(number - 1) * per:number * per]

    def convert_trade_flow(self, request: Request) -> object:
        # tests/real/api/binance/convert-trade-flow.json (developers.binance.com Get-Convert-Trade-History)
        rows = self._in_window(request, self.history.extras.of("convert"), 30)
        limit = clamp_limit(int_param(request, "limit", _bad_param), 100, 1000)
        return {"list": [_convert(c) for c in rows[:limit]], "startTime": int_param(request, "startTime", _bad_param),
                "endTime": int_param(request, "endTime", _bad_param), "limit": limit, "moreData": len(rows) > limit}

    def dribblet(self, request: Request) -> object:
        # tests/real/api/binance/dribblet.json (developers.binance.com dust-log); the docs: the last 100 records
        rows = self._in_window(request, self.history.extras.of("dust"), 365 * 10)[-100:]
        return {"total": len(rows), "userAssetDribblets": [_dust_group(c) for c in reversed(rows)]}

    def fiat_orders(self, request: Request) -> object:
        # tests/real/api/binance/fiat-orders--deposit.json (developers.binance.me fiat rest-api)
        kind = {"0": "deposit", "1": "withdrawal"}.get(request.query.get("transactionType", ""))
        if kind is None:
            raise _mandatory("transactionType")
        rows = [m for m in self._in_window(request, self.history.extras.fiat, 365 * 60, "beginTime")
                if m.kind == kind]
        page = self._numbered_page(request, rows, "page", "rows", 100, 500)
        return {"code": "000000", "message": "success", "data": [_fiat_order(m) for m in page], "total": len(rows),
                "success": True}

    def fiat_payments(self, request: Request) -> object:
        # tests/real/api/binance/fiat-payments--buy.json (developers.binance.com Get-Fiat-Payments-History)
        kind = {"0": "card_buy", "1": "sell"}.get(request.query.get("transactionType", ""))
        if kind is None:
            raise _mandatory("transactionType")
        rows = self._in_window(request, self.history.extras.of(kind), 365 * 60, "beginTime")
        page = self._numbered_page(request, rows, "page", "rows", 100, 500)
        return {"code": "000000", "message": "success", "data": [_fiat_payment(c) for c in page],
                "total": len(rows), "success": True}

    def earn_rewards(self, request: Request, kind: str) -> object:
        # tests/real/api/binance/simple-earn-flexible-rewards.json, -locked-rewards.json (developers.binance.com
        # simple_earn history): at most 3 months a request, paged by current/size
        if kind == "flexible" and not request.query.get("type"):
            raise _mandatory("type")
        rows = self._in_window(request, self.history.extras.earned(kind), 90)
        page = self._numbered_page(request, rows, "current", "size", 10, 100)
        return {"rows": [_earn_row(e) for e in page], "total": len(rows)}

    def flexible_rewards(self, request: Request) -> object:
        return self.earn_rewards(request, "flexible")

    def locked_rewards(self, request: Request) -> object:
        return self.earn_rewards(request, "locked")

    def api_restrictions(self, request: Request) -> object:
        # The documented answer (Binance docs, "Get API Key Permission (USER_DATA)", the Chinese edition's example
        # with every field: https://developers.binance.com/docs/zh-CN/wallet/account/api-key-permission).
        p = self.permissions
        return self.key_payload({
            "ipRestrict": bool(self.key.ips), "createTime": self.key_created_ms(), "enableReading": True,
            "enableWithdrawals": p.can_withdraw, "enableInternalTransfer": p.can_withdraw, "enableMargin": False,
            "enableFutures": False, "permitsUniversalTransfer": p.can_withdraw, "enableVanillaOptions": False,
            "enableFixApiTrade": False, "enableFixReadOnly": p is Permissions.READ_ONLY,
            "enableSpotAndMarginTrading": p.can_trade, "enablePortfolioMarginTrading": False})

    routes: ClassVar = {
        ("GET", "/api/v3/ping"): (ping, False),
        ("GET", "/api/v3/time"): (server_time, False),
        ("GET", "/api/v3/exchangeInfo"): (exchange_info, False),
        ("GET", "/api/v3/klines"): (klines, False),
        ("GET", "/fapi/v1/exchangeInfo"): (futures_info, False),
        ("GET", "/dapi/v1/exchangeInfo"): (futures_info, False),
        ("GET", "/sapi/v1/capital/config/getall"): (coins_config, True),
        ("GET", "/sapi/v1/margin/allPairs"): (margin_pairs, True),
        ("GET", "/sapi/v1/margin/isolated/allPairs"): (isolated_pairs, True),
        ("GET", "/api/v3/account"): (account, True),
        ("GET", "/api/v3/myTrades"): (my_trades, True),
        ("GET", "/sapi/v1/capital/deposit/hisrec"): (Exchange.deposits, True),
        ("GET", "/sapi/v1/capital/withdraw/history"): (Exchange.withdrawals, True),
        ("GET", "/sapi/v1/asset/assetDividend"): (dividends, True),
        ("GET", "/sapi/v1/account/apiRestrictions"): (api_restrictions, True),
        ("GET", "/sapi/v1/convert/tradeFlow"): (convert_trade_flow, True),
        ("GET", "/sapi/v1/asset/dribblet"): (dribblet, True),
        ("GET", "/sapi/v1/fiat/orders"): (fiat_orders, True),
        ("GET", "/sapi/v1/fiat/payments"): (fiat_payments, True),
        ("GET", "/sapi/v1/simple-earn/flexible/history/rewardsRecord"): (flexible_rewards, True),
        ("GET", "/sapi/v1/simple-earn/locked/history/rewardsRecord"): (locked_rewards, True),
    }


def _symbol(m: Market) -> dict:
    tick, step = plain(Decimal(1).scaleb(-m.price_decimals)), plain(Decimal(1).scaleb(-m.amount_decimals))
    return {"symbol": m.id, "status": "TRADING", "baseAsset": m.base, "baseAssetPrecision": 8,
            "quoteAsset": m.quote, "quotePrecision": 8, "quoteAssetPrecision": 8, "baseCommissionPrecision": 8,
            "quoteCommissionPrecision": 8,
            "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
            "icebergAllowed": True, "ocoAllowed": True, "otoAllowed": True, "quoteOrderQtyMarketAllowed": True,
            "allowTrailingStop": True, "cancelReplaceAllowed": True, "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": m.quote == "USDT",
            "filters": [{"filterType": "PRICE_FILTER", "minPrice": tick, "maxPrice": "1000000.00000000",
                         "tickSize": tick},
                        {"filterType": "LOT_SIZE", "minQty": step, "maxQty": "9000.00000000", "stepSize": step},
                        {"filterType": "NOTIONAL", "minNotional": "5.00000000", "applyMinToMarket": True,
                         "maxNotional": "9000000.00000000", "applyMaxToMarket": False, "avgPriceMins": 5}],
            "permissions": [], "permissionSets": [["SPOT", "MARGIN"]], "defaultSelfTradePreventionMode":
            "EXPIRE_MAKER", "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"]}


def _network(coin: str) -> dict:
    net = NETWORK_IDS.get(NETWORKS.get(coin, "ERC20"), "ETH")
    return {"network": net, "coin": coin, "withdrawIntegerMultiple": "0.00000001", "isDefault": True,
            "depositEnable": True, "withdrawEnable": True, "depositDesc": "", "withdrawDesc": "", "specialTips": "",
            "name": net, "resetAddressStatus": False, "addressRegex": "", "memoRegex": "",
            "withdrawFee": plain(WITHDRAWAL_FEES.get(coin, Decimal("0.01"))), "withdrawMin": "0.001",
            "withdrawMax": "9999999999.99999999", "minConfirm": 1, "unLockConfirm": 2, "sameAddress": False,
            "estimatedArrivalTime": 5, "busy": False, "contractAddressUrl": "", "contractAddress": ""}


def _trade(t: Trade, m: Market) -> dict:
    # tests/real/api/binance/my-trades.json (developers.binance.com account-endpoints 'Account trade list')
    return {"symbol": m.id, "id": int(t.id), "orderId": int(t.order_id), "orderListId": -1,
            "price": plain(t.price), "qty": plain(t.amount), "quoteQty": plain(t.cost), "commission": plain(t.fee),
            "commissionAsset": t.fee_currency, "time": t.timestamp, "isBuyer": t.side == "buy",
            "isMaker": not t.taker, "isBestMatch": True}


def _deposit(r: Transfer) -> dict:
    # tests/real/api/binance/deposit-hisrec.json (developers.binance.com deposite-history)
    return {"id": r.id, "amount": plain(r.amount), "coin": r.currency, "network": NETWORK_IDS.get(r.network, "ETH"),
            "status": 1, "address": r.address, "addressTag": "", "txId": r.txid, "insertTime": r.timestamp,
            "completeTime": r.timestamp + 60_000, "transferType": 0, "confirmTimes": "12/12", "unlockConfirm": 0,
            "walletType": 0}


def _utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _withdrawal(r: Transfer) -> dict:
    # tests/real/api/binance/withdraw-history.json (developers.binance.me withdraw-history)
    # binance's amount excludes the fee (transactionFee is charged on top), as History's does
    return {"id": r.id, "amount": plain(r.amount), "transactionFee": plain(r.fee), "coin": r.currency,
            "status": 6, "address": r.address, "txId": r.txid, "applyTime": _utc(r.timestamp),
            "network": NETWORK_IDS.get(r.network, "ETH"), "transferType": 0, "withdrawOrderId": "", "info": "",
            "confirmNo": 12,
            "walletType": 0, "txKey": "", "completeTime": _utc(r.timestamp + 120_000)}


def _dividend(r: Reward) -> dict:
    # tests/real/api/binance/asset-dividend.json (developers.binance.com assets-divided-record)
    info = f"{r.currency} Staking" if r.label == "staking" else f"{r.currency} airdrop"
    return {"id": int(r.id), "amount": plain(r.amount), "asset": r.currency, "divTime": r.timestamp,
            "enInfo": info, "tranId": int(r.id) + 1, "direction": 1}


def _convert(c: Conversion) -> dict:
    # tests/real/api/binance/convert-trade-flow.json: orderId a number, amounts strings, createTime ms
    return {"quoteId": f"{int(c.id):032x}", "orderId": int(c.id), "orderStatus": "SUCCESS", "fromAsset": c.sold,
            "fromAmount": plain(c.sold_amount), "toAsset": c.bought, "toAmount": plain(c.bought_amount),
            "ratio": plain((c.bought_amount / c.sold_amount).quantize(Decimal("1E-8"))),
            "inverseRatio": plain((c.sold_amount / c.bought_amount).quantize(Decimal("1E-8"))),
            "createTime": c.timestamp}


def _dust_group(c: Conversion) -> dict:
    # tests/real/api/binance/dribblet.json: transferedAmount is net of serviceChargeAmount
    net = c.bought_amount - c.fee
    return {"operateTime": c.timestamp, "totalTransferedAmount": plain(net), "totalServiceChargeAmount": plain(c.fee),
            "transId": int(c.id) % 10**11, "userAssetDribbletDetails": [
                {"transId": int(c.id) % 10**7, "serviceChargeAmount": plain(c.fee), "amount": plain(c.sold_amount),
                 "operateTime": c.timestamp, "transferedAmount": plain(net), "fromAsset": c.sold}]}


def _fiat_order(m: FiatMove) -> dict:
    # tests/real/api/binance/fiat-orders--deposit.json
    return {"orderNo": f"{int(m.id):x}-fiat", "fiatCurrency": m.currency, "indicatedAmount": f"{m.amount + m.fee:.2f}",
            "amount": f"{m.amount:.2f}", "totalFee": f"{m.fee:.2f}", "method": "BankAccount",
            "status": "Successful" if m.ok else "Expired", "createTime": m.timestamp,
            "updateTime": m.timestamp + 3_600_000}


def _fiat_payment(c: Conversion) -> dict:
    # tests/real/api/binance/fiat-payments--buy.json: a buy's sourceAmount includes totalFee
    buy = c.kind == "card_buy"
    fiat, fiat_amount = (c.sold, c.sold_amount + c.fee) if buy else (c.bought, c.bought_amount)
    crypto, crypto_amount = (c.bought, c.bought_amount) if buy else (c.sold, c.sold_amount)
    return {"orderNo": f"{int(c.id):032x}", "sourceAmount": plain(fiat_amount), "fiatCurrency": fiat,
            "obtainAmount": plain(crypto_amount), "cryptoCurrency": crypto, "totalFee": plain(c.fee),
            "price": plain((fiat_amount / crypto_amount).quantize(Decimal("1E-6"))),
            "status": "Completed" if c.ok else "Failed", "paymentMethod": "Credit Card", "createTime": c.timestamp,
            "updateTime": c.timestamp}


def _earn_row(e: Earning) -> dict:
    # flexible: tests/real/api/binance/simple-earn-flexible-rewards.json (`rewards`, projectId, type);
    # locked: tests/real/api/binance/simple-earn-locked-rewards.json (`amount`, positionId, lockPeriod)
    if e.kind == "flexible":
        return {"asset": e.asset, "rewards": plain(e.amount), "projectId": f"{e.asset}001", "type": "REALTIME",
                "time": e.timestamp}
    return {"positionId": int(e.id) % 10**9, "time": e.timestamp, "asset": e.asset, "lockPeriod": "30",
            "amount": plain(e.amount), "type": "Locked Rewards"}
