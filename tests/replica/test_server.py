"""The HTTP server itself: loopback only, keep-alive without stalls, request log, rate limiter, the CLI entry."""

from __future__ import annotations

import socket
import subprocess
import sys

import ccxt
import pytest
import requests

from taxer_replica import Replica, generate_history
from tests.replica.conftest import make_replica
from tests.replica.helpers import client


def test_binds_loopback_and_logs_requests(history):
    rep = make_replica("bitget", history)
    with pytest.raises(RuntimeError):
        _ = rep.url
    with rep:
        assert rep.url.startswith("http://127.0.0.1:")
        ex = client(rep)
        ex.load_markets()
        del rep.requests[:]
        ex.fetch_time()
        ex.fetch_balance({"coin": "BTC"})
        assert rep.requests == [("GET", "/api/v2/public/time", {}),
                                ("GET", "/api/v2/spot/account/assets", {"coin": "BTC"})]
    assert rep._server is None


def test_keep_alive_requests_do_not_stall(history, monkeypatch):
    """What keeps keep-alive from stalling ~40 ms a request (Nagle's algorithm against delayed ACKs), checked
    without a clock: one connection for all requests, TCP_NODELAY on it, each response sent in one write."""
    from taxer_replica import server

    connections, writes = [], []
    setup = server._Handler.setup

    def recording_setup(handler):
        setup(handler)
        connections.append(handler.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        write = handler.wfile.write
        handler.wfile.write = lambda data: (writes.append(len(data)), write(data))[1]

    monkeypatch.setattr(server._Handler, "setup", recording_setup)
    with make_replica("binance", history) as rep:
        session = requests.Session()
        session.get(rep.url + "/api/v3/ping").raise_for_status()
        for _ in range(50):
            r = session.get(rep.url + "/api/v3/time")
            assert r.status_code == 200 and r.headers["Connection"] == "keep-alive"
    assert len(connections) == 1 and connections[0] != 0  # one connection, Nagle off
    assert len(writes) == 51  # headers and body of each response in one send


def test_unknown_routes_and_exchanges(history):
    with make_replica("bitget", history) as rep:
        r = requests.get(rep.url + "/api/v2/spot/nothing")
        # tests/real/api/bitget/error--unknown-endpoint.json: a web framework's body, not bitget's envelope
        assert r.status_code == 404 and r.json()["status"] == 404 and r.json()["path"] == "/api/v2/spot/nothing"
    with pytest.raises(ValueError, match="known: binance, bitget"):
        Replica("mtgox", history)


def test_rate_limit_answers_429(history):
    with make_replica("bitget", history, rate_limit=True) as rep:
        ex = client(rep)
        ex.load_markets()
        with pytest.raises(ccxt.DDoSProtection):
            for _ in range(40):
                ex.fetch_balance()
        assert rep.limiter.refused >= 1


def test_python_dash_m_runs_one_replica():
    proc = subprocess.Popen([sys.executable, "-m", "taxer_replica", "binance", "--port", "0", "--trades", "200"],
                            stdout=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert requests.get(url + "/api/v3/exchangeInfo", timeout=5).json()["symbols"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_replica_does_not_import_ccxt():
    code = "import sys, taxer_replica; h = taxer_replica.generate_history(trades=50); print('ccxt' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
    assert generate_history(trades=50).trades
