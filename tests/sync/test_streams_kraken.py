"""Kraken's ledger as the real answers show it (tests/real/api/kraken/ledgers--income-and-transfers.json): earn
rewards on the earn wallets' assets and airdrops are income, moves between the user's own wallets are not, and a
trade fee paid with KFEE fee credits is not booked as a fee in a coin."""

from __future__ import annotations

from taxer.exchanges import kraken, normalize
from taxer.exchanges.credentials import Credentials
from taxer.model import Kind
from taxer_replica import KeyFacts, Permissions
from tests.sync.streams_helpers import FAST, KEY, SECRET, by_id, legs, ms, replica, set_keys, small_history, sync


def test_earn_airdrops_own_moves_and_kfee(tmp_path, monkeypatch):
    history = small_history()
    x = history.extras
    set_keys(monkeypatch, "kraken")
    with replica("kraken", history) as rep:
        engine, report = sync(tmp_path, rep)
    assert report.error is None, report.error
    got = by_id(engine)
    income = sorted((t.received.asset, t.received.amount, t.label, ms(t)) for t in got.values()
                    if t.kind is Kind.INCOME)
    truth = [(r.currency, r.amount, r.label, r.timestamp) for r in history.rewards]
    truth += [(y.asset, y.amount, y.label, y.timestamp) for y in x.earned("earn", "airdrop")]
    assert income == sorted(truth)           # DOT.S, USDC.M, ETH.F are the coins; autoallocation is not income
    assert {y.label for y in x.earned("earn")} == {"staking"} and {y.label for y in x.earned("airdrop")} == \
        {"airdrop"}
    trades = {t.external_id.rsplit(":", 1)[1]: t for t in got.values() if t.kind is Kind.TRADE}
    assert x.kfee_trades and x.kfee_trades <= set(trades)
    for trade in history.trades:
        tx = trades[trade.id]
        if trade.id in x.kfee_trades:
            assert tx.fee is None and "KFEE fee credits" in tx.description
        else:
            assert (tx.fee.asset, tx.fee.amount) == (trade.fee_currency, trade.fee)


def test_a_read_only_key_reads_deposits_and_withdrawals_from_the_ledger(tmp_path, monkeypatch):
    """Kraken answers a read-only key's DepositStatus/WithdrawStatus with EGeneral:Permission denied (they need the
    Deposit/Withdraw Funds permissions): the sync does not ask them, and the Ledgers give every deposit and
    withdrawal with its fee and refid."""
    history = small_history(seed=8)
    set_keys(monkeypatch, "kraken")
    with replica("kraken", history) as rep:
        engine, report = sync(tmp_path, rep)
        asked = {path for _m, path, _q in rep.requests}
    assert report.error is None and report.incomplete == [], report.error
    assert not asked & {"/0/private/DepositStatus", "/0/private/WithdrawStatus"}
    got = by_id(engine)
    for d in history.deposits:
        tx = got[f"deposit:{d.id}"]
        assert (tx.kind, legs(tx), ms(tx)) == (Kind.DEPOSIT, (None, None, d.currency, d.amount, None, None),
                                              d.timestamp)
    for w in history.withdrawals:
        tx = got[f"withdrawal:{w.id}"]
        assert (tx.kind, legs(tx), ms(tx)) == (Kind.WITHDRAWAL, (w.currency, w.amount, None, None, w.currency, w.fee),
                                              w.timestamp)
    funding = [t for t in got.values() if t.kind in (Kind.DEPOSIT, Kind.WITHDRAWAL)]
    assert len(funding) == len(history.deposits) + len(history.withdrawals)


def test_ledger_funding_keeps_the_ids_and_content_deposit_and_withdraw_status_gave(tmp_path, monkeypatch):
    """Earlier syncs (keys with the funds permissions) stored DepositStatus/WithdrawStatus rows as
    `deposit:<refid>` / `withdrawal:<refid>`: the ledger's entries get those ids, with the same time (to the
    second, as kraken states funding times), kind and legs, so a sync over an old ledger adds nothing twice."""
    history = small_history(seed=8)
    set_keys(monkeypatch, "kraken")
    with replica("kraken", history) as rep:
        engine, _report = sync(tmp_path, rep)
    got = by_id(engine)
    key = KeyFacts(deposit_funds=True)
    with replica("kraken", history, key=key) as rep:
        rep.api.permissions = Permissions.WITHDRAW    # a key with Withdraw Funds (taxer itself never uses one)
        gw = FAST("kraken", Credentials(KEY, SECRET), account="main", api_url=rep.url,
                  rate_limit=False, endpoint_errors=kraken.SPEC.endpoint_errors)
        gw.markets()
        old = [normalize.as_transfer(kraken.RAW, direction)(r, "main", "kraken")
               for method, direction in (("fetch_deposits", "deposit"), ("fetch_withdrawals", "withdrawal"))
               for r in gw.call(method, None, None, None, {})]
        gw.close()
    # the newest 25 of each, as the endpoints answer
    assert len(old) == min(25, len(history.deposits)) + min(25, len(history.withdrawals)) > 0
    for tx in old:
        new = got[tx.external_id]
        assert (new.kind, legs(new), new.timestamp.replace(microsecond=0)) == (tx.kind, legs(tx), tx.timestamp)
