"""Injected faults really happen, look like each exchange's own, and a client that retries still gets everything."""

from __future__ import annotations

import ccxt
import pytest

from taxer_replica import Faults
from tests.replica.conftest import make_replica
from tests.replica.helpers import (
    binance_trades,
    binance_transfers,
    bitget_deposits,
    bitget_trades,
    client,
    retrying,
)

EXPECTED = {  # kind -> what ccxt raises, per exchange
    "429": {"bitget": ccxt.DDoSProtection, "binance": ccxt.DDoSProtection},
    "5xx_json": {"bitget": ccxt.ExchangeError, "binance": ccxt.OperationFailed},
    "5xx_html": {"bitget": ccxt.ExchangeNotAvailable, "binance": ccxt.ExchangeNotAvailable},
    "slow": {"bitget": ccxt.RequestTimeout, "binance": ccxt.RequestTimeout},
    "drop": {"bitget": ccxt.NetworkError, "binance": ccxt.NetworkError},
}


@pytest.mark.parametrize("exchange", ["bitget", "binance"])
@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_each_fault_kind_and_its_ccxt_error(history, exchange, kind):
    faults = Faults(rate=1.0, kinds=(kind,), retry_after=0, delay=0.8)   # far past the timeout (see below)
    with make_replica(exchange, history, faults=faults) as rep:
        ex = client(rep, timeout_ms=400)
        fetch_time = ex.fetch_time if exchange == "bitget" else ex.public_get_time
        with pytest.raises(EXPECTED[kind][exchange]):
            fetch_time()
        if kind == "429":
            assert ex.last_response_headers["Retry-After"] == "0"
        fetch_time()     # the retry of a faulted request is never faulted
        assert rep.fault_counts == {kind: 1}
        assert len(rep.requests) == 2


def test_a_fault_never_hits_the_same_request_twice_in_a_row(history):
    with make_replica("bitget", history, faults=Faults(rate=1.0, kinds=("5xx_json",))) as rep:
        ex = client(rep)
        for _ in range(3):
            with pytest.raises(ccxt.ExchangeError):
                ex.fetch_time()
            ex.fetch_time()
        assert rep.fault_counts == {"5xx_json": 3}


@pytest.mark.parametrize("exchange", ["bitget", "binance"])
def test_retrying_client_gets_everything_through_20_percent_faults(history, exchange):
    # A slow fault outlasts the client's timeout by far, and a normal answer never comes near it, even on a
    # loaded machine (with 120 ms against 250 ms, a busy CI machine once timed out an unfaulted request).
    faults = Faults(rate=0.2, seed=11, retry_after=0, delay=0.8)
    with make_replica(exchange, history, faults=faults) as rep:
        ex = client(rep, timeout_ms=400)
        stats: dict = {}
        call = retrying(ex, stats=stats)
        call(ex.load_markets)
        symbols = [m.symbol for m in history.markets]
        if exchange == "bitget":
            trades = {s: bitget_trades(ex, s, history.start, history.end, call) for s in symbols}
            deposits = bitget_deposits(ex, history.start, history.end, call)
        else:
            trades = {s: binance_trades(ex, s, call, page_size=50) for s in symbols}
            deposits = binance_transfers(ex, "deposit", history.start, history.end, call)
        for s in symbols:
            assert sorted(t["id"] for t in trades[s]) == [t.id for t in history.trades_of(s)]
        assert sorted(d["id"] for d in deposits) == [d.id for d in history.deposits]
        counts = rep.fault_counts
        assert set(counts) == {"429", "5xx_json", "5xx_html", "slow", "drop"}, counts
        assert sum(stats.values()) == sum(counts.values())
        assert 0.1 < sum(counts.values()) / len(rep.requests) < 0.3


def test_faults_validate_their_kinds():
    with pytest.raises(ValueError, match="unknown fault kinds"):
        Faults(rate=0.1, kinds=("timeout",))
