"""Coinbase's REST API (Advanced Trade v3 + the v2 "Coinbase App" API), as ccxt 4.5.90 calls it, over a History.

CDP keys: every private request carries `Authorization: Bearer <JWT>` signed ES256 with the key's EC private key;
the replica verifies the signature with the key's public half, the expiry, the key name (`sub`, `kid`) and the `uri`
claim ("GET host/path", which ccxt writes as "GET http://host:port/path" over plain http).

Shapes follow Coinbase's docs and ccxt's parsers. Choices where the docs are silent, and deliberate differences:
- ids are the History's ids (the real API uses UUIDs): a sync test can name every record it expects;
- Coinbase charges a fill's commission in the quote currency; the History charges buys in the base coin, so a buy's
  commission is served as that fee's quote value at the fill price (`quote_fee`), rounded to 1e-8;
- fills are served newest first, `limit` capped at FILLS_MAX, with an opaque `cursor`; the v2 transaction lists
  cap `limit` at 100 and page with `starting_after` in `order` desc (default) or asc;
- a trade appears twice in the v2 transactions (one `advanced_trade_fill` per account it moved), as on Coinbase.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
import uuid
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import ClassVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from taxer_replica.base import (
    ApiError,
    Exchange,
    Permissions,
    Request,
    Response,
    clamp_limit,
    dumps,
    int_param,
    plain,
)
from taxer_replica.history import LedgerEntry, Market, Reward, Trade, Transfer

FILLS_DEFAULT, FILLS_MAX = 100, 1000
TX_DEFAULT, TX_MAX = 25, 100
CANDLES_MAX = 350
CLOCK_SKEW = 30            # seconds a JWT's nbf may lie in the future
QUOTE_STEP = Decimal("1E-8")
GRANULARITY = {"ONE_MINUTE": "1m", "ONE_HOUR": "1h", "ONE_DAY": "1d"}
# v2 transaction `type` of each History reward label
REWARD_TYPES = {"staking": "staking_reward", "airdrop": "incentives_rewards_payout"}
PERMISSIONS = {Permissions.READ_ONLY: (False, False), Permissions.TRADE: (True, False),
               Permissions.WITHDRAW: (True, True)}
NAMESPACE = uuid.UUID("6f1c1d6e-2a43-4b8e-9a55-0c0ffee0c0de")
PATHS = [(re.compile(r"^/v2/accounts/([^/]+)/transactions$"), "/v2/accounts/{account_id}/transactions"),
         (re.compile(r"^/api/v3/brokerage/market/products/([^/]+)/candles$"),
          "/api/v3/brokerage/market/products/{product_id}/candles")]


def quote_fee(t: Trade) -> Decimal:
    """The commission Coinbase reports for `t`, always in the quote currency (see the module docstring)."""
    if t.side == "sell":
        return t.fee
    return (t.fee * t.price).quantize(QUOTE_STEP, ROUND_HALF_UP)


def account_id(currency: str) -> str:
    """The v2 account (wallet) id of a currency: a stable UUID."""
    return str(uuid.uuid5(NAMESPACE, currency))


def product_id(m: Market) -> str:
    return f"{m.base}-{m.quote}"


def iso(ms: int, *, fraction: bool = True) -> str:
    """RFC 3339 UTC; the v2 API gives whole seconds, Advanced Trade fractions."""
    dt = datetime.fromtimestamp(ms // 1000, UTC)
    text = dt.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{ms % 1000:03d}Z" if fraction else f"{text}Z"


def _parse_iso(text: str) -> int:
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp()) * 1000 + dt.microsecond // 1000


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _unauthorized() -> ApiError:
    # What Coinbase answers a bad or missing JWT: 401 with a plain-text body (ccxt maps the status)
    return ApiError(401, "Unauthorized")


def _invalid(message: str) -> ApiError:
    return ApiError(400, {"error": "INVALID_ARGUMENT", "error_details": message, "message": message})


def _v2_error(status: int, code: str, message: str) -> ApiError:
    return ApiError(status, {"errors": [{"id": code, "message": message}]})


class Api(Exchange):
    name = "coinbase"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._products = {product_id(m): m for m in self.history.markets}
        self._accounts = {account_id(c): c for c in self.history.currencies}
        self._public_key = None
        self._cache: dict = {}

    # --- routing with path parameters, envelope, errors -------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        path, args = request.path, {}
        for pattern, template in PATHS:
            match = pattern.match(path)
            if match:
                path, args = template, {"key": match.group(1)}
                break
        route = self.routes.get((request.method, path))
        try:
            if route is None:
                raise self.not_found(request)
            handler, signed = route
            if signed:
                self.authenticate(request)
            return Response(200, dumps(handler(self, request, **args)))
        except ApiError as e:
            if isinstance(e.payload, str):
                return Response(e.status, e.payload.encode(), e.headers, content_type="text/plain")
            return Response(e.status, dumps(e.payload), e.headers)

    def not_found(self, request: Request) -> ApiError:
        return _v2_error(404, "not_found", "Not found")   # tests/real/api/coinbase/error--v2-not-found.json

    def refusal(self, kind: str, request: Request | None = None) -> ApiError:
        if kind == "not_authorized":   # tests/real/api/coinbase/error--v2-invalid-scope.json (403)
            return ApiError(403, {"errors": [{"id": "invalid_scope", "message": "Invalid scope",
                                              "url": "http://developers.coinbase.com/api#permissions"}]})
        return self.not_found(request)

    def rate_limited(self, retry_after: int) -> Response:
        body = dumps({"errors": [{"id": "rate_limit_exceeded", "message": "Too many requests"}]})
        return Response(429, body, {"Retry-After": str(retry_after)})

    def server_error(self) -> Response:
        return Response(500, dumps({"errors": [{"id": "internal_server_error", "message": "Internal server error"}]}))

    def rate_limit_key(self, request: Request) -> tuple[str, float, float]:
        if request.path.startswith("/api/v3/brokerage/market") or request.path.startswith("/v2/currencies"):
            return ("public", 1.0, 10.0)
        return ("private", 1.0, 30.0)    # Advanced Trade: 30 private requests per second

    # --- authentication ---------------------------------------------------------------------------------------------
    def _key(self):
        if self._public_key is None:
            private = load_pem_private_key(self.credentials.secret.encode(), None)
            self._public_key = private.public_key()
        return self._public_key

    def authenticate(self, request: Request) -> None:
        auth = request.headers.get("Authorization") or ""
        if not auth.startswith("Bearer "):
            raise _unauthorized()     # legacy CB-ACCESS-* HMAC keys are not accepted for Advanced Trade
        try:
            head_b64, body_b64, sig_b64 = auth[len("Bearer "):].split(".")
            header, claims = json.loads(_b64url(head_b64)), json.loads(_b64url(body_b64))
            raw = _b64url(sig_b64)
        except (ValueError, binascii.Error):
            raise _unauthorized() from None
        if header.get("alg") != "ES256" or len(raw) != 64:
            raise _unauthorized()
        signature = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        try:
            self._key().verify(signature, f"{head_b64}.{body_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise _unauthorized() from None
        key = self.credentials.api_key
        if header.get("kid") != key or claims.get("sub") != key:
            raise _unauthorized()
        now = int(time.time())
        if not isinstance(claims.get("exp"), int) or claims["exp"] < now or claims.get("nbf", 0) > now + CLOCK_SKEW:
            raise _unauthorized()
        host = request.headers.get("Host") or ""
        if claims.get("uri") not in (f"{request.method} {host}{request.path}",
                                     f"{request.method} http://{host}{request.path}"):
            raise _unauthorized()

    # --- public -----------------------------------------------------------------------------------------------------
    def fiat_currencies(self, request: Request) -> object:
        return {"data": [{"id": "USD", "name": "US Dollar", "min_size": "0.01"},
                         {"id": "EUR", "name": "Euro", "min_size": "0.01"}]}

    def crypto_currencies(self, request: Request) -> object:
        return {"data": [{"asset_id": str(uuid.uuid5(NAMESPACE, "asset:" + c)), "code": c, "name": c, "color": "",
                          "sort_index": i, "exponent": 8, "type": "crypto", "address_regex": ""}
                         for i, c in enumerate(self.history.currencies)]}

    def exchange_rates(self, request: Request) -> object:
        ts = self.history.end - 1
        rates = {c: f"{1 / self.history.prices.usd(c, ts):.10f}" for c in self.history.currencies}
        return {"data": {"currency": "USD", "rates": rates}}

    def products(self, request: Request) -> object:
        if request.query.get("product_type", "SPOT") != "SPOT":
            return {"products": [], "num_products": 0}
        rows = [_product(m) for m in self.history.markets]
        return {"products": rows, "num_products": len(rows)}

    def candles(self, request: Request, key: str) -> object:
        m = self._products.get(key)
        if m is None:
            raise _v2_error(404, "not_found", "product not found")
        timeframe = GRANULARITY.get(request.query.get("granularity", ""))
        start, end = int_param(request, "start", _invalid), int_param(request, "end", _invalid)
        if timeframe is None or start is None or end is None:
            raise _invalid("start, end and granularity are required")
        bars = self.history.ohlcv(m.symbol, timeframe, since=start * 1000, until=end * 1000)
        if len(bars) > CANDLES_MAX:
            raise _invalid(f"number of candles requested should be less than {CANDLES_MAX}")
        return {"candles": [{"start": str(b.timestamp // 1000), "low": plain(b.low), "high": plain(b.high),
                             "open": plain(b.open), "close": plain(b.close), "volume": plain(b.volume)}
                            for b in reversed(bars)]}

    # --- private: Advanced Trade ------------------------------------------------------------------------------------
    def key_permissions(self, request: Request) -> object:
        # the documented answer (Coinbase docs, "Get API Key Permissions", https://docs.cdp.coinbase.com/api-reference/
        # advanced-trade-api/rest-api/data-api/get-api-key-permissions); it says nothing of the key's allow-list
        trade, transfer = PERMISSIONS[self.permissions]
        return self.key_payload({"can_view": True, "can_trade": trade, "can_transfer": transfer,
                                 "portfolio_uuid": str(uuid.uuid5(NAMESPACE, "portfolio")),
                                 "portfolio_type": "DEFAULT"})

    def transaction_summary(self, request: Request) -> object:
        return {"total_volume": 0, "total_fees": 0, "fee_tier": {
            "pricing_tier": "Advanced 1", "usd_from": "0", "usd_to": "1000", "taker_fee_rate": "0.001",
            "maker_fee_rate": "0.001"}, "margin_rate": None, "goods_and_services_tax": None}

    def fills(self, request: Request) -> object:
        q = request.query
        records: Sequence[Trade] = self.history.trades
        wanted = q.get("product_id")
        if wanted:
            m = self._products.get(wanted)
            if m is None:
                raise _invalid(f"unknown product_id {wanted}")
            records = self.history.trades_of(m.symbol)
        times = self._times(("fills", wanted), records)
        try:
            start = _parse_iso(q["start_sequence_timestamp"]) if q.get("start_sequence_timestamp") else None
            end = _parse_iso(q["end_sequence_timestamp"]) if q.get("end_sequence_timestamp") else None
        except ValueError:
            raise _invalid("start_sequence_timestamp and end_sequence_timestamp are RFC3339 times") from None
        lo = 0 if start is None else bisect_left(times, start)
        hi = len(records) if end is None else bisect_right(times, end)
        if q.get("cursor"):
            try:
                below = int(_b64url(q["cursor"]).decode())  # the index of the next (older) fill
            except ValueError:
                raise _invalid("invalid cursor") from None
            hi = min(hi, below)
        limit = clamp_limit(int_param(request, "limit", _invalid), FILLS_DEFAULT, FILLS_MAX)
        first = max(lo, hi - limit)
        page = [_fill(records[i], self.history.market(records[i].symbol)) for i in range(hi - 1, first - 1, -1)]
        more = first > lo
        cursor = base64.urlsafe_b64encode(str(first).encode()).decode().rstrip("=") if more else ""
        return {"fills": page, "cursor": cursor}

    # --- private: v2 accounts and transactions ----------------------------------------------------------------------
    def accounts(self, request: Request) -> object:
        rows = [_account(c, self.history.balances.get(c, Decimal(0))) for c in self.history.currencies]
        return self._v2_page(request, "/v2/accounts", rows, [r["id"] for r in rows], 25, 300)

    def transactions(self, request: Request, key: str) -> object:
        currency = self._accounts.get(key)
        if currency is None:
            raise _v2_error(404, "not_found", "Not found")
        rows = self._cache.get(("tx", currency))
        if rows is None:
            rows = self._cache[("tx", currency)] = _transactions(self.history, currency, key)
        return self._v2_page(request, f"/v2/accounts/{key}/transactions", rows, [r["id"] for r in rows],
                             TX_DEFAULT, TX_MAX)

    def _v2_page(self, request: Request, path: str, rows: list, ids: list[str], default: int, maximum: int) -> object:
        """v2 pagination: `order` desc (default) or asc, `starting_after`/`ending_before` ids, `limit`."""
        q = request.query
        order = q.get("order") or "desc"
        if order not in ("asc", "desc"):
            raise _v2_error(400, "invalid_request", "order must be asc or desc")
        listed = list(range(len(rows))) if order == "asc" else list(range(len(rows) - 1, -1, -1))
        position = {ids[i]: n for n, i in enumerate(listed)}
        limit = clamp_limit(int_param(request, "limit", lambda n: _v2_error(400, "invalid_request", n)),
                            default, maximum)
        lo, hi = 0, len(listed)
        for name in ("starting_after", "ending_before"):
            value = q.get(name)
            if value and value not in position:
                raise _v2_error(400, "invalid_request", f"{name} is not an id of this list")
        if q.get("starting_after"):
            lo = position[q["starting_after"]] + 1
        if q.get("ending_before"):
            hi = position[q["ending_before"]]
            lo = max(lo, hi - limit)
        chosen = listed[lo:min(hi, lo + limit)]
        data = [rows[i] for i in chosen]
        more = lo + limit < hi
        next_after = data[-1]["id"] if data and more else None
        return {"pagination": {
            "ending_before": q.get("ending_before"), "starting_after": q.get("starting_after"),
            "previous_ending_before": data[0]["id"] if data else None, "next_starting_after": next_after,
            "limit": limit, "order": order, "previous_uri": None,
            "next_uri": f"{path}?limit={limit}&order={order}&starting_after={next_after}" if next_after else None},
            "data": data}

    def _times(self, key: tuple, records: Sequence) -> list[int]:
        times = self._cache.get(key)
        if times is None:
            times = self._cache[key] = [r.timestamp for r in records]
        return times

    routes: ClassVar = {
        ("GET", "/v2/currencies"): (fiat_currencies, False),
        ("GET", "/v2/currencies/crypto"): (crypto_currencies, False),
        ("GET", "/v2/exchange-rates"): (exchange_rates, False),
        ("GET", "/api/v3/brokerage/market/products"): (products, False),
        ("GET", "/api/v3/brokerage/market/products/{product_id}/candles"): (candles, False),
        ("GET", "/api/v3/brokerage/key_permissions"): (key_permissions, True),
        ("GET", "/api/v3/brokerage/transaction_summary"): (transaction_summary, True),
        ("GET", "/api/v3/brokerage/orders/historical/fills"): (fills, True),
        ("GET", "/v2/accounts"): (accounts, True),
        ("GET", "/v2/accounts/{account_id}/transactions"): (transactions, True),
    }


def _product(m: Market) -> dict:
    step = plain(Decimal(1).scaleb(-m.price_decimals))
    return {"product_id": product_id(m), "price": "0", "base_increment": plain(Decimal(1).scaleb(-m.amount_decimals)),
            "quote_increment": step, "price_increment": step, "quote_min_size": "1", "quote_max_size": "10000000",
            "base_min_size": "0", "base_max_size": "100000000", "base_name": m.base, "quote_name": m.quote,
            "status": "online", "is_disabled": False, "trading_disabled": False, "product_type": "SPOT",
            "base_currency_id": m.base, "quote_currency_id": m.quote, "base_display_symbol": m.base,
            "quote_display_symbol": m.quote, "alias": "", "alias_to": [], "view_only": False,
            "display_name": product_id(m), "product_venue": "CBE"}


def _fill(t: Trade, m: Market) -> dict:
    # tests/real/api/coinbase/fills.json (docs.cdp.coinbase.com list-fills response example)
    return {"entry_id": f"{int(t.id):064x}", "trade_id": t.id, "order_id": t.order_id, "trade_time": iso(t.timestamp),
            "trade_type": "FILL", "price": plain(t.price), "size": plain(t.amount), "commission": plain(quote_fee(t)),
            "product_id": product_id(m), "sequence_timestamp": iso(t.timestamp),
            "liquidity_indicator": "TAKER" if t.taker else "MAKER", "size_in_quote": False,
            "user_id": "3f1e1d5c-0000-4000-8000-00000000c0de", "side": t.side.upper(), "retail_portfolio_id": "",
            "fillSource": "FILL_SOURCE_UNKNOWN",
            "commission_detail_total": {"total_commission": plain(quote_fee(t)), "gst_commission": "0",
                                        "withholding_commission": "0", "client_commission": "0"}}


def _account(currency: str, balance: Decimal) -> dict:
    # tests/real/api/coinbase/v2-accounts.json (rotki's recorded-style fixture) has `currency` as a code; the
    # current docs show an object (tests/real/api/SOURCES.md: still unknown): the replica serves the docs' object
    aid = account_id(currency)
    return {"id": aid, "name": f"{currency} Wallet", "primary": True, "type": "wallet",
            "currency": {"code": currency, "name": currency, "exponent": 8, "type": "crypto"},
            "balance": {"amount": plain(balance), "currency": currency}, "created_at": "2021-01-01T00:00:00Z",
            "updated_at": "2021-01-01T00:00:00Z", "resource": "account", "resource_path": f"/v2/accounts/{aid}",
            "ready": True, "allow_deposits": True, "allow_withdrawals": True}


def _money(amount: Decimal, currency: str) -> dict:
    return {"amount": plain(amount), "currency": currency}


def _transactions(history, currency: str, aid: str) -> list[dict]:
    """The account's v2 transactions in time order: sends and receives, rewards, and one fill entry per trade leg."""
    out = []
    for ev in history.events:
        if isinstance(ev, Transfer) and ev.currency == currency:
            out.append(_transfer(ev, aid))
        elif isinstance(ev, Reward) and ev.currency == currency:
            out.append(_base(ev.id, REWARD_TYPES[ev.label], ev.amount, currency, ev.timestamp, aid,
                             f"{ev.label} reward"))
    out += [_trade_leg(e, aid) for e in history.ledger() if e.kind == "trade" and e.currency == currency]
    out += _extra_rows(history, currency, aid)
    out.sort(key=lambda r: (r["_ts"], r["id"]))
    for r in out:
        del r["_ts"]
    return out


def _base(rid: str, kind: str, amount: Decimal, currency: str, ts: int, aid: str, title: str) -> dict:
    return {"id": rid, "type": kind, "status": "completed", "amount": _money(amount, currency),
            "native_amount": _money(amount, currency), "description": None, "created_at": iso(ts, fraction=False),
            "updated_at": iso(ts, fraction=False), "resource": "transaction",
            "resource_path": f"/v2/accounts/{aid}/transactions/{rid}", "instant_exchange": False,
            "details": {"title": title, "subtitle": ""}, "_ts": ts}


def _transfer(t: Transfer, aid: str) -> dict:
    # tests/real/api/coinbase/v2-transactions--send-receive-rewards-buy-sell.json (rotki's recorded-style answer): a
    # send is negative out (network.transaction_amount + transaction_fee) or positive in
    if t.kind == "deposit":
        row = _base(t.id, "send", t.amount, t.currency, t.timestamp, aid, f"Received {t.currency}")
        row["network"] = {"status": "confirmed", "hash": t.txid, "network_name": t.network}
        row["from"] = {"resource": "address", "address": t.address, "currency": t.currency}
        return row
    # a send debits what reached the address plus the network fee
    row = _base(t.id, "send", -(t.amount + t.fee), t.currency, t.timestamp, aid, f"Sent {t.currency}")
    row["network"] = {"status": "confirmed", "hash": t.txid, "network_name": t.network,
                      "transaction_amount": _money(t.amount, t.currency),
                      "transaction_fee": _money(t.fee, t.currency)}
    row["to"] = {"resource": "address", "address": t.address, "currency": t.currency}
    return row


def _extra_rows(history, currency: str, aid: str) -> list[dict]:
    """The account's retail buys and sells, convert legs, Coinbase Pro moves and inflation rewards (History.extras).

    Shapes: tests/real/api/coinbase/v2-transactions--send-receive-rewards-buy-sell.json (buy, sell,
    inflation_reward: a `buy` reference object, `native_amount` the fiat value), v2-transactions--trade-convert.json
    (two `trade` legs in two accounts joined by `trade.id`, sharing the transaction id as in that answer),
    v2-transactions--pro-deposit.json (pro_deposit negative: to Coinbase Pro; pro_withdrawal positive)."""
    x, out = history.extras, []
    for c in x.of("buy") + x.of("sell"):
        coin = c.bought if c.kind == "buy" else c.sold
        if coin != currency:
            continue
        sign = 1 if c.kind == "buy" else -1
        row = _base(c.id, c.kind, sign * (c.bought_amount if c.kind == "buy" else c.sold_amount), coin, c.timestamp,
                    aid, f"{'Bought' if c.kind == 'buy' else 'Sold'} {coin}")
        row["native_amount"] = _money(sign * (c.sold_amount if c.kind == "buy" else c.bought_amount), "EUR")
        row[c.kind] = {"id": f"{c.id}-{c.kind}", "resource": c.kind,
                       "resource_path": f"/v2/accounts/{aid}/{c.kind}s/{c.id}-{c.kind}"}
        out.append(row)
    for c in x.of("convert"):
        for asset, amount, title in ((c.sold, -c.sold_amount, f"Converted from {c.sold}"),
                                     (c.bought, c.bought_amount, f"Converted to {c.bought}")):
            if asset == currency:
                row = _base(c.id, "trade", amount, asset, c.timestamp, aid, title)
                row["trade"] = {"id": f"{c.id}-trade", "resource": "trade",
                                "resource_path": f"/v2/accounts/{aid}/trades/{c.id}-trade"}
                out.append(row)
    for o in x.own_moves:
        if o.kind in ("pro_deposit", "pro_withdrawal") and o.asset == currency:
            out.append(_base(o.id, o.kind, o.amount, o.asset, o.timestamp, aid,
                             f"Transferred {o.asset} {'to' if o.amount < 0 else 'from'} Coinbase Pro"))
    for y in x.earned("inflation"):
        if y.asset == currency:
            out.append(_base(y.id, "inflation_reward", y.amount, y.asset, y.timestamp, aid, f"{y.asset} reward"))
    return out


def _trade_leg(e: LedgerEntry, aid: str) -> dict:
    row = _base(e.id, "advanced_trade_fill", e.change, e.currency, e.timestamp, aid, "Advanced Trade fill")
    row["advanced_trade_fill"] = {"fill_price": "", "product_id": "", "order_id": "", "commission": plain(e.fee),
                                  "order_side": e.detail}
    return row
