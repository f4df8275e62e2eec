"""One optional stream answering the exchange's documented "not authorized" or "unknown endpoint" error: it is asked
once (no retries), every other stream completes, and the sync exits non-zero naming the stream and what to do."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from taxer import api
from taxer.cli import main
from taxer.model import Kind
from tests.sync.streams_helpers import replica, set_keys, small_history

# exchange -> (path fragment refused, refusal, the stream's name in the report, words of its advice)
CASES = {
    "binance": ("/sapi/v1/simple-earn/flexible/", "not_authorized", "earn-flexible", "Simple Earn"),
    "bitget": ("/api/v2/spot/account/bills", "unknown_endpoint", "ledger", "taxer import csv"),
    "kraken": ("/0/private/Ledgers", "not_authorized", "ledgers", "Query Ledger Entries"),
    "coinbase": ("/transactions", "not_authorized", "transactions:", "Transaction history"),
    "okx": ("/api/v5/asset/bills", "unknown_endpoint", "funding-bills", "funding account statement"),
}
REASONS = {"not_authorized": "not authorized", "unknown_endpoint": "unknown endpoint"}


@pytest.fixture(scope="module")
def history():
    return small_history(seed=5)


@pytest.mark.parametrize("exchange", sorted(CASES))
def test_a_refused_stream_fails_alone(tmp_path, monkeypatch, history, exchange):
    part, kind, stream, advice = CASES[exchange]
    set_keys(monkeypatch, exchange)
    db = str(tmp_path / "w.db")
    with replica(exchange, history) as rep:
        rep.refuse(part, kind)
        runner = CliRunner()
        assert runner.invoke(main, ["--db", db, "account", "add", "main", "--exchange", exchange,
                                    "--api-url", rep.url]).exit_code == 0
        result = runner.invoke(main, ["--db", db, "sync", "main"])
        asked = [path for _m, path, _q in rep.requests if part in path]
        partitions = len({path for path in asked})
    assert result.exit_code == 1, result.output
    assert f"{stream}" in result.output and REASONS[kind] in result.output and advice in result.output
    assert "Incomplete: main" in result.output
    assert len(asked) == partitions >= 1            # each refused endpoint asked once: no retries
    # every other stream is complete: all the trades arrived (coinbase: its fills are not v2 transactions)
    got = {t.external_id for t in api.transactions(api.workspace(db)) if t.kind is Kind.TRADE}
    assert {f"trade:{t.symbol}:{t.id}" for t in history.trades} <= got
    if exchange != "kraken":
        deposits = {t.external_id for t in api.transactions(api.workspace(db)) if t.kind is Kind.DEPOSIT}
        assert exchange == "coinbase" or {f"deposit:{d.id}" for d in history.deposits} <= deposits


def test_the_refused_stream_is_asked_again_next_run_and_completes_when_allowed(tmp_path, monkeypatch, history):
    from tests.sync.streams_helpers import sync

    set_keys(monkeypatch, "binance")
    with replica("binance", history) as rep:
        rep.refuse("/sapi/v1/simple-earn/flexible/")
        _engine, first = sync(tmp_path, rep)
        assert [i.stream for i in first.incomplete] == ["earn-flexible"]
        rep.refused.clear()     # the user gave the key the permission
        engine, second = sync(tmp_path, rep)
    assert second.error is None and second.incomplete == []
    income = {t.external_id for t in api.transactions(engine) if t.kind is Kind.INCOME}
    assert len([i for i in income if i.startswith("income:earn-flexible:")]) == \
        len(history.extras.earned("flexible"))
