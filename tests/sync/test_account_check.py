"""`taxer account check`, set-key, remove and rename against the replica, for each of the five exchanges (issue #14).

The replica serves each exchange's documented key answer; where an exchange does not say when a key was made
(bitget, okx, coinbase), its age counts from when taxer first saw the key.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner

from taxer import api
from taxer.cli import main
from taxer.exchanges import credentials
from taxer.model import UTC
from taxer_replica import KeyFacts, Permissions, Replica, generate_history
from tests.sync.test_key_answers import CDP_KEY, CDP_PEM, KEY, PASSPHRASE, SECRET

EXCHANGES = ["bitget", "binance", "kraken", "coinbase", "okx"]
SAYS_CREATED = {"binance", "kraken"}      # the others: since taxer first saw the key
SAYS_IP = {"binance", "bitget", "kraken", "okx"}   # coinbase's key_permissions has no allow-list
NOW = datetime.now(UTC)
DAY_MS = 86_400_000
BOUND = ("203.0.113.7",)


def _ms(when: datetime) -> int:
    return int(when.timestamp()) * 1000


@pytest.fixture(scope="module")
def history():
    return generate_history(seed=9, trades=120, start="2024-01-01", end="2024-04-30")


class FakeKeyring:
    """An in-memory OS keyring."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], str] = {}

    def get_keyring(self):
        return self

    def get_password(self, service, user):
        return self.entries.get((service, user))

    def set_password(self, service, user, value):
        self.entries[(service, user)] = value

    def delete_password(self, service, user):
        self.entries.pop((service, user), None)


@pytest.fixture
def keyring(monkeypatch):
    fake = FakeKeyring()
    monkeypatch.setattr("taxer.exchanges.credentials._keyring", lambda: (fake, KeyError))
    return fake


def _creds(exchange):
    return (CDP_KEY, CDP_PEM) if exchange == "coinbase" else (KEY, SECRET)


def _env(monkeypatch, exchange, name="main"):
    key, secret = _creds(exchange)
    prefix = credentials.env_prefix(name)
    monkeypatch.setenv(prefix + "API_KEY", key)
    monkeypatch.setenv(prefix + "SECRET", secret)
    monkeypatch.setenv(prefix + "PASSWORD", PASSPHRASE)


def _replica(exchange, history, *, permissions=Permissions.READ_ONLY, **facts):
    key, secret = _creds(exchange)
    return Replica(exchange, history, api_key=key, secret=secret, passphrase=PASSPHRASE, permissions=permissions,
                   key=KeyFacts(**facts))


def _workspace(tmp_path, rep, name="main"):
    engine = api.workspace(str(tmp_path / "w.db"))
    api.add_account(engine, name, exchange=rep.exchange, api_url=rep.url)
    return engine


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_a_bound_fresh_read_only_key_has_no_problems(tmp_path, monkeypatch, history, exchange):
    _env(monkeypatch, exchange)
    with _replica(exchange, history, ips=BOUND, created_ms=_ms(NOW - timedelta(days=5))) as rep:
        (health,) = api.check_accounts(_workspace(tmp_path, rep))
        paths = [p for _m, p, _q in rep.requests]
    assert health.error is None and health.problems == (), health
    assert not health.refused
    row = health.as_json()
    assert (row["read"], row["trade"], row["withdraw"]) == (True, False, False)
    assert row["ip_restricted"] is (True if exchange in SAYS_IP else None)
    assert row["key_age_days"] == (5 if exchange in SAYS_CREATED else 0)
    assert len(paths) == 1   # the key endpoint only: no history read


@pytest.mark.parametrize("exchange", sorted(SAYS_IP))
def test_an_unbound_key_is_no_ip_allowlist(tmp_path, monkeypatch, history, exchange):
    _env(monkeypatch, exchange)
    with _replica(exchange, history, created_ms=_ms(NOW - timedelta(days=5))) as rep:
        (health,) = api.check_accounts(_workspace(tmp_path, rep))
    assert health.problems == ("no_ip_allowlist",) and not health.refused
    assert any("IP address" in line for line in health.advice)


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_an_old_key_is_key_old(tmp_path, monkeypatch, history, exchange):
    _env(monkeypatch, exchange)
    with _replica(exchange, history, ips=BOUND, created_ms=_ms(NOW - timedelta(days=200))) as rep:
        engine = _workspace(tmp_path, rep)
        first = api.check_accounts(engine)[0]
        later = api.check_accounts(engine, now=NOW + timedelta(days=120))[0]   # taxer saw the key 120 days ago
        api.set_setting(engine, "key_max_age_days", "365")
        relaxed = api.check_accounts(engine, now=NOW + timedelta(days=120))[0]
    if exchange in SAYS_CREATED:
        assert "key_old" in first.problems and first.age_days == 200
    else:
        assert "key_old" not in first.problems and first.age_days == 0
    assert "key_old" in later.problems and not later.refused
    assert "key_old" not in relaxed.problems


def test_an_expiring_kraken_key_is_key_expiring(tmp_path, monkeypatch, history):
    _env(monkeypatch, "kraken")
    with _replica("kraken", history, ips=BOUND, created_ms=_ms(NOW - timedelta(days=5)),
                  expires_ms=_ms(NOW + timedelta(days=10))) as rep:
        (health,) = api.check_accounts(_workspace(tmp_path, rep))
    assert health.problems == ("key_expiring",)
    assert "expires" in health.summary()
    assert health.as_json()["expires"].startswith((NOW + timedelta(days=10)).strftime("%Y-%m-%d"))


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_a_withdraw_key_is_refused_by_check_and_sync(tmp_path, monkeypatch, history, exchange):
    _env(monkeypatch, exchange)
    with _replica(exchange, history, permissions=Permissions.WITHDRAW, ips=BOUND) as rep:
        db = ["--db", str(tmp_path / "w.db")]
        runner = CliRunner()
        assert runner.invoke(main, [*db, "account", "add", "main", "--exchange", exchange, "--api-url",
                                    rep.url]).exit_code == 0
        checked = runner.invoke(main, [*db, "account", "check", "--json"])
        synced = runner.invoke(main, [*db, "sync", "main", "--allow-trading-key", "--allow-unknown-key"])
    assert checked.exit_code == 1
    (row,) = json.loads(checked.stdout)
    assert row["withdraw"] is True and "can_withdraw" in row["problems"]
    assert set(row) >= {"account", "exchange", "read", "trade", "withdraw", "ip_restricted", "key_created",
                        "key_age_days", "expires", "problems"}
    assert synced.exit_code == 1 and "can withdraw or transfer funds" in synced.output
    assert "problems: can_withdraw" in synced.output   # the health line of the sync


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_set_key_with_a_withdraw_key_stores_nothing(tmp_path, monkeypatch, history, keyring, exchange):
    for v in ("API_KEY", "SECRET", "PASSWORD"):
        monkeypatch.delenv(f"TAXER_MAIN_{v}", raising=False)
    key, secret = _creds(exchange)
    typed = secret.replace("\n", "\\n")   # a PEM pasted at the one-line prompt, as the key file's JSON shows it
    with _replica(exchange, history, permissions=Permissions.WITHDRAW) as rep:
        engine = _workspace(tmp_path, rep)
        refused = CliRunner().invoke(main, ["--db", str(tmp_path / "w.db"), "account", "set-key", "main"],
                                     input=f"{key}\n{typed}\n{PASSPHRASE}\n")
        rep.api.permissions = Permissions.READ_ONLY
        stored = CliRunner().invoke(main, ["--db", str(tmp_path / "w.db"), "account", "set-key", "main"],
                                    input=f"{key}\n{typed}\n{PASSPHRASE}\n")
        synced = api.sync(engine)
    assert refused.exit_code == 1 and "was not stored" in refused.output and "withdraw" in refused.output
    assert stored.exit_code == 0 and "stored the key" in stored.output, stored.output
    assert keyring.entries[("taxer", "main:secret")].strip() == secret.strip()
    assert synced[0].error is None and synced[0].inserted > 0
    for text in (refused.output, stored.output):
        assert secret not in text and key not in text


def test_set_key_says_when_there_is_no_keyring(tmp_path, monkeypatch, history):
    monkeypatch.setattr("taxer.exchanges.credentials._keyring", lambda: (None, Exception))
    with _replica("binance", history) as rep:
        _workspace(tmp_path, rep)
        result = CliRunner().invoke(main, ["--db", str(tmp_path / "w.db"), "account", "set-key", "main"],
                                    input="k\ns\n\n")
    assert result.exit_code == 1 and "TAXER_<NAME>_API_KEY" in result.output and "API key:" not in result.output


def test_account_add_prints_the_read_only_steps(tmp_path):
    for exchange, words in (("binance", "Enable Reading"), ("kraken", "Query start/end date"), ("okx", "Read"),
                            ("bitget", "Read-only"), ("coinbase", "View")):
        result = CliRunner().invoke(main, ["--db", str(tmp_path / "w.db"), "account", "add", exchange,
                                           "--exchange", exchange])
        assert result.exit_code == 0 and "read-only key" in result.output and words in result.output, result.output


def test_plain_sync_skips_accounts_without_keys(tmp_path, monkeypatch, history, keyring):
    _env(monkeypatch, "binance", "main")
    with _replica("binance", history) as rep:
        engine = _workspace(tmp_path, rep)
        api.add_account(engine, "nokey", exchange="binance", api_url=rep.url)
        notes: list[str] = []
        reports = api.sync(engine, log=notes.append)
    assert [r.account for r in reports] == ["main"] and reports[0].error is None
    assert any("skipping account 'nokey'" in n and "TAXER_NOKEY_API_KEY" in n for n in notes)
    assert any(n.startswith("main (binance) key: read-only") for n in notes)   # the health line


def test_remove_and_rename(tmp_path, monkeypatch, history, keyring):
    _env(monkeypatch, "binance", "main")
    with _replica("binance", history) as rep:
        engine = _workspace(tmp_path, rep)
        assert api.sync(engine, ["main"])[0].error is None
    txs = list(api.transactions(engine, account="main"))
    deposit = next(t for t in txs if t.kind.value == "deposit")
    api.correct(engine, "relabel", deposit.id, value="reward", note="a promotion")
    runner = CliRunner()
    db = ["--db", str(tmp_path / "w.db")]
    renamed = runner.invoke(main, [*db, "account", "rename", "main", "spot"])
    assert renamed.exit_code == 0 and "1 correction follows" in renamed.output, renamed.output
    assert [c.target.account for c in api.corrections(engine)] == ["spot"]
    assert len(list(api.transactions(engine, account="spot"))) == len(txs)
    keyring.set_password("taxer", "spot:api_key", KEY)
    keyring.set_password("taxer", "spot:secret", SECRET)
    dry = runner.invoke(main, [*db, "account", "remove", "spot"])
    assert dry.exit_code == 0 and "would remove" in dry.output and f"{len(txs)} transactions" in dry.output
    assert len(list(api.transactions(engine, account="spot"))) == len(txs)
    gone = runner.invoke(main, [*db, "account", "remove", "spot", "--yes"])
    assert gone.exit_code == 0 and "removed account 'spot'" in gone.output and "keyring entry" in gone.output
    assert api.accounts(engine) == [] and list(api.transactions(engine)) == [] and api.corrections(engine) == []
    assert keyring.entries == {}


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_no_secret_byte_in_files_or_output(tmp_path, monkeypatch, history, exchange):
    _env(monkeypatch, exchange)
    key, secret = _creds(exchange)
    with _replica(exchange, history, ips=BOUND) as rep:
        db = ["--db", str(tmp_path / "w.db")]
        runner = CliRunner()
        runner.invoke(main, [*db, "account", "add", "main", "--exchange", exchange, "--api-url", rep.url])
        outputs = [runner.invoke(main, [*db, "account", "check"]).output,
                   runner.invoke(main, [*db, "account", "check", "--json"]).output,
                   runner.invoke(main, [*db, "sync"]).output]
    pem_lines = [line for line in CDP_PEM.splitlines() if "-----" not in line]
    for text in (key, secret, PASSPHRASE, *pem_lines):
        for out in outputs:
            assert text not in out
        for path in tmp_path.iterdir():
            assert text.encode() not in path.read_bytes(), path


def test_check_skips_accounts_without_keys_unless_named(tmp_path, monkeypatch, history, keyring):
    _env(monkeypatch, "binance", "main")
    with _replica("binance", history, ips=BOUND) as rep:
        engine = _workspace(tmp_path, rep)
        api.add_account(engine, "nokey", exchange="binance", api_url=rep.url)
        db = ["--db", str(tmp_path / "w.db")]
        plain = CliRunner().invoke(main, [*db, "account", "check"])
        named = CliRunner().invoke(main, [*db, "account", "check", "nokey"])
    assert plain.exit_code == 0 and "nokey (binance) key: NOT CHECKED: no API key yet" in plain.output, plain.output
    assert named.exit_code == 1 and "TAXER_NOKEY_API_KEY" in named.output


def test_a_kraken_query_window_is_said(tmp_path, monkeypatch, history):
    _env(monkeypatch, "kraken")
    with _replica("kraken", history, ips=BOUND, created_ms=_ms(NOW - timedelta(days=5)),
                  query_from_ms=_ms(datetime(2023, 1, 1, tzinfo=UTC)),
                  query_to_ms=_ms(datetime(2023, 12, 31, tzinfo=UTC))) as rep:
        (health,) = api.check_accounts(_workspace(tmp_path, rep))
    assert health.problems == () and "sees history from 2023-01-01 until 2023-12-31" in health.summary()
    assert any("invisible to taxer" in line for line in health.advice)
