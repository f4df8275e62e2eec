"""Times `taxer.engine.compute` for each accounting method on generated histories (a benchmark, not a test).

    python bench/bench_engine.py                         # 10k, 100k and 1M transactions, all four methods
    python bench/bench_engine.py --sizes 10000 100000 --methods fifo hifo --no-trace

The history is built directly as `Transaction` objects from a seeded `random.Random` (no CSV, no database):
buys and sells against USD with USD or crypto fees, crypto-to-crypto trades with a USD fair value, staking
income, spends, standalone fees, and transfers between an exchange and a wallet (withdrawal, then a deposit
minutes later with a network fee taken off). Balances are followed per account, so it never sells or sends
more than an account holds.

For each run it prints wall and CPU time and transactions per second (untraced run), the peak of memory
allocated during `compute` (tracemalloc, a second run; skipped with --no-trace) and the process's maximum
resident set size so far (the generated history included).
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from taxer.engine import EngineSettings, compute
from taxer.model import Kind, Leg, Transaction

START = datetime(2021, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=5 * 365)  # reaches into 2025, so the auto pool switch happens in every run
ACCOUNTS = ("exchange", "wallet")
# asset: (starting price in USD cents, volatility per event, stakeable)
ASSETS = {"BTC": (2_900_000, 0.004, False), "ETH": (73_000, 0.005, True), "SOL": (150, 0.007, True),
          "ADA": (18, 0.006, True), "USDT": (100, 0.0, False)}
UNIT = 10**8  # quantities are integers of 1e-8 while generating


def _qty(units: int) -> Decimal:
    return Decimal(units).scaleb(-8)


def _usd(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


class History:
    """A seeded generator of valid ledgers: never disposes of more than an account holds."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        # Prices in cents as floats: float ok, they only shape test data; every amount is built exact.
        self.price = {asset: float(start) for asset, (start, _, _) in ASSETS.items()}
        self.held = {(account, asset): 0 for account in ACCOUNTS for asset in ASSETS}
        # deposits not yet credited: (at, account, asset, units)
        self.pending: list[tuple[datetime, str, str, int]] = []
        self.txs: list[Transaction] = []

    def build(self, n: int) -> list[Transaction]:
        step = SPAN / n
        at = START
        while len(self.txs) < n:
            at += step * (0.2 + 1.6 * self.rng.random())
            self._settle(at)
            self._move_prices()
            self._event(at, n)
        return self.txs[:n]

    def _add(self, account: str, at: datetime, kind: Kind, **fields) -> None:
        n = len(self.txs)
        self.txs.append(Transaction(account=account, timestamp=at, kind=kind, source="bench",
                                    external_id=f"b{n}", id=n + 1, **fields))

    def _settle(self, at: datetime) -> None:
        while self.pending and self.pending[0][0] <= at:
            _, account, asset, units = self.pending.pop(0)
            self.held[account, asset] += units

    def _move_prices(self) -> None:
        for asset, (_, vol, _) in ASSETS.items():
            if vol:
                self.price[asset] = max(1.0, self.price[asset] * (1 + self.rng.gauss(0, vol)))

    def _value(self, asset: str, units: int) -> int:
        return max(1, round(self.price[asset] * units / UNIT))  # cents

    def _units_for(self, asset: str, cents: int) -> int:
        return max(1, int(cents * UNIT / self.price[asset]))

    def _event(self, at: datetime, n: int) -> None:
        rng = self.rng
        roll = rng.random()
        if roll < 0.30:
            self._buy(at)
        elif roll < 0.45:
            self._sell(at)
        elif roll < 0.60:
            self._swap(at)
        elif roll < 0.83:
            self._stake(at)
        elif roll < 0.95 and len(self.txs) < n - 1:
            self._transfer(at)
        else:
            self._spend(at, Kind.SPEND if roll < 0.98 else Kind.FEE)

    def _holding(self, account: str, minimum: int = 1000) -> str | None:
        assets = [a for a in ASSETS if self.held[account, a] > minimum]
        return self.rng.choice(assets) if assets else None

    def _buy(self, at: datetime) -> None:
        asset = self.rng.choice(list(ASSETS))
        cents = self.rng.randint(1_000, 500_000)
        units = self._units_for(asset, cents)
        self.held["exchange", asset] += units
        self._add("exchange", at, Kind.TRADE, sent=Leg("USD", _usd(cents)), received=Leg(asset, _qty(units)),
                  fee=Leg("USD", _usd(max(1, cents // 200))))

    def _sell(self, at: datetime) -> None:
        asset = self._holding("exchange")
        if asset is None:
            return self._buy(at)
        units = self.rng.randint(1, self.held["exchange", asset] // 2)
        fee = None
        if self.rng.random() < 0.3 and units > 1000:
            fee_units = units // 500
            units -= fee_units
            fee = Leg(asset, _qty(fee_units))
            self.held["exchange", asset] -= fee_units
        else:
            fee = Leg("USD", _usd(max(1, self._value(asset, units) // 250)))
        self.held["exchange", asset] -= units
        self._add("exchange", at, Kind.TRADE, sent=Leg(asset, _qty(units)),
                  received=Leg("USD", _usd(self._value(asset, units))), fee=fee)

    def _swap(self, at: datetime) -> None:
        sent = self._holding("exchange")
        if sent is None:
            return self._buy(at)
        received = self.rng.choice([a for a in ASSETS if a != sent])
        units = self.rng.randint(1, self.held["exchange", sent] // 2)
        cents = self._value(sent, units)
        fee = None
        if self.rng.random() < 0.5 and units > 1000:
            fee_units = units // 1000
            units -= fee_units
            self.held["exchange", sent] -= fee_units
            fee = Leg(sent, _qty(fee_units))
        got = self._units_for(received, cents)
        self.held["exchange", sent] -= units
        self.held["exchange", received] += got
        self._add("exchange", at, Kind.TRADE, sent=Leg(sent, _qty(units)), received=Leg(received, _qty(got)),
                  fee=fee, fair_value=_usd(cents), fair_value_currency="USD")

    def _stake(self, at: datetime) -> None:
        asset = self.rng.choice([a for a, (_, _, stakeable) in ASSETS.items() if stakeable])
        account = self.rng.choice(ACCOUNTS)
        units = self._units_for(asset, self.rng.randint(10, 5_000))
        self.held[account, asset] += units
        self._add(account, at, Kind.INCOME, received=Leg(asset, _qty(units)), label="staking",
                  fair_value=_usd(self._value(asset, units)), fair_value_currency="USD")

    def _transfer(self, at: datetime) -> None:
        source = self.rng.choice(ACCOUNTS)
        target = ACCOUNTS[1 - ACCOUNTS.index(source)]
        asset = self._holding(source, minimum=100_000)
        if asset is None:
            return self._buy(at)
        units = self.rng.randint(1, self.held[source, asset])
        network_fee = min(units // 2, self.rng.randint(0, 20_000))
        self.held[source, asset] -= units
        arrives = at + timedelta(seconds=self.rng.randint(10, 3600))
        self.pending.append((arrives, target, asset, units - network_fee))
        self.pending.sort()
        tx_hash = f"0x{self.rng.getrandbits(64):016x}" if self.rng.random() < 0.5 else None
        self._add(source, at, Kind.WITHDRAWAL, sent=Leg(asset, _qty(units)), tx_hash=tx_hash,
                  fair_value=_usd(self._value(asset, units)), fair_value_currency="USD")
        self._add(target, arrives, Kind.DEPOSIT, received=Leg(asset, _qty(units - network_fee)),
                  tx_hash=tx_hash)

    def _spend(self, at: datetime, kind: Kind) -> None:
        account = self.rng.choice(ACCOUNTS)
        asset = self._holding(account)
        if asset is None:
            return self._stake(at)
        units = self.rng.randint(1, max(1, self.held[account, asset] // 20))
        self.held[account, asset] -= units
        self._add(account, at, kind, sent=Leg(asset, _qty(units)),
                  fair_value=_usd(self._value(asset, units)), fair_value_currency="USD")


def _run(txs: list[Transaction], method: str, trace: bool) -> tuple[float, float, int | None, object]:
    settings = EngineSettings(method=method)
    gc.collect()
    started, cpu_started = time.perf_counter(), time.process_time()
    result = compute(txs, settings)
    elapsed = time.perf_counter() - started  # seconds: float ok
    cpu = time.process_time() - cpu_started  # less disturbed than wall time on a busy machine
    peak = None
    if trace:
        del result
        gc.collect()
        tracemalloc.start()
        result = compute(txs, settings)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return elapsed, cpu, peak, result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--methods", nargs="+", default=["fifo", "lifo", "hifo", "average"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-trace", action="store_true", help="skip the tracemalloc run (halves the time)")
    args = parser.parse_args(argv)

    print(f"{'transactions':>12} {'method':>8} {'wall s':>7} {'cpu s':>7} {'tx/s':>8} {'engine peak MiB':>16}"
          f" {'maxrss MiB':>11} {'disposals':>10} {'warnings':>9}")
    for size in args.sizes:
        started = time.perf_counter()
        txs = History(args.seed).build(size)
        built = time.perf_counter() - started
        print(f"# {size} transactions generated in {built:.1f} s", flush=True)
        for method in args.methods:
            elapsed, cpu, peak, result = _run(txs, method, trace=not args.no_trace)
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
            peak_text = f"{peak / 2**20:.0f}" if peak is not None else "-"
            print(f"{size:>12} {method:>8} {elapsed:>7.2f} {cpu:>7.2f} {size / elapsed:>8.0f} {peak_text:>16}"
                  f" {rss:>11.0f} {len(result.disposals):>10} {len(result.warnings):>9}", flush=True)
            del result
        del txs


if __name__ == "__main__":
    main()
