"""A sync killed with SIGKILL at random points, then run again, ends with exactly the uninterrupted ledger."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from taxer import api
from taxer.fingerprint import LedgerFingerprint
from taxer_replica import Permissions, Replica, generate_history

KEY, SECRET, PASSPHRASE = "resume-key", "cmVzdW1lLXNlY3JldC0wMTIzNDU2Nzg5", "resume-pass"  # base64, as kraken's


def _count(db) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM transactions").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _fingerprint(db) -> tuple[int, str]:
    fp = LedgerFingerprint()
    for _ in fp.watch(api.transactions(api.workspace(str(db)))):
        pass
    return fp.transactions, fp.sha256


@pytest.mark.parametrize("exchange", ["bitget", "kraken", "okx"])  # coinbase: tests/sync/test_coinbase_sync.py
def test_sync_killed_at_random_points_resumes_to_the_same_ledger(tmp_path, monkeypatch, exchange):
    # 1,500 trades (was 3,000): the kills wait for a count of rows, not for a time, so what makes them land
    # mid-sync is the number of pages (every stream pages many times), not how long a run takes
    history = generate_history(seed=11, trades=1500, start="2022-01-01", end="2025-12-31")
    keys = dict(TAXER_MAIN_API_KEY=KEY, TAXER_MAIN_SECRET=SECRET, TAXER_MAIN_PASSWORD=PASSPHRASE)
    env = dict(os.environ, **keys)
    rng = random.Random(20261121)
    with Replica(exchange, history, api_key=KEY, secret=SECRET, passphrase=PASSPHRASE,
                 permissions=Permissions.READ_ONLY) as rep:
        runs = []

        def run(db, *, kill_after_rows: int | None = None) -> int | None:
            cmd = [sys.executable, "-m", "taxer.cli", "--db", str(db), "sync", "main", "--quiet"]
            log = tmp_path / f"sync-{len(runs)}.log"  # what a failed run said, for the assertion message
            runs.append(log)
            with open(log, "wb") as out:
                proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
            if kill_after_rows is None:
                return proc.wait(timeout=300)
            deadline = time.monotonic() + 120
            while proc.poll() is None and _count(db) < kill_after_rows and time.monotonic() < deadline:
                time.sleep(0.005)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                return None
            return proc.returncode

        for db in (tmp_path / "whole.db", tmp_path / "killed.db"):
            api.add_account(api.workspace(str(db)), "main", exchange=exchange, api_url=rep.url)

        # the uninterrupted ledger: the same sync as `taxer sync main` (api.sync), in this process; the killed
        # and resumed runs below are the fresh processes
        for name, value in keys.items():
            monkeypatch.setenv(name, value)
        (report,) = api.sync(api.workspace(str(tmp_path / "whole.db")), ["main"])
        assert report.error is None, report.error
        whole = _fingerprint(tmp_path / "whole.db")
        total = whole[0]
        assert total > 1500

        kills = 0
        for fraction in sorted(rng.uniform(0.05, 0.95) for _ in range(4)):
            code = run(tmp_path / "killed.db", kill_after_rows=int(total * fraction))
            assert code in (None, 0), runs[-1].read_text()  # killed, or finished before it could be
            if code is None:
                kills += 1
        assert kills >= 3, "the sync finished before it could be killed: the test did not test resuming"
        assert run(tmp_path / "killed.db") == 0, runs[-1].read_text()
    assert _fingerprint(tmp_path / "killed.db") == whole
