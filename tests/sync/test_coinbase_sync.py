"""Coinbase-only sync behaviour: Retry-After on its 429s, resuming mid-stream, and a malformed CDP secret."""

from __future__ import annotations

import functools

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from taxer import api
from taxer.exchanges.gateway import Gateway, RetryPolicy
from taxer.sync import AccountSync
from taxer_replica import Faults, Permissions, Replica, generate_history

KEY = "organizations/3c2b1a00/apiKeys/5e4d3c2b"
PEM = ec.generate_private_key(ec.SECP256R1()).private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()).decode()
FAST = functools.partial(Gateway, retry=RetryPolicy(attempts=4, base_delay=0.001, max_delay=0.01))


class Interrupted(Exception):
    pass


def _setup(tmp_path, monkeypatch, rep, secret=PEM, name="w.db"):
    monkeypatch.setenv("TAXER_MAIN_API_KEY", KEY)
    monkeypatch.setenv("TAXER_MAIN_SECRET", secret)
    engine = api.workspace(str(tmp_path / name))
    api.add_account(engine, "main", exchange="coinbase", api_url=rep.url)
    (acct,) = api.accounts(engine)
    return engine, acct


def _ledger(engine):
    return sorted((t.kind.value, t.external_id, str(t.sent), str(t.received), str(t.fee))
                  for t in api.transactions(engine))


def test_retry_after_of_coinbase_429s_is_waited_for(tmp_path, monkeypatch):
    history = generate_history(seed=2, trades=300, start="2024-01-01", end="2024-12-31")
    waits: list[float] = []
    policy = RetryPolicy(attempts=6, base_delay=0.001, sleep=waits.append)
    with Replica("coinbase", history, api_key=KEY, secret=PEM, permissions=Permissions.READ_ONLY,
                 faults=Faults(rate=0.3, seed=1, kinds=("429",), retry_after=7)) as rep:
        engine, acct = _setup(tmp_path, monkeypatch, rep)
        report = AccountSync(engine, acct, gateway_factory=functools.partial(Gateway, retry=policy)).run()
        served_429 = rep.fault_counts.get("429", 0)
    assert report.error is None
    assert served_429 > 0 and waits == [7.0] * served_429  # ccxt raises RateLimitExceeded, not DDoSProtection


def test_a_sync_stopped_mid_stream_resumes_to_the_uninterrupted_ledger(tmp_path, monkeypatch):
    history = generate_history(seed=5, trades=1200, start="2023-01-01", end="2024-12-31")
    with Replica("coinbase", history, api_key=KEY, secret=PEM, permissions=Permissions.READ_ONLY) as rep:
        whole_engine, whole = _setup(tmp_path, monkeypatch, rep, name="whole.db")
        assert AccountSync(whole_engine, whole, gateway_factory=FAST).run().error is None
        engine, acct = _setup(tmp_path, monkeypatch, rep, name="cut.db")
        for stream, at in (("transactions:", 2), ("trades", 2), ("trades", 3)):
            def stop(account, progress, stream=stream, at=at):
                if progress.stream.startswith(stream) and progress.pages == at:
                    raise Interrupted  # killed right after a page and its cursor were saved
            try:
                AccountSync(engine, acct, gateway_factory=FAST, on_page=stop).run()
            except Interrupted:
                pass
        final = AccountSync(engine, acct, gateway_factory=FAST).run()
    assert final.error is None
    assert _ledger(engine) == _ledger(whole_engine)
    assert len(_ledger(engine)) > 1200


def test_a_secret_that_is_not_a_pem_key_is_refused_without_echoing_it(tmp_path, monkeypatch):
    history = generate_history(seed=2, trades=50, start="2024-01-01", end="2024-03-31")
    mangled = PEM.replace("\n", "\\n")        # a PEM pasted from JSON with its line breaks escaped
    with Replica("coinbase", history, api_key=KEY, secret=PEM) as rep:
        broken = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"
        for secret, words in ((mangled, "line breaks"), (broken, "readable"),
                              ("plainly-not-a-key", "not a PEM private key")):
            engine, acct = _setup(tmp_path, monkeypatch, rep, secret=secret, name=f"{len(secret)}.db")
            report = AccountSync(engine, acct, gateway_factory=FAST).run()
            assert "refused the API key" in report.error and words in report.error, report.error
            assert secret not in report.error and PEM.splitlines()[1] not in report.error
            assert list(api.transactions(engine)) == []
        assert rep.requests == []   # nothing was sent
