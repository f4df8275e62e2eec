"""Shared replica fixtures: one small, dense history (pages and 90-day windows are crossed many times)."""

from __future__ import annotations

import pytest

from taxer_replica import Permissions, Replica, generate_history
from tests.replica.helpers import CREDENTIALS, client


@pytest.fixture(scope="session")
def history():
    # ~1100 trades per USDT market over two years: > 100 per 90-day window, so bitget pages inside windows
    return generate_history(seed=7, trades=6000, start="2023-01-01", end="2024-12-31")


def make_replica(exchange: str, history, **kwargs) -> Replica:
    kwargs.setdefault("permissions", Permissions.READ_ONLY)
    return Replica(exchange, history, api_key=CREDENTIALS["apiKey"], secret=CREDENTIALS["secret"],
                   passphrase=CREDENTIALS["password"], **kwargs)


@pytest.fixture(scope="module")
def bitget_replica(history):
    with make_replica("bitget", history) as rep:
        yield rep


@pytest.fixture(scope="module")
def binance_replica(history):
    with make_replica("binance", history) as rep:
        yield rep


@pytest.fixture
def bitget(bitget_replica):
    ex = client(bitget_replica)
    ex.load_markets()
    return ex


@pytest.fixture
def binance(binance_replica):
    ex = client(binance_replica)
    ex.load_markets()
    return ex


@pytest.fixture(scope="module")
def okx_replica(history):
    with make_replica("okx", history) as rep:
        yield rep


@pytest.fixture
def okx(okx_replica):
    ex = client(okx_replica)
    ex.load_markets()
    return ex
