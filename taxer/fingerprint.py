"""The ledger fingerprint of a report, hashed in a second process beside a big report.

Hashing a million transactions' canonical text takes seconds of one core; the report's own work (loading,
the engine, the view) keeps the other busy. So for a big ledger a second process reads the same rows from the
database and hashes them while the report computes. That process sees the database a moment apart from the
report, so the report checks that both read the same rows (their count, the sum of their ids and a checksum of
their external ids; ledger rows are only added, or given an exchange id once) and hashes its own rows itself
when they differ: the fingerprint always describes exactly the transactions the report used.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import threading
import zlib
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime

from sqlalchemy import Engine, create_engine

from taxer.model import Transaction
from taxer.model.identity import canonical_text
from taxer.store import ledger

BACKGROUND_FROM = 200_000  # transactions; below this a second process costs more than it saves
_MASK = (1 << 64) - 1


class LedgerFingerprint:
    """Count and SHA-256 of the ledger transactions a report used, so two packages can be compared.

    Independent of row ids and of the order of transactions with equal timestamps (each timestamp's group is
    sorted), so the same ledger in another database gives the same fingerprint. Expects time-ordered input.
    """

    def __init__(self) -> None:
        self.transactions = 0
        self._digest = hashlib.sha256()
        self._group: list[str] = []
        self._at = None
        self._text: list[str] = []  # hashed a block at a time: one digest update per line was most of its cost

    def _flush(self) -> None:
        group = self._group
        if len(group) > 1:
            group.sort()
        self._text += group
        self._group = []
        if len(self._text) >= 4096:
            self._hash_text()

    def _hash_text(self) -> None:
        if self._text:
            self._text.append("")
            self._digest.update("\n".join(self._text).encode())  # each line followed by a newline
            self._text = []

    def watch(self, txs: Iterable[Transaction]) -> Iterator[Transaction]:
        """Pass transactions through (in time order), hashing each one's canonical text."""
        canonical = canonical_text
        for tx in txs:
            if tx.timestamp != self._at:
                self._flush()
                self._at = tx.timestamp
            self.transactions += 1
            self._group.append(canonical(tx))
            yield tx
        self._flush()
        self._hash_text()

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()



def rows_check(txs: Sequence[Transaction]) -> tuple[int, int, int]:
    """What identifies a list of ledger rows cheaply: count, sum of ids, CRC-32 of the external ids in order."""
    ids = "\n".join(tx.external_id for tx in txs).encode()
    return len(txs), sum(tx.id or 0 for tx in txs) & _MASK, zlib.crc32(ids)


def _hash_ledger(url: str, until: datetime) -> tuple[tuple[int, int, int], int, str]:
    """In the second process: (rows check, transactions, SHA-256) of the ledger before `until`."""
    engine = create_engine(url)
    fingerprint = LedgerFingerprint()
    try:
        with engine.connect() as conn:
            txs = list(fingerprint.watch(ledger.query_transactions(conn, until=until)))
    finally:
        engine.dispose()
    return rows_check(txs), fingerprint.transactions, fingerprint.sha256


class ReportFingerprint:
    """`sha256` and `transactions` of the rows a report used, as `LedgerFingerprint` gives them."""

    def __init__(self, txs: Sequence[Transaction], job: Future | None = None, pool=None) -> None:
        self._txs, self._job, self._pool = txs, job, pool
        self._result: tuple[int, str] | None = None

    def _resolve(self) -> tuple[int, str]:
        if self._result is None:
            found = None
            if self._job is not None:
                try:
                    check, count, sha = self._job.result()
                    if check == rows_check(self._txs):
                        found = (count, sha)
                except Exception:
                    found = None
                finally:
                    self._pool.shutdown(wait=True)  # its job is done: its thread ends (a fork may follow)
            if found is None:
                fingerprint = LedgerFingerprint()
                for _tx in fingerprint.watch(self._txs):
                    pass
                found = (fingerprint.transactions, fingerprint.sha256)
            self._result = found
            self._txs = ()  # known now: the rows are not needed again (a big report frees them: taxer.year)
        return self._result

    def settle(self) -> None:
        """Work the fingerprint out now (waiting for the second process if one hashes), so the rows can go."""
        self._resolve()

    @property
    def transactions(self) -> int:
        return self._resolve()[0]

    @property
    def sha256(self) -> str:
        return self._resolve()[1]


def start(engine: Engine, until: datetime) -> tuple[Future, ProcessPoolExecutor] | tuple[()]:
    """Start hashing the ledger before `until` in a second process when it is big and can be opened twice;
    pass what it returns to `ReportFingerprint` with the rows the report read."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return ()
    with engine.connect() as conn:
        if ledger.count_transactions(conn) < BACKGROUND_FROM:
            return ()
    # fork needs no `__main__` guard in the caller's script; with other threads alive (a test server) spawn.
    context = multiprocessing.get_context("fork" if threading.active_count() == 1 else "spawn")
    pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
    return pool.submit(_hash_ledger, url.render_as_string(hide_password=False), until), pool
