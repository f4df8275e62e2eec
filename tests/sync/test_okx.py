"""okx specifics of a sync: what the real API's retention leaves, and its 429 (RateLimitExceeded) Retry-After."""

from __future__ import annotations

import functools

from taxer import api
from taxer.exchanges.gateway import Gateway, RetryPolicy
from taxer.exchanges.normalize import from_ms
from taxer.model import Kind
from taxer.sync import AccountSync
from taxer_replica import Faults, Permissions, Replica, generate_history
from taxer_replica.okx import RETENTION

KEY, SECRET, PASSPHRASE = "okx-key", "okx-secret-0123456789", "okx-pass"
DAY = 86_400_000


def _setup(tmp_path, monkeypatch, rep):
    monkeypatch.setenv("TAXER_MAIN_API_KEY", KEY)
    monkeypatch.setenv("TAXER_MAIN_SECRET", SECRET)
    monkeypatch.setenv("TAXER_MAIN_PASSWORD", PASSPHRASE)
    engine = api.workspace(str(tmp_path / "w.db"))
    api.add_account(engine, "main", exchange="okx", api_url=rep.url)
    (acct,) = api.accounts(engine)
    return engine, acct


def test_with_the_real_retention_a_sync_gets_everything_the_api_still_has(tmp_path, monkeypatch):
    history = generate_history(seed=4, trades=800, start="2024-01-01", end="2024-12-31")
    fast = functools.partial(Gateway, retry=RetryPolicy(attempts=4, base_delay=0.001))
    with Replica("okx", history, api_key=KEY, secret=SECRET, passphrase=PASSPHRASE,
                 permissions=Permissions.READ_ONLY) as rep:
        rep.api.retention, rep.api.clock = RETENTION, lambda: history.end
        engine, acct = _setup(tmp_path, monkeypatch, rep)
        report = AccountSync(engine, acct, gateway_factory=fast, now=lambda: from_ms(history.end)).run()
    assert report.error is None, report.error
    got = {(t.kind, t.external_id) for t in api.transactions(engine)}
    kept = history.end - 90 * DAY
    expected = {(Kind.TRADE, f"trade:{t.symbol}:{t.id}") for t in history.trades if t.timestamp >= kept}
    expected |= {(Kind.DEPOSIT, f"deposit:{d.id}") for d in history.deposits}       # no retention documented
    expected |= {(Kind.WITHDRAWAL, f"withdrawal:{w.id}") for w in history.withdrawals}
    bills = {e.ref: e.id for e in history.ledger() if e.kind == "reward"}  # a reward's funding bill id
    # funding-account bills: their retention is not in the corpus (tests/real/api/SOURCES.md), the replica keeps all
    expected |= {(Kind.INCOME, f"income:{bills[r.id]}") for r in history.rewards}
    assert got == expected
    assert 0 < len([k for k in got if k[0] is Kind.TRADE]) < len(history.trades) / 3


def test_okx_rate_limit_waits_for_retry_after(tmp_path, monkeypatch):
    history = generate_history(seed=2, trades=300, start="2024-01-01", end="2024-12-31")
    waits: list[float] = []
    policy = RetryPolicy(attempts=6, base_delay=0.001, sleep=waits.append)
    with Replica("okx", history, api_key=KEY, secret=SECRET, passphrase=PASSPHRASE, permissions=Permissions.READ_ONLY,
                 faults=Faults(rate=0.3, seed=1, kinds=("429",), retry_after=7)) as rep:
        engine, acct = _setup(tmp_path, monkeypatch, rep)
        report = AccountSync(engine, acct, gateway_factory=functools.partial(Gateway, retry=policy)).run()
        served_429 = rep.fault_counts.get("429", 0)
    assert report.error is None, report.error
    assert served_429 > 0 and waits == [7.0] * served_429
