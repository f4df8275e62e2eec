"""Shared setup for the stream tests: a replica serving a history with extras, and a sync through the real ccxt."""

from __future__ import annotations

import functools

from taxer import api
from taxer.exchanges.gateway import Gateway, RetryPolicy
from taxer.sync import AccountSync
from taxer_replica import Permissions, Replica, generate_history, with_extras

KEY, SECRET, PASSPHRASE = "streams-key", "c3RyZWFtcy1zZWNyZXQtMDEyMzQ1Njc4OQ==", "streams-pass"  # base64 (kraken)
FAST = functools.partial(Gateway, retry=RetryPolicy(attempts=6, base_delay=0.001, max_delay=0.01))


def small_history(seed: int = 21):
    return with_extras(generate_history(seed=seed, trades=300, start="2023-01-01", end="2024-12-31"))


def replica(exchange: str, history, **kw) -> Replica:
    from tests.sync.test_sync_replica import KEYS

    key, secret = KEYS.get(exchange, (KEY, SECRET))
    return Replica(exchange, history, api_key=key, secret=secret, passphrase=PASSPHRASE,
                   permissions=Permissions.READ_ONLY, **kw)


def set_keys(monkeypatch, exchange: str) -> None:
    from tests.sync.test_sync_replica import KEYS

    key, secret = KEYS.get(exchange, (KEY, SECRET))
    monkeypatch.setenv("TAXER_MAIN_API_KEY", key)
    monkeypatch.setenv("TAXER_MAIN_SECRET", secret)
    monkeypatch.setenv("TAXER_MAIN_PASSWORD", PASSPHRASE)


def sync(tmp_path, rep, **kw):
    db = tmp_path / "w.db"
    engine = api.workspace(str(db))
    if not any(a.name == "main" for a in api.accounts(engine)):
        api.add_account(engine, "main", exchange=rep.exchange, api_url=rep.url)
    (acct,) = [a for a in api.accounts(engine) if a.name == "main"]
    report = AccountSync(engine, acct, gateway_factory=kw.pop("factory", FAST), **kw).run()
    return engine, report


def by_id(engine) -> dict:
    return {t.external_id: t for t in api.transactions(engine)}


def ms(tx) -> int:
    return int(tx.timestamp.timestamp()) * 1000 + tx.timestamp.microsecond // 1000


def legs(tx) -> tuple:
    """(sent asset, amount, received asset, amount, fee asset, amount), None where a leg is absent."""
    def leg(x):
        return (x.asset, x.amount) if x is not None else (None, None)
    return (*leg(tx.sent), *leg(tx.received), *leg(tx.fee))


def synced_twice(tmp_path, monkeypatch, exchange: str, history):
    """Sync `exchange`'s replica of `history` twice: the first sync must succeed and the second add nothing.
    Returns the ledger by external id and the second sync's report (its warnings are the caller's to check)."""
    set_keys(monkeypatch, exchange)
    with replica(exchange, history) as rep:
        engine, report = sync(tmp_path, rep)
        again = sync(tmp_path, rep)[1]
    assert report.error is None, report.error
    assert again.error is None and again.inserted == 0
    return by_id(engine), again
