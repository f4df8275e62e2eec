"""Corrections made on a synced account survive a re-sync, even one that rebuilds the ledger with new row ids.

The real ccxt client syncs over HTTP from the in-project bitget replica, as in test_sync_replica.py.
"""

from __future__ import annotations

import functools

from sqlalchemy import text

from taxer import api
from taxer.exchanges.gateway import Gateway, RetryPolicy
from taxer.model import Kind
from taxer.sync import AccountSync
from taxer.year import load
from taxer_replica import Permissions, Replica, generate_history

KEY, SECRET, PASSPHRASE = "ak-4f1e9c", "s3cr3t-Z9q8w7e6r5t4y3u2", "pass-phrase-77"
FAST = functools.partial(Gateway, retry=RetryPolicy(attempts=8, base_delay=0.001, max_delay=0.01))


def _sync(engine):
    (acct,) = [a for a in api.accounts(engine) if a.name == "main"]
    report = AccountSync(engine, acct, gateway_factory=FAST).run()
    assert report.error is None, report.error


def _year(engine, tx):
    view = load(engine, tx.timestamp.year).view()
    unmatched = {t for w in view.warnings if w.code == "unmatched_withdrawal" for t in w.tx_ids}
    return unmatched, [(c.kind, c.change, c.status, c.tx_ids) for c in view.corrections]


def test_resync_keeps_a_relabelled_withdrawal(tmp_path, monkeypatch):
    for suffix, value in (("API_KEY", KEY), ("SECRET", SECRET), ("PASSWORD", PASSPHRASE)):
        monkeypatch.setenv(f"TAXER_MAIN_{suffix}", value)
    history = generate_history(seed=11, trades=120, start="2024-01-01", end="2024-12-31")
    with Replica("bitget", history, api_key=KEY, secret=SECRET, passphrase=PASSPHRASE,
                 permissions=Permissions.READ_ONLY) as rep:
        engine = api.workspace(str(tmp_path / "w.db"))
        api.add_account(engine, "main", exchange="bitget", api_url=rep.url)
        _sync(engine)
        withdrawal = next(t for t in api.transactions(engine) if t.kind is Kind.WITHDRAWAL)
        unmatched, _ = _year(engine, withdrawal)
        assert withdrawal.id in unmatched  # one account only: nothing to match it with
        api.correct(engine, "relabel", withdrawal.id, value="gift", note="sent to my sister", by="alice")
        unmatched, lines = _year(engine, withdrawal)
        assert withdrawal.id not in unmatched
        assert lines == [("relabel", "relabel as gift", "applied", (withdrawal.id,))]

        _sync(engine)  # an incremental re-sync
        assert _year(engine, withdrawal)[1] == lines

        with engine.begin() as conn:  # rebuild the account from the exchange: new row ids
            for table in ("raw_records", "transactions", "sync_cursors"):
                conn.execute(text(f"DELETE FROM {table}"))
            # SQLite numbers new rows after the highest id: a parked ignored row pushes them past the old ones
            conn.execute(text("INSERT INTO transactions (id, account_id, timestamp, kind, source, external_id) "
                              "SELECT 100000, id, '2000-01-01 00:00:00.000000', 'ignored', 'pad', 'pad' "
                              "FROM accounts"))
        _sync(engine)
        again = next(t for t in api.transactions(engine) if t.external_id == withdrawal.external_id)
        assert again.id != withdrawal.id
        unmatched, lines = _year(engine, again)
        assert again.id not in unmatched
        assert lines == [("relabel", "relabel as gift", "applied", (again.id,))]
        assert [c.note for c in api.corrections(engine)] == ["sent to my sister"]
