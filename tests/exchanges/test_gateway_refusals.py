"""The gateway reads each exchange's documented refusal of one endpoint (tests/real/api/<exchange>/error--*.json)
as permanent: one request, no retry, `EndpointUnavailable` with the reason. Temporary errors still retry."""

from __future__ import annotations

import pytest

from taxer.errors import EndpointUnavailable
from taxer.exchanges.credentials import Credentials
from taxer.exchanges.gateway import Gateway, RetryPolicy
from taxer.exchanges.registry import spec_for
from taxer_replica import Faults
from tests.sync.streams_helpers import KEY, PASSPHRASE, SECRET, replica, small_history

# exchange -> (ccxt method, params, path fragment)
CALLS = {
    "binance": ("sapi_get_simple_earn_flexible_history_rewardsrecord", {"type": "ALL"}, "/simple-earn/"),
    "bitget": ("private_spot_get_v2_spot_account_bills", {}, "/account/bills"),
    "kraken": ("private_post_depositstatus", {}, "/DepositStatus"),
    "coinbase": ("v2PrivateGetAccounts", {}, "/v2/accounts"),
    "okx": ("private_get_asset_bills", {}, "/asset/bills"),
}
REASONS = {"not_authorized": "not authorized", "unknown_endpoint": "unknown endpoint"}


@pytest.fixture(scope="module")
def history():
    return small_history(seed=4)


def _gateway(rep, attempts=6):
    from tests.sync.test_sync_replica import KEYS

    key, secret = KEYS.get(rep.exchange, (KEY, SECRET))
    spec = spec_for(rep.exchange)
    return Gateway(rep.exchange, Credentials(key, secret, PASSPHRASE), account="main", api_url=rep.url,
                   options=spec.options, rate_limit=False, endpoint_errors=spec.endpoint_errors,
                   retry=RetryPolicy(attempts=attempts, base_delay=0.001, max_delay=0.01))


# okx documents no "not authorized for this endpoint" code: its IP refusal (50110) is key-wide, and the sync marks a
# stream refused that way incomplete too (tests/sync/test_stream_refusals.py); so okx is tested for the rest only.
CASES = [(exchange, kind) for exchange in sorted(CALLS) for kind in sorted(REASONS)
         if (exchange, kind) != ("okx", "not_authorized")]


@pytest.mark.parametrize("exchange,kind", CASES)
def test_a_documented_refusal_is_not_retried(history, exchange, kind):
    method, params, part = CALLS[exchange]
    with replica(exchange, history) as rep:
        rep.refuse(part, kind)
        gw = _gateway(rep)
        with pytest.raises(EndpointUnavailable) as caught:
            gw.call(method, dict(params))
        gw.close()
        asked = [p for _m, p, _q in rep.requests if part in p]
    assert caught.value.reason == REASONS[kind] and len(asked) == 1 and gw.retries == 0


def test_temporary_errors_are_still_retried(history):
    with replica("binance", history, faults=Faults(rate=1.0, seed=1, kinds=("5xx_html",))) as rep:
        gw = _gateway(rep, attempts=3)
        assert gw.call("public_get_ping") == {}     # the retry after a fault is never faulted again
        gw.close()
    assert gw.retries == 1

