"""What every exchange module of the replica shares: requests, responses, errors, credentials, permissions."""

from __future__ import annotations

import enum
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from email.message import Message
from typing import ClassVar

from taxer_replica.history import History, Transfer

DAY_MS = 86_400_000


class Permissions(enum.Enum):
    """What an API key may do; each exchange reports it in its own words on its permission endpoint."""

    READ_ONLY = "read_only"
    TRADE = "trade"          # read + trade
    WITHDRAW = "withdraw"    # read + trade + withdraw

    @property
    def can_trade(self) -> bool:
        return self is not Permissions.READ_ONLY

    @property
    def can_withdraw(self) -> bool:
        return self is Permissions.WITHDRAW


@dataclass(frozen=True)
class KeyFacts:
    """How the replica's key is protected, as each exchange's key endpoint reports it (where it does)."""

    ips: tuple[str, ...] = ()           # the IP allow-list; empty: not bound
    created_ms: int | None = None       # None: 30 days before the history starts
    expires_ms: int | None = None       # kraken validUntil; None: never ("0")
    query_from_ms: int | None = None    # kraken queryFrom / queryTo; None: no window ("0")
    query_to_ms: int | None = None
    deposit_funds: bool = False         # kraken: the key also has "Deposit Funds" (DepositStatus answers)


# Exchange.key_answer's default: serve the answer computed from `permissions` and `key`.
COMPUTED = object()


@dataclass(frozen=True)
class Credentials:
    api_key: str
    secret: str
    passphrase: str | None = None


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    raw_query: str                 # as received, still percent-encoded
    query: dict[str, str]          # decoded; the last value wins for a repeated name
    headers: Message
    body: bytes = b""


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


class Enveloped(dict):
    """A whole answer, envelope included: for an endpoint whose documented envelope differs from the exchange's
    usual one (bitget's bills say `message` where the others say `msg`)."""


class ApiError(Exception):
    """Raised by a route; the server answers with `status` and the exchange's own error body."""

    def __init__(self, status: int, payload: object, headers: dict[str, str] | None = None) -> None:
        super().__init__(payload)
        self.status, self.payload, self.headers = status, payload, headers or {}


def dumps(payload: object) -> bytes:
    return json.dumps(payload, separators=(",", ":"), default=_default).encode()


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot serialize {type(value).__name__}")


def plain(d: Decimal) -> str:
    """A Decimal as exchanges print it: fixed-point, never exponent notation."""
    return f"{d:f}"


def now_ms() -> int:
    return int(time.time() * 1000)


class Exchange:
    """One exchange's API over a History. Subclasses fill `routes` and the error shapes.

    `routes` maps (METHOD, path) to (handler, signed); a handler takes the Request and returns the JSON payload.
    """

    name = ""
    routes: ClassVar[dict[tuple[str, str], tuple[Callable[[Exchange, Request], object], bool]]] = {}

    def __init__(self, history: History, credentials: Credentials, permissions: Permissions,
                 key: KeyFacts = KeyFacts()) -> None:
        self.history, self.credentials, self.permissions, self.key = history, credentials, permissions, key
        # a crafted answer to serve on the key-permission endpoint instead (tests of answers taxer must refuse)
        self.key_answer: object = COMPUTED

    def key_payload(self, computed: object) -> object:
        """What the key-permission endpoint answers: the crafted `key_answer` if set, else `computed`."""
        return computed if self.key_answer is COMPUTED else self.key_answer

    def deposits(self, request: Request) -> object:
        """The deposit history endpoint: `_transfers` of the history's deposits (each exchange pages its own way)."""
        return self._transfers(request, "deposit", self.history.deposits)

    def withdrawals(self, request: Request) -> object:
        return self._transfers(request, "withdrawal", self.history.withdrawals)

    def _transfers(self, request: Request, kind: str, records: Sequence[Transfer]) -> object:
        raise NotImplementedError(f"{self.name} serves no {kind} history")

    def key_created_ms(self) -> int:
        return self.key.created_ms if self.key.created_ms is not None else self.history.start - 30 * DAY_MS

    def handle(self, request: Request) -> Response:
        route = self.routes.get((request.method, request.path))
        try:
            if route is None:
                raise self.not_found(request)
            handler, signed = route
            if signed:
                self.authenticate(request)
            payload = handler(self, request)
            return Response(200, dumps(payload if isinstance(payload, Enveloped) else self.wrap(payload)))
        except ApiError as e:
            return Response(e.status, dumps(e.payload), e.headers)

    # --- what each exchange defines -------------------------------------------------------------------------------
    def wrap(self, payload: object) -> object:
        """The success envelope around a handler's payload."""
        return payload

    def authenticate(self, request: Request) -> None:
        raise NotImplementedError

    def not_found(self, request: Request) -> ApiError:
        raise NotImplementedError

    def refusal(self, kind: str, request: Request | None = None) -> ApiError:
        """The exchange's documented answer refusing one endpoint for good: kind "not_authorized" (the key lacks
        the permission for it) or "unknown_endpoint". Each exchange cites its source."""
        if kind == "unknown_endpoint":
            return self.not_found(request)
        raise NotImplementedError

    def rate_limited(self, retry_after: int) -> Response:
        """The exchange's 429 answer."""
        raise NotImplementedError

    def server_error(self) -> Response:
        """The exchange's 5xx answer with its JSON error body."""
        raise NotImplementedError

    def rate_limit_key(self, request: Request) -> tuple[str, float, float]:
        """(bucket, cost, capacity per second) for the optional rate limiter."""
        return ("all", 1.0, 20.0)


def html_error(status: int = 502) -> Response:
    """What a CDN or load balancer in front of an exchange answers when the backend is down."""
    body = (f"<html>\r\n<head><title>{status} Bad Gateway</title></head>\r\n<body>\r\n<center><h1>{status} Bad "
            "Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n").encode()
    return Response(status, body, content_type="text/html")


def int_param(request: Request, name: str, error: Callable[[str], ApiError]) -> int | None:
    """An optional integer query parameter; `error(name)` builds the exchange's error for a malformed one."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise error(name) from None


def clamp_limit(value: int | None, default: int, maximum: int) -> int:
    """Exchanges answer a limit above their maximum with the maximum (a client must not infer the end from it)."""
    if value is None or value <= 0:
        return default
    return min(value, maximum)


def of_currency(records: Sequence[Transfer], code: str | None) -> Sequence[Transfer]:
    """The transfers of one currency (all of them when the request names none)."""
    return records if code is None else tuple(r for r in records if r.currency == code)
