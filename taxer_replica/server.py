"""The replica's HTTP server: one exchange per port on 127.0.0.1, serving a History to the real ccxt client.

Keep-alive with TCP_NODELAY, and each response (headers and body) goes out in one send: otherwise Nagle's algorithm
and delayed ACKs stall every keep-alive request by ~40 ms.
"""

from __future__ import annotations

import socket
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import parse_qsl

from taxer_replica import binance, bitget, coinbase, kraken, okx
from taxer_replica.base import Credentials, Exchange, KeyFacts, Permissions, Request, Response, dumps, html_error
from taxer_replica.faults import FaultPlan, Faults, RateLimiter
from taxer_replica.history import History

# One module per exchange; a new exchange is one file plus its name here.
EXCHANGES: dict[str, type[Exchange]] = {m.Api.name: m.Api for m in (bitget, binance, kraken, coinbase, okx)}
HOST = "127.0.0.1"
# Parameters that change on every retry of the same request: ignored when deciding "the same request again".
VOLATILE = frozenset({"timestamp", "signature", "recvWindow"})


class Replica:
    """A local stand-in for one exchange's REST API, serving `history`.

    >>> with Replica("bitget", history, api_key="k", secret="s", passphrase="p") as rep:
    ...     rep.url   # "http://127.0.0.1:PORT"
    """

    def __init__(self, exchange: str, history: History, *, api_key: str = "key", secret: str = "secret",
                 passphrase: str | None = None, permissions: Permissions = Permissions.READ_ONLY,
                 faults: Faults | None = None, rate_limit: bool = False, port: int = 0,
                 key: KeyFacts | None = None) -> None:
        if exchange not in EXCHANGES:
            raise ValueError(f"no replica for exchange {exchange!r}; known: {', '.join(sorted(EXCHANGES))}")
        self.exchange = exchange
        self.history = history
        self.api = EXCHANGES[exchange](history, Credentials(api_key, secret, passphrase), permissions,
                                       key or KeyFacts())
        self.faults = faults or Faults()
        self.plan = FaultPlan(self.faults)
        self.rate_limit = rate_limit
        self.limiter = RateLimiter()
        self.port = port
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.refused: dict[str, str] = {}      # path fragment -> "not_authorized" | "unknown_endpoint"
        self.crafted: list[list] = []          # [path fragment, Response, answers left (None: every time)]
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the replica is not started")
        return f"http://{HOST}:{self._server.server_address[1]}"

    @property
    def fault_counts(self) -> dict[str, int]:
        """How many faults of each kind were injected so far."""
        return dict(self.plan.counts)

    def refuse(self, path_part: str, kind: str = "not_authorized") -> Self:
        """Answer every request whose path contains `path_part` with the exchange's documented refusal of `kind`
        ("not_authorized": the key lacks the permission; "unknown_endpoint"), as for a key or region without it."""
        if kind not in ("not_authorized", "unknown_endpoint"):
            raise ValueError(f"unknown refusal {kind!r}")
        self.refused[path_part] = kind
        return self

    def answer(self, path_part: str, status: int, body: object, *, times: int | None = 1,
               headers: dict[str, str] | None = None) -> Self:
        """Answer the next `times` requests whose path contains `path_part` (every one: times=None) with `body`
        (JSON unless bytes) at HTTP `status`, as a documented answer of tests/real/api says the exchange does; the
        ones after get the normal answer again. Crafted answers are served in the order they were added."""
        raw = body if isinstance(body, bytes) else dumps(body)
        self.crafted.append([path_part, Response(status, raw, dict(headers or {})), times])
        return self

    def start(self) -> Self:
        if self._server is not None:
            return self
        self._server = _Server((HOST, self.port), _Handler)
        self._server.replica = self
        # stop() waits for the serving loop's next poll: at 0.1 s, the ~300 tests that start a replica idled 0.1 s
        # each on the way out; a poll every 5 ms costs nothing measurable while serving
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"replica-{self.exchange}",
                                        kwargs={"poll_interval": 0.005}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- serving ----------------------------------------------------------------------------------------------------
    def serve(self, request: Request) -> Response | None:
        """The response to `request`, or None to drop the connection."""
        self.requests.append((request.method, request.path, dict(request.query)))
        crafted = next((c for c in self.crafted if c[0] in request.path and c[2] != 0), None)
        if crafted is not None:
            if crafted[2] is not None:
                crafted[2] -= 1
            return crafted[1]
        fault = self.plan.draw(_fault_key(request))
        if fault == "drop":
            return None
        if fault == "slow":
            time.sleep(self.faults.delay)
        elif fault == "429":
            return self.api.rate_limited(self.faults.retry_after)
        elif fault == "5xx_json":
            return self.api.server_error()
        elif fault == "5xx_html":
            return html_error(502)
        if self.rate_limit:
            bucket, cost, capacity = self.api.rate_limit_key(request)
            if not self.limiter.allow(bucket, cost, capacity):
                return self.api.rate_limited(1)
        refusal = next((kind for part, kind in self.refused.items() if part in request.path), None)
        if refusal is not None:
            error = self.api.refusal(refusal, request)
            return Response(error.status, dumps(error.payload), error.headers)
        try:
            return self.api.handle(request)
        except Exception:
            traceback.print_exc()
            body = dumps({"code": "replica-bug", "msg": traceback.format_exc(limit=3)})
            return Response(500, body)


def _fault_key(request: Request) -> str:
    stable = sorted((k, v) for k, v in request.query.items() if k not in VOLATILE)
    return f"{request.method} {request.path} {stable}"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False      # keep-alive handler threads must not hold up stop()
    replica: Replica

    def __init__(self, *args, **kwargs) -> None:
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_request(self, request, client_address) -> None:
        with self._conn_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self._conn_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._conn_lock:
            conns, self._connections = list(self._connections), set()
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 60                # an idle keep-alive connection's thread ends after this
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_DELETE = do_GET

    def _serve(self) -> None:
        path, _, raw_query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(self.command, path, raw_query, dict(parse_qsl(raw_query, keep_blank_values=True)),
                          self.headers, body)
        response = self.server.replica.serve(request)
        if response is None:
            self.close_connection = True
            return
        head = [f"HTTP/1.1 {response.status} {self.responses.get(response.status, ('',))[0]}",
                f"Content-Type: {response.content_type}", f"Content-Length: {len(response.body)}",
                f"Date: {self.date_time_string()}", "Connection: keep-alive"]
        head += [f"{k}: {v}" for k, v in response.headers.items()]
        try:
            self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + response.body)
        except (BrokenPipeError, ConnectionResetError):   # the client gave up (a timeout) before the answer
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass
