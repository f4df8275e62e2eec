"""Properties over random valid ledgers (never disposing of more than an account holds)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, localcontext

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taxer.engine import EngineSettings, Result, compute
from taxer.model import Kind, Leg, Transaction

ACCOUNTS = ("a", "b")
ASSETS = ("BTC", "ETH", "USDT")
START = datetime(2024, 9, 1, tzinfo=UTC)  # the histories reach into 2025: the auto pool split happens
WIDE = 200  # digits: enough to add up any of these numbers exactly


@dataclass
class Ledger:
    """A generated history and what it must add up to, worked out while generating (not by the engine)."""

    txs: list[Transaction] = field(default_factory=list)
    acquired: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))  # quantity per asset
    # total basis ever acquired: fiat paid + fiat fees, fair values of trades and income
    cost: Decimal = Decimal(0)


@st.composite
def ledgers(draw) -> Ledger:
    ledger = Ledger()
    held: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    # Coins a trade received at the current instant: the engine may order that trade after a disposal at the
    # same instant (only pure acquisitions are sure to come first), so they are not spent until the clock
    # moves on.
    fresh: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    at = START
    with localcontext(prec=WIDE):
        for n in range(draw(st.integers(1, 30))):
            step = draw(st.sampled_from([0, 1, 3600, 86_400, 7 * 86_400, 30 * 86_400, 400 * 86_400]))
            if step:
                at += timedelta(seconds=step)
                fresh.clear()
            account = draw(st.sampled_from(ACCOUNTS))
            other = ACCOUNTS[1 - ACCOUNTS.index(account)]
            money = Decimal(draw(st.integers(1, 10**7))).scaleb(-2)
            owned = [asset for asset in ASSETS if held[account, asset] - fresh[account, asset] > 0]
            actions = ["buy", "buy", "income", "sell", "swap", "spend", "gift", "transfer"]
            action = draw(st.sampled_from(actions))
            if action in ("sell", "swap", "spend", "gift", "transfer") and not owned:
                action = "buy"
            extra = {"source": "gen", "external_id": f"x{n}"} if draw(st.booleans()) else {}
            if action in ("buy", "income"):
                asset = draw(st.sampled_from(ASSETS))
                amount = Decimal(draw(st.integers(1, 10**9))).scaleb(-draw(st.integers(0, 8)))
                held[account, asset] += amount
                ledger.acquired[asset] += amount
                if action == "buy":
                    fee = Decimal(draw(st.integers(0, 500))).scaleb(-2)
                    ledger.cost += money + fee
                    ledger.txs.append(Transaction(account, at, Kind.TRADE, sent=Leg("USD", money),
                                                  received=Leg(asset, amount),
                                                  fee=Leg("USD", fee) if fee else None, **extra))
                else:
                    ledger.cost += money
                    ledger.txs.append(Transaction(account, at, Kind.INCOME, received=Leg(asset, amount),
                                                  fair_value=money, fair_value_currency="USD",
                                                  label="staking", **extra))
                continue
            asset = draw(st.sampled_from(owned))
            share = Decimal(draw(st.integers(1, 100))) / 100
            amount = (held[account, asset] - fresh[account, asset]) * share * Decimal("0.999")
            # A fee in the asset itself: amount + fee stays within holdings.
            fee = amount / 1000 if draw(st.booleans()) else None
            held[account, asset] -= amount + (fee or 0)
            fee_leg = Leg(asset, fee) if fee else None
            if action == "sell":
                ledger.txs.append(Transaction(account, at, Kind.TRADE, sent=Leg(asset, amount),
                                              received=Leg("USD", money), fee=fee_leg, **extra))
            elif action == "swap":
                target = draw(st.sampled_from([a for a in ASSETS if a != asset]))
                got = Decimal(draw(st.integers(1, 10**9))).scaleb(-6)
                held[account, target] += got
                fresh[account, target] += got
                ledger.acquired[target] += got
                ledger.cost += money
                ledger.txs.append(Transaction(account, at, Kind.TRADE, sent=Leg(asset, amount),
                                              received=Leg(target, got), fee=fee_leg, fair_value=money,
                                              fair_value_currency="USD", **extra))
            elif action in ("spend", "gift"):
                kind = Kind.SPEND if action == "spend" else Kind.GIFT
                ledger.txs.append(Transaction(account, at, kind, sent=Leg(asset, amount), fee=fee_leg,
                                              fair_value=money, fair_value_currency="USD", **extra))
            else:
                lost = amount * Decimal(draw(st.integers(0, 5))) / 1000
                tx_hash = f"0x{n}" if draw(st.booleans()) else None
                arrives = at + timedelta(seconds=draw(st.sampled_from([0, 60, 3600, 86_400])))
                ledger.txs.append(Transaction(account, at, Kind.WITHDRAWAL, sent=Leg(asset, amount),
                                              fee=fee_leg, fair_value=money, fair_value_currency="USD",
                                              tx_hash=tx_hash, **extra))
                ledger.txs.append(Transaction(other, arrives, Kind.DEPOSIT,
                                              received=Leg(asset, amount - lost), tx_hash=tx_hash, **extra))
                held[other, asset] += amount - lost
                at = arrives + timedelta(seconds=1)  # nothing else happens while the coins travel
                fresh.clear()
    return ledger


SETTINGS = st.builds(EngineSettings, method=st.sampled_from(["fifo", "lifo", "hifo", "average"]),
                     pool=st.sampled_from(["auto", "universal", "per_account"]),
                     timezone=st.sampled_from(["UTC", "Asia/Tokyo", "America/New_York"]))
CHECKS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def held(result: Result) -> dict[str, Decimal]:
    return {asset: amount for asset, amount in result.holdings_by_asset().items() if amount}


@CHECKS
@given(ledgers(), SETTINGS)
def test_a_valid_ledger_balances(ledger, engine_settings):
    result = compute(ledger.txs, engine_settings)
    assert result.warnings == ()
    with localcontext(prec=WIDE):
        # Every coin acquired is either disposed of or still held (transfers only move coins and pay fees).
        disposed: dict[str, Decimal] = defaultdict(Decimal)
        for d in result.disposals:
            disposed[d.asset] += d.amount
        for asset in ASSETS:
            assert ledger.acquired[asset] == disposed[asset] + result.holdings_by_asset().get(asset, 0), asset
        # Every unit of basis acquired is either used by a disposal or still in a lot held.
        used = sum(d.cost_basis for d in result.disposals)
        assert used + sum(lot.cost_basis for lot in result.holdings) == ledger.cost
        # gain = proceeds - cost basis, exactly, on every row and in total.
        assert all(d.gain == d.proceeds - d.cost_basis for d in result.disposals)
        assert sum(d.gain for d in result.disposals) == (sum(d.proceeds for d in result.disposals)
                                                         - sum(d.cost_basis for d in result.disposals))
    assert all(not d.basis_missing and not d.value_missing for d in result.disposals)


@CHECKS
@given(ledgers(), SETTINGS, st.randoms(use_true_random=False))
def test_input_order_does_not_change_the_result(ledger, engine_settings, rng):
    shuffled = list(ledger.txs)
    rng.shuffle(shuffled)
    assert compute(shuffled, engine_settings) == compute(ledger.txs, engine_settings)


@CHECKS
@given(ledgers(), st.sampled_from(["auto", "universal", "per_account"]))
def test_methods_agree_on_proceeds_and_holdings(ledger, pool):
    results = [compute(ledger.txs, EngineSettings(method=method, pool=pool))
               for method in ("fifo", "lifo", "hifo", "average")]
    with localcontext(prec=WIDE):
        proceeds = {sum(d.proceeds for d in r.disposals) for r in results}
        basis = {sum(d.cost_basis for d in r.disposals) + sum(lot.cost_basis for lot in r.holdings)
                 for r in results}
    assert len(proceeds) == 1
    assert len(basis) == 1
    assert len({tuple(held(r).items()) for r in results}) == 1
    assert len({r.income for r in results}) == 1
    assert len({r.transfers for r in results}) == 1
