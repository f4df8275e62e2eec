"""A sync stopped after any page of the new streams resumes to the uninterrupted ledger: a convert leg waiting for
its other half (coinbase) is saved with the cursors, so a stop between the two legs loses nothing."""

from __future__ import annotations

import pytest

from taxer import api
from tests.sync.streams_helpers import replica, set_keys, small_history, sync


class Interrupted(Exception):
    pass


def _ledger(engine):
    return sorted((t.kind.value, t.external_id, str(t.sent), str(t.received), str(t.fee), t.timestamp.isoformat())
                  for t in api.transactions(engine))


@pytest.mark.parametrize("exchange, streams", [
    ("coinbase", ("transactions:",)),
    ("binance", ("converts", "dust", "card-", "fiat-", "earn-")),
])
def test_stopped_after_any_page_resumes_to_the_same_ledger(tmp_path, monkeypatch, exchange, streams):
    history = small_history(seed=9)
    set_keys(monkeypatch, exchange)
    with replica(exchange, history) as rep:
        for name in ("whole", "cut"):
            (tmp_path / name).mkdir()
        whole_engine, whole = sync(tmp_path / "whole", rep)
        assert whole.error is None, whole.error
        stops = 0
        for n in range(1, 400):
            seen = [0]

            def stop(account, progress, n=n, seen=seen):
                if progress.stream.startswith(streams):
                    seen[0] += 1
                    if seen[0] == n:
                        raise Interrupted   # right after a page and its cursor (and waiting legs) were saved
            try:
                engine, report = sync(tmp_path / "cut", rep, on_page=stop)
            except Interrupted:
                stops += 1
                continue
            break
    assert report.error is None, report.error
    assert stops > 5
    assert _ledger(engine) == _ledger(whole_engine)
