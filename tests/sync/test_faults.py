"""Retry-After is honoured; an exchange that stays down leaves what was fetched and a clear error."""

from __future__ import annotations

import functools

from click.testing import CliRunner

from taxer import api
from taxer.cli import main
from taxer.exchanges.gateway import Gateway, RetryPolicy
from taxer.sync import AccountSync
from taxer_replica import Faults, Permissions, Replica, generate_history

KEY, SECRET, PASSPHRASE = "fault-key", "fault-secret-abcdef", "fault-pass"


def _setup(tmp_path, monkeypatch, rep):
    monkeypatch.setenv("TAXER_MAIN_API_KEY", KEY)
    monkeypatch.setenv("TAXER_MAIN_SECRET", SECRET)
    monkeypatch.setenv("TAXER_MAIN_PASSWORD", PASSPHRASE)
    engine = api.workspace(str(tmp_path / "w.db"))
    api.add_account(engine, "main", exchange=rep.exchange, api_url=rep.url)
    (acct,) = api.accounts(engine)
    return engine, acct


def test_retry_after_is_waited_for(tmp_path, monkeypatch):
    history = generate_history(seed=2, trades=300, start="2024-01-01", end="2024-12-31")
    waits: list[float] = []
    policy = RetryPolicy(attempts=6, base_delay=0.001, sleep=waits.append)
    with Replica("binance", history, api_key=KEY, secret=SECRET, faults=Faults(rate=0.3, seed=1, kinds=("429",),
                 retry_after=7), permissions=Permissions.READ_ONLY) as rep:
        engine, acct = _setup(tmp_path, monkeypatch, rep)
        report = AccountSync(engine, acct, gateway_factory=functools.partial(Gateway, retry=policy)).run()
        served_429 = rep.fault_counts.get("429", 0)
    assert report.error is None
    assert served_429 > 0 and waits == [7.0] * served_429  # exactly what the server asked, every time


def test_exchange_that_stays_down_keeps_what_was_fetched(tmp_path, monkeypatch):
    history = generate_history(seed=2, trades=2000, start="2022-01-01", end="2025-12-31")
    fast = functools.partial(Gateway, retry=RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.01))
    with Replica("bitget", history, api_key=KEY, secret=SECRET, passphrase=PASSPHRASE,
                 permissions=Permissions.READ_ONLY) as rep:
        engine, acct = _setup(tmp_path, monkeypatch, rep)
        url = rep.url

        def outage(account, progress):
            if progress.stream.startswith("trades:") and progress.pages == 3:
                rep.stop()  # the exchange goes away mid-sync and does not come back

        report = AccountSync(engine, acct, gateway_factory=fast, on_page=outage).run()
    assert report.error and "still failing after 3 attempts" in report.error and "main" in report.error
    kept = len(list(api.transactions(engine)))
    assert kept == report.inserted > 0  # everything fetched before the outage is in the ledger
    # the CLI says so and exits non-zero; a later run continues from the saved cursors (backing off briefly)
    monkeypatch.setattr("taxer.exchanges.gateway.Gateway", fast)
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "w.db"), "sync", "main"])
    assert result.exit_code == 1 and "what was fetched is kept" in result.output and url
