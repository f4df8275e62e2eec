"""Pointing the real ccxt client at a replica, and the paging a sync does, written plainly for the tests."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import ccxt

from taxer_replica import Replica

DAY = 86_400_000
# What keeps load_markets small: the classic (v2) bitget account, spot markets only, no margin pairs on binance.
OPTIONS = {
    "bitget": {"uta": False, "fetchMarkets": {"types": ["spot"]}},
    "binance": {"fetchMarkets": {"types": ["spot"]}, "fetchMargins": False},
    "kraken": {},
    "okx": {"fetchMarkets": {"types": ["spot"]}},
}
CREDENTIALS = {"apiKey": "test-key", "secret": "test-secret", "password": "test-pass"}


def point_at(exchange: ccxt.Exchange, base_url: str) -> None:
    """Send every API call of `exchange` to `base_url` (scheme + host + port), keeping each URL's path."""
    base = urlsplit(base_url)

    def rewrite(value):
        if isinstance(value, dict):
            return {k: rewrite(v) for k, v in value.items()}
        if isinstance(value, str) and "://" in value:
            return urlsplit(value)._replace(scheme=base.scheme, netloc=base.netloc).geturl()
        return value

    exchange.urls["api"] = rewrite(exchange.urls["api"])


def client(rep: Replica, *, timeout_ms: int = 10_000, **overrides) -> ccxt.Exchange:
    """A real ccxt client for the replica's exchange, its rate limiter off, pointed at `rep`."""
    cls = getattr(ccxt, rep.exchange)
    config = {**CREDENTIALS, "enableRateLimit": False, "timeout": timeout_ms,
              "options": dict(OPTIONS[rep.exchange]), **overrides}
    ex = cls(config)
    point_at(ex, rep.url)
    return ex


RETRYABLE = (ccxt.NetworkError, ccxt.ExchangeNotAvailable, ccxt.OperationFailed)


def retrying(ex: ccxt.Exchange, attempts: int = 8, stats: dict | None = None):
    """call(fn, *args) with retries on temporary errors; honours Retry-After, capped at 50 ms to keep tests fast."""

    def call(fn, *args, **kwargs):
        for attempt in range(attempts):
            try:
                return fn(*args, **kwargs)
            except ccxt.AuthenticationError:
                raise
            except (RETRYABLE + (ccxt.ExchangeError,)) as e:
                temporary = isinstance(e, RETRYABLE) or "50001" in str(e)
                if not temporary or attempt == attempts - 1:
                    raise
                if stats is not None:
                    stats[type(e).__name__] = stats.get(type(e).__name__, 0) + 1
                retry_after = (ex.last_response_headers or {}).get("Retry-After")
                time.sleep(min(float(retry_after), 0.05) if retry_after else 0)
        raise AssertionError("unreachable")

    return call


def _direct(fn, *args, **kwargs):
    return fn(*args, **kwargs)


def windows(start: int, end: int, span: int):
    """[s, e] pairs (both inclusive) covering [start, end) without overlap, each at most `span` long."""
    for s in range(start, end, span):
        yield s, min(s + span, end) - 1


def bitget_paged(fetch, start: int, end: int, limit: int) -> list[dict]:
    """bitget's paging: windows of <= 90 days; inside each, pages newest first with idLessThan = the smallest id."""
    out = []
    for s, e in windows(start, end, 90 * DAY):
        cursor = None
        while True:
            page = fetch(s, {"until": e, **({"idLessThan": cursor} if cursor else {})})
            out += page
            if len(page) < limit:
                break
            cursor = min(int(x["id"]) for x in page)
    return out


def bitget_trades(ex, symbol: str, start: int, end: int, call=_direct) -> list[dict]:
    return bitget_paged(lambda s, p: call(ex.fetch_my_trades, symbol, s, 100, p), start, end, 100)


def bitget_deposits(ex, start: int, end: int, call=_direct) -> list[dict]:
    return bitget_paged(lambda s, p: call(ex.fetch_deposits, None, s, 100, p), start, end, 100)


def bitget_withdrawals(ex, start: int, end: int, call=_direct) -> list[dict]:
    return bitget_paged(lambda s, p: call(ex.fetch_withdrawals, None, s, 100, p), start, end, 100)


def bitget_ledger(ex, start: int, end: int, call=_direct) -> list[dict]:
    return bitget_paged(lambda s, p: call(ex.fetch_ledger, None, s, 500, p), start, end, 500)


def binance_trades(ex, symbol: str, call=_direct, page_size: int = 1000) -> list[dict]:
    """Every trade of `symbol` by ascending id from fromId=0."""
    out, from_id = [], 0
    while True:
        page = call(ex.fetch_my_trades, symbol, None, page_size, {"fromId": from_id})
        out += page
        if len(page) < page_size:
            return out
        from_id = max(int(t["id"]) for t in page) + 1


def binance_transfers(ex, kind: str, start: int, end: int, call=_direct) -> list[dict]:
    """Deposits or withdrawals in 90-day windows (endTime passed explicitly: ccxt would send since + 90 days)."""
    fetch = ex.fetch_deposits if kind == "deposit" else ex.fetch_withdrawals
    out = []
    for s, e in windows(start, end, 90 * DAY):
        offset = 0
        while True:
            page = call(fetch, None, s, 1000, {"endTime": e, "offset": offset})
            out += page
            if len(page) < 1000:
                break
            offset += len(page)
    return out


def binance_dividends(ex, start: int, end: int, call=_direct) -> list[dict]:
    """assetDividend rows in 180-day windows; no cursor: inside a window, move endTime below the oldest row."""
    out = []
    for s, e in windows(start, end, 180 * DAY):
        while True:
            rows = call(ex.sapi_get_asset_assetdividend, {"startTime": s, "endTime": e, "limit": 500})["rows"]
            out += rows
            if len(rows) < 500:
                break
            e = min(int(r["divTime"]) for r in rows) - 1
    return out
