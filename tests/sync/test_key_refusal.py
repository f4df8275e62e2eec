"""A sync refuses a key before reading any history: a withdraw-capable key in each exchange's real answer shape, and
an answer taxer cannot read (which only --allow-unknown-key gets past, warned)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from taxer import api
from taxer.cli import main
from taxer_replica import Permissions, Replica, generate_history
from tests.sync.test_key_answers import CDP_KEY, CDP_PEM, KEY, PASSPHRASE, SECRET, real
from tests.sync.test_sync_replica import FAST

EXCHANGES = ["bitget", "binance", "kraken", "coinbase", "okx"]
KEY_PATHS = ("apiRestrictions", "account/info", "GetApiKeyInfo", "key_permissions", "account/config")
# The documented answer of a key that can withdraw, as the replica's handler returns it (envelope added there).
WITHDRAW = {"binance": real("binance", "api-restrictions--withdraw"),
            "bitget": real("bitget", "account-info--withdraw")["data"],
            "kraken": real("kraken", "get-api-key-info--doc-example")["result"],
            "coinbase": real("coinbase", "key-permissions--doc-example"),
            "okx": real("okx", "account-config--doc-example")["data"]}
# An answer in the right envelope that says nothing readable about the key
UNREADABLE = {"binance": {}, "bitget": {"userId": "1", "authorities": "readonly"}, "kraken": {"apiKeyName": "x"},
              "coinbase": {"portfolio_type": "DEFAULT"}, "okx": [{"perm": ["read_only"]}]}


@pytest.fixture(scope="module")
def history():
    return generate_history(seed=5, trades=200, start="2024-01-01", end="2024-06-30")


def _setup(tmp_path, monkeypatch, exchange, history):
    key, secret = (CDP_KEY, CDP_PEM) if exchange == "coinbase" else (KEY, SECRET)
    monkeypatch.setenv("TAXER_MAIN_API_KEY", key)
    monkeypatch.setenv("TAXER_MAIN_SECRET", secret)
    monkeypatch.setenv("TAXER_MAIN_PASSWORD", PASSPHRASE)
    rep = Replica(exchange, history, api_key=key, secret=secret, passphrase=PASSPHRASE,
                  permissions=Permissions.READ_ONLY).start()
    engine = api.workspace(str(tmp_path / "w.db"))
    api.add_account(engine, "main", exchange=exchange, api_url=rep.url)
    return rep, engine


def _sync(engine, **kw):
    from taxer.sync import AccountSync

    (acct,) = api.accounts(engine)
    return AccountSync(engine, acct, gateway_factory=FAST, **kw).run()


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_a_withdraw_key_in_the_real_shape_is_refused_before_any_history(tmp_path, monkeypatch, history, exchange):
    rep, engine = _setup(tmp_path, monkeypatch, exchange, history)
    try:
        rep.api.key_answer = WITHDRAW[exchange]
        report = _sync(engine, allow_trading_key=True, allow_unknown_key=True)
        paths = [path for _method, path, _query in rep.requests]
    finally:
        rep.stop()
    assert "can withdraw or transfer funds" in report.error and "read-only key" in report.error
    assert len(paths) == 1 and any(p in paths[0] for p in KEY_PATHS), paths   # no history request
    assert list(api.transactions(engine)) == []


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_an_unreadable_answer_is_refused_unless_the_user_allows_it(tmp_path, monkeypatch, history, exchange):
    rep, engine = _setup(tmp_path, monkeypatch, exchange, history)
    try:
        rep.api.key_answer = UNREADABLE[exchange]
        refused = _sync(engine, allow_trading_key=True)
        paths = [path for _method, path, _query in rep.requests]
        assert "--allow-unknown-key" in refused.error and "read-only key" in refused.error
        assert len(paths) == 1 and list(api.transactions(engine)) == []
        allowed = _sync(engine, allow_unknown_key=True)
    finally:
        rep.stop()
    assert allowed.error is None and any("--allow-unknown-key" in w for w in allowed.warnings)
    assert len(list(api.transactions(engine))) > 0


def test_the_cli_warns_on_every_sync_with_allow_unknown_key(tmp_path, monkeypatch, history):
    rep, _engine = _setup(tmp_path, monkeypatch, "binance", history)
    try:
        rep.api.key_answer = {}
        runner = CliRunner()
        db = ["--db", str(tmp_path / "w.db")]
        refused = runner.invoke(main, [*db, "sync", "main"])
        first = runner.invoke(main, [*db, "sync", "main", "--allow-unknown-key"])
        second = runner.invoke(main, [*db, "sync", "main", "--allow-unknown-key"])
    finally:
        rep.stop()
    assert refused.exit_code == 1 and "--allow-unknown-key" in refused.output
    for result in (first, second):
        assert result.exit_code == 0, result.output
        assert "WARNING" in result.output and "did not say" in result.output
