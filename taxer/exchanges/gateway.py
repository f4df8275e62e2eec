"""The one module that talks to ccxt: building clients, retries with backoff, Retry-After, error mapping.

Only temporary failures are retried (ccxt's OperationFailed family, and exchange errors answered with HTTP 5xx);
authentication errors stop at once. An endpoint the exchange refuses for good (HTTP 404, which ccxt calls
ExchangeNotAvailable as if temporary, or one of the exchange's documented "unknown method" / "not authorized for
this endpoint" codes) raises `EndpointUnavailable` at once, so the sync can go on with the other streams.
An exchange's documented key refusals (`key_errors`) name what is wrong with the key, whatever class ccxt gives them
(binance's -2015 becomes a "DDoSProtection" after a first successful call); a documented lockout (`lockouts`, e.g.
kraken's "Temporary lockout", which every further call extends) stops at once, saying how long to wait.
Every message that leaves this module is redacted of credentials.
"""

from __future__ import annotations

import binascii
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import ccxt

from taxer.errors import (
    EndpointNotAuthorized,
    EndpointUnavailable,
    ExchangeAuthError,
    ExchangeError,
    ExchangeUnavailable,
    TaxerError,
)
from taxer.exchanges.credentials import Credentials, redact


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries: exponential backoff with jitter, or the server's Retry-After when it gives one."""

    attempts: int = 6
    base_delay: float = 0.5     # seconds (float ok: a delay, not money)
    max_delay: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_delay)
        return min(self.base_delay * (2 ** attempt), self.max_delay) * (0.5 + rng.random() / 2)


LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def is_loopback(url: str | None) -> bool:
    """True for a base URL on this machine (a replica or local proxy): ccxt's rate limiter is for real exchanges."""
    return bool(url) and urlsplit(url).hostname in LOOPBACK


def supported_exchanges() -> list[str]:
    return list(ccxt.exchanges)


def _rewrite_urls(urls: Any, base: str) -> Any:
    """Every URL string of a nested ccxt `urls['api']` moved to `base` (scheme+host[:port]), keeping its path."""
    if isinstance(urls, dict):
        return {k: _rewrite_urls(v, base) for k, v in urls.items()}
    if isinstance(urls, str) and "://" in urls:
        rest = urls.split("://", 1)[1]
        path = rest[rest.index("/"):] if "/" in rest else ""
        return base.rstrip("/") + path
    return urls


def _retry_after_seconds(headers: dict | None) -> float | None:
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == "retry-after":
            try:
                return max(float(value), 0.0)  # float ok: seconds
            except (TypeError, ValueError):
                return None
    return None


class Gateway:
    """A ccxt client for one account, with taxer's retry and error policy around every call."""

    def __init__(self, exchange_id: str, creds: Credentials | None, *, account: str, api_url: str | None = None,
                 options: dict | None = None, rate_limit: bool = True, timeout_ms: int = 15000,
                 retry: RetryPolicy = RetryPolicy(), endpoint_errors: dict[str, str] | None = None,
                 key_errors: dict[str, str] | None = None, lockouts: dict[str, str] | None = None) -> None:
        if exchange_id not in ccxt.exchanges:
            raise TaxerError(f"account {account!r}: {exchange_id!r} is not an exchange ccxt knows; use a ccxt id "
                             "such as bitget, binance, kraken, coinbase or okx")
        self.exchange_id, self.account, self.creds, self.retry = exchange_id, account, creds, retry
        # documented error codes that mean "this endpoint, never": a token of the answer's body -> the reason
        self.endpoint_errors = dict(endpoint_errors or {})
        # documented key refusals: a token of the answer's body -> what it says is wrong with the key
        self.key_errors = dict(key_errors or {})
        # documented lockouts that a retry would extend: a token of the answer's body -> what the user must do
        self.lockouts = dict(lockouts or {})
        config: dict[str, Any] = {"enableRateLimit": rate_limit, "timeout": timeout_ms, "options": dict(options or {})}
        if creds is not None:
            config.update(apiKey=creds.api_key, secret=creds.secret)
            if creds.password:
                config["password"] = creds.password
        self.client = getattr(ccxt, exchange_id)(config)
        if api_url:
            self.client.urls["api"] = _rewrite_urls(self.client.urls["api"], api_url)
        self.requests = 0
        self.retries = 0
        self._last_status: int | None = None
        self._last_body: str = ""
        self._rng = random.Random()
        original = self.client.on_rest_response

        def on_rest_response(code, reason, url, method, headers, body, request_headers, request_body):
            self.requests += 1
            self._last_status = int(code) if code else None
            self._last_body = body if isinstance(body, str) else ""
            return original(code, reason, url, method, headers, body, request_headers, request_body)

        self.client.on_rest_response = on_rest_response

    def _where(self) -> str:
        return f"account {self.account!r} ({self.exchange_id})"

    def _message(self, exc: Exception) -> str:
        return redact(f"{type(exc).__name__}: {exc}", self.creds)[:600]

    def _unavailable(self, method: str, exc: Exception) -> EndpointUnavailable | None:
        """The permanent refusal of one endpoint this answer is, if it is one."""
        reason = next((why for token, why in self.endpoint_errors.items() if token in self._last_body), None)
        if reason is None and self._last_status == 404:
            reason = "unknown endpoint"
        if reason is None:
            return None
        message = f"{self._where()}: {method}: {reason} ({self._message(exc)})"
        if reason == "not authorized":
            return EndpointNotAuthorized(message)
        return EndpointUnavailable(message, reason=reason)

    def _matched(self, table: dict[str, str]) -> str | None:
        return next((what for token, what in table.items() if token in self._last_body), None)

    def _key_refused(self, exc: Exception, problem: str | None) -> ExchangeAuthError:
        if problem is not None:
            return ExchangeAuthError(f"{self._where()} refused the API key: {problem} ({self._message(exc)}).")
        return ExchangeAuthError(
            f"{self._where()} refused the API key ({self._message(exc)}). Check the key and secret (and "
            "passphrase), that the key is not expired, and that it may read account history.")

    def _stop_now(self, method: str, exc: Exception) -> TaxerError | None:
        """A documented lockout or key refusal, whatever ccxt's class for it: never retried."""
        lockout = self._matched(self.lockouts)
        if lockout is not None:
            return ExchangeUnavailable(f"{self._where()}: {method}: {lockout} ({self._message(exc)}).")
        problem = self._matched(self.key_errors)
        if problem is not None:
            return self._key_refused(exc, problem)
        return None

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call a ccxt method (unified or implicit) by name, retrying what is temporary."""
        func = getattr(self.client, method)
        last: Exception | None = None
        for attempt in range(self.retry.attempts):
            self._last_status, self._last_body = None, ""
            try:
                return func(*args, **kwargs)
            except ccxt.AuthenticationError as exc:  # includes PermissionDenied, AccountSuspended
                unavailable = self._unavailable(method, exc)
                if unavailable is not None:
                    raise unavailable from None
                raise self._key_refused(exc, self._matched(self.key_errors)) from None
            except binascii.Error:   # ccxt decodes base64 secrets (kraken) while signing
                raise ExchangeAuthError(
                    f"{self._where()}: the API secret is not valid base64, which this exchange's secrets are. Copy "
                    "the secret again from the exchange's API key page, whole.") from None
            except (ccxt.OperationFailed, ccxt.ExchangeError) as exc:
                stop = self._stop_now(method, exc)
                if stop is not None:
                    raise stop from None
                unavailable = self._unavailable(method, exc)
                if unavailable is not None:
                    raise unavailable from None
                temporary = isinstance(exc, ccxt.OperationFailed) or (self._last_status or 0) >= 500
                if not temporary:
                    raise ExchangeError(f"{self._where()}: the exchange rejected {method} "
                                        f"({self._message(exc)}).") from None
                last = exc
                self.retries += 1
                if attempt + 1 < self.retry.attempts:
                    # a 429: DDoSProtection (bitget, binance) or RateLimitExceeded (okx 50011, not a subclass)
                    retry_after = _retry_after_seconds(self.client.last_response_headers) \
                        if isinstance(exc, (ccxt.DDoSProtection, ccxt.RateLimitExceeded)) else None
                    self.retry.sleep(self.retry.delay(attempt, retry_after, self._rng))
        raise ExchangeUnavailable(f"{self._where()}: {method} still failing after {self.retry.attempts} attempts "
                                  f"({self._message(last)}).")

    def markets(self) -> dict:
        return self.call("load_markets")

    def close(self) -> None:
        session = getattr(self.client, "session", None)
        if session is not None:
            session.close()
