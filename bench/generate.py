"""Realistic random trading histories in Koinly's universal CSV format, for benchmarks.

    python bench/generate.py --rows 1000000 --out /tmp/gen1m.csv [--seed 0]
    python bench/generate.py --rows 100000 --out /tmp/gen --accounts 2   # one file per account in /tmp/gen/

The history starts 2021-01-01 UTC and spans about four years whatever the row count (timestamps are strictly increasing,
one second apart at the least). Prices follow a random walk from plausible starting levels. It buys against USD with USD
fees, sells to USD, trades crypto for crypto (Net Worth in USD, fees sometimes in crypto), earns staking rewards and
moves
coins in and out. Balances are tracked per asset (and per account), so it never sells or sends more than it holds.

Quantities are integers of 1e-8 and USD amounts integers of cents; they become decimal strings only when written, which
keeps a million rows well under the time budget.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import random
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime

HEADER = (
    "Date",
    "Sent Amount",
    "Sent Currency",
    "Received Amount",
    "Received Currency",
    "Fee Amount",
    "Fee Currency",
    "Net Worth Amount",
    "Net Worth Currency",
    "Label",
    "Description",
    "TxHash",
)

START = int(datetime(2021, 1, 1, tzinfo=UTC).timestamp())
SPAN_SECONDS = 4 * 365 * 86400  # the base clock covers ~4 years; transfer delays add a little on top
UNIT = 100_000_000  # quantities are integers of 1e-8

# asset: (starting USD price on 2021-01-01, daily volatility, stakeable)
ASSETS: dict[str, tuple[float, float, bool]] = {
    "BTC": (29_000.0, 0.035, False),
    "ETH": (730.0, 0.045, True),
    "SOL": (1.50, 0.065, True),
    "ADA": (0.18, 0.055, True),
    "DOT": (8.20, 0.055, True),
    "LINK": (11.50, 0.055, False),
    "USDT": (1.0, 0.0, False),
    "USDC": (1.0, 0.0, True),
}
STABLE = frozenset({"USDT", "USDC"})
VOLATILE = tuple(a for a in ASSETS if a not in STABLE)
CRYPTO = tuple(ASSETS)
STAKEABLE = tuple(a for a, (_, _, s) in ASSETS.items() if s)

# event: cumulative weight (buy 30%, sell 18%, trade 17%, income 20%, deposit 6%, withdrawal 5%, transfer 4%)
_EVENTS = (
    ("buy", 30),
    ("sell", 48),
    ("trade", 65),
    ("income", 85),
    ("deposit", 91),
    ("withdrawal", 96),
    ("transfer", 100),
)


def fmt_qty(q: int) -> str:
    """An integer count of 1e-8 as a plain decimal string with up to 8 decimals."""
    whole, frac = divmod(q, UNIT)
    if not frac:
        return str(whole)
    return f"{whole}.{frac:08d}".rstrip("0")


def fmt_cents(c: int) -> str:
    """An integer count of cents as a plain decimal string with 2 decimals."""
    return f"{c // 100}.{c % 100:02d}"


class _Prices:
    """USD prices as a lazy geometric random walk: a price moves by the time elapsed since it was last asked."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._price = {a: p for a, (p, _, _) in ASSETS.items()}
        self._floor = {a: p / 10 for a, (p, _, _) in ASSETS.items()}
        self._cap = {a: p * 40 for a, (p, _, _) in ASSETS.items()}
        self._vol = {a: v for a, (_, v, _) in ASSETS.items()}
        self._when = {a: START for a in ASSETS}

    def at(self, asset: str, ts: int) -> float:
        if asset in STABLE:
            return 1.0 + self._rng.uniform(-0.0015, 0.0015)
        dt = ts - self._when[asset]
        if dt > 0:
            self._when[asset] = ts
            p = self._price[asset] * math.exp(
                self._vol[asset] * math.sqrt(dt / 86400) * self._rng.gauss(0.0, 1.0)
            )
            # clamp at generous bounds so a long walk stays plausible
            p = min(max(p, self._floor[asset]), self._cap[asset])
            self._price[asset] = p
        return self._price[asset]


def _generate(n: int, seed: int, accounts: int) -> Iterator[tuple[int, tuple[str, ...]]]:
    """Yield (account index, row) for n rows in strictly increasing timestamp order."""
    rng = random.Random(seed)
    rand, randint, choice, uniform = rng.random, rng.randint, rng.choice, rng.uniform
    prices = _Prices(rng)
    balances = [dict.fromkeys(CRYPTO, 0) for _ in range(accounts)]
    step_max = max(2, 2 * SPAN_SECONDS // max(n, 1))  # mean step ~ SPAN / n
    ts = START
    day_cache: dict[int, str] = {}

    def stamp(t: int) -> str:
        day, sec = divmod(t, 86400)
        d = day_cache.get(day)
        if d is None:
            day_cache.clear()
            d = day_cache[day] = datetime.fromtimestamp(day * 86400, UTC).strftime("%Y-%m-%d")
        h, rem = divmod(sec, 3600)
        m, s = divmod(rem, 60)
        return f"{d} {h:02d}:{m:02d}:{s:02d} UTC"

    def usd_size() -> float:
        # log-uniform order sizes from $20 to $20,000
        return math.exp(uniform(2.9957, 9.9035))

    def held(bal: dict[str, int], pool: tuple[str, ...]) -> list[str]:
        return [a for a in pool if bal[a] > 0]

    def txhash(asset: str) -> str:
        h = f"{rng.getrandbits(256):064x}"
        return h if asset == "BTC" else "0x" + h

    made = 0
    while made < n:
        ts += randint(1, step_max)
        acct = randint(0, accounts - 1) if accounts > 1 else 0
        bal = balances[acct]
        r = rand() * 100
        event = next(e for e, w in _EVENTS if r < w)
        row: tuple[str, ...] | None = None

        if event == "sell":
            have = held(bal, VOLATILE)
            if have:
                a = choice(have)
                q = bal[a] if rand() < 0.15 else int(bal[a] * uniform(0.05, 0.9))
                cents = int(q * prices.at(a, ts) / UNIT * 100)
                if q > 0 and cents >= 100:
                    fee = max(1, cents * randint(40, 150) // 10_000)
                    bal[a] -= q
                    row = (
                        stamp(ts),
                        fmt_qty(q),
                        a,
                        fmt_cents(cents),
                        "USD",
                        fmt_cents(fee),
                        "USD",
                        fmt_cents(cents),
                        "USD",
                        "",
                        f"Sell {a}",
                        "",
                    )
        elif event == "trade":
            have = held(bal, CRYPTO)
            if have:
                a = choice(have)
                b = choice(CRYPTO)
                while b == a:
                    b = choice(CRYPTO)
                fee_mode = (
                    rand()
                )  # <0.35 fee in sent asset, <0.6 in received asset, <0.8 in USD, else in the spread
                q = bal[a] if rand() < 0.1 else int(bal[a] * uniform(0.05, 0.9))
                fq_sent = max(1, q // 1000) if fee_mode < 0.35 else 0
                q = min(
                    q, bal[a] - fq_sent
                )  # the sent amount plus a fee in the same asset must fit the balance
                value = q * prices.at(a, ts) / UNIT
                qb = int(value * 0.997 / prices.at(b, ts) * UNIT)  # a small spread
                cents = int(value * 100)
                fq_recv = max(1, qb // 1000) if 0.35 <= fee_mode < 0.6 else 0
                if q > 0 and qb > fq_recv and cents >= 100:
                    bal[a] -= q + fq_sent
                    bal[b] += qb - fq_recv
                    if fq_sent:
                        fee_amt, fee_cur = fmt_qty(fq_sent), a
                    elif fq_recv:
                        fee_amt, fee_cur = fmt_qty(fq_recv), b
                    elif fee_mode < 0.8:
                        fee_amt, fee_cur = fmt_cents(max(1, cents // 200)), "USD"
                    else:
                        fee_amt = fee_cur = ""
                    row = (
                        stamp(ts),
                        fmt_qty(q),
                        a,
                        fmt_qty(qb),
                        b,
                        fee_amt,
                        fee_cur,
                        fmt_cents(cents),
                        "USD",
                        "",
                        f"Trade {a} for {b}",
                        "",
                    )
        elif event == "income":
            a = choice(STAKEABLE)
            p = prices.at(a, ts)
            value = math.exp(uniform(-1.0, 5.3))  # ~$0.37 to ~$200
            q = int(value / p * UNIT)
            if q > 0:
                bal[a] += q
                x = rand()
                label = (
                    "reward" if a in STABLE or 0.85 <= x < 0.95 else ("staking" if x < 0.85 else "airdrop")
                )
                row = (
                    stamp(ts),
                    "",
                    "",
                    fmt_qty(q),
                    a,
                    "",
                    "",
                    fmt_cents(max(1, int(q * p / UNIT * 100))),
                    "USD",
                    label,
                    f"{a} {label}",
                    "",
                )
        elif event == "deposit":
            a = choice(CRYPTO)
            p = prices.at(a, ts)
            q = int(usd_size() / p * UNIT)
            if q > 0:
                bal[a] += q
                row = (
                    stamp(ts),
                    "",
                    "",
                    fmt_qty(q),
                    a,
                    "",
                    "",
                    fmt_cents(max(1, int(q * p / UNIT * 100))),
                    "USD",
                    "",
                    f"Receive {a}",
                    txhash(a),
                )
        elif event == "withdrawal":
            have = held(bal, CRYPTO)
            if have:
                a = choice(have)
                q = int(bal[a] * uniform(0.05, 0.6))
                if q > 0:
                    bal[a] -= q
                    cents = max(1, int(q * prices.at(a, ts) / UNIT * 100))
                    row = (
                        stamp(ts),
                        fmt_qty(q),
                        a,
                        "",
                        "",
                        "",
                        "",
                        fmt_cents(cents),
                        "USD",
                        "",
                        f"Send {a}",
                        txhash(a),
                    )
        elif event == "transfer" and accounts > 1 and made + 2 <= n:
            have = held(bal, CRYPTO)
            if have:
                a = choice(have)
                q = int(bal[a] * uniform(0.1, 0.8))
                q_in = q - max(
                    1, q // 2000
                )  # the network fee: the deposit is a little less than the withdrawal
                if q_in > 0:
                    dest = randint(0, accounts - 2)
                    dest += dest >= acct
                    h = txhash(a)
                    p = prices.at(a, ts)
                    bal[a] -= q
                    yield (
                        acct,
                        (
                            stamp(ts),
                            fmt_qty(q),
                            a,
                            "",
                            "",
                            "",
                            "",
                            fmt_cents(max(1, int(q * p / UNIT * 100))),
                            "USD",
                            "",
                            f"Send {a} to acct{dest + 1}",
                            h,
                        ),
                    )
                    made += 1
                    ts += randint(60, 900)  # arrives a few minutes later
                    balances[dest][a] += q_in
                    row = (
                        stamp(ts),
                        "",
                        "",
                        fmt_qty(q_in),
                        a,
                        "",
                        "",
                        fmt_cents(max(1, int(q_in * p / UNIT * 100))),
                        "USD",
                        "",
                        f"Receive {a} from acct{acct + 1}",
                        h,
                    )
                    acct = dest

        if row is None:  # buy: always possible, and the fallback when the drawn event does not fit
            a = choice(VOLATILE) if rand() < 0.85 else choice(("USDT", "USDC"))
            cents = int(usd_size() * 100)
            q = int(cents / 100 / prices.at(a, ts) * UNIT)
            if q <= 0:
                continue
            fee = max(1, cents * randint(40, 150) // 10_000)
            bal[a] += q
            row = (
                stamp(ts),
                fmt_cents(cents),
                "USD",
                fmt_qty(q),
                a,
                fmt_cents(fee),
                "USD",
                fmt_cents(cents),
                "USD",
                "",
                f"Buy {a}",
                "",
            )
        yield acct, row
        made += 1


def generate_rows(n: int, seed: int = 0) -> Iterator[tuple[str, ...]]:
    """Yield n Koinly universal CSV rows (tuples of strings, header excluded) of one account, in timestamp order."""
    for _, row in _generate(n, seed, 1):
        yield row


def write_koinly_csv(path: str | os.PathLike[str], n: int, seed: int = 0) -> None:
    """Write a Koinly universal CSV of n rows for one account."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        w.writerows(generate_rows(n, seed))


def write_account_files(
    directory: str | os.PathLike[str], n: int, accounts: int = 2, seed: int = 0
) -> list[str]:
    """Write n rows spread over `accounts` files (acct1.csv, ...) in directory, with transfers between them;
    return the paths.

    Each account's balances are tracked on their own; a transfer is a withdrawal in one file and, a few minutes later, a
    deposit of slightly less (the network fee) in another, with the same TxHash.
    """
    if accounts < 1:
        raise ValueError("accounts must be at least 1")
    os.makedirs(directory, exist_ok=True)
    paths = [os.path.join(directory, f"acct{i + 1}.csv") for i in range(accounts)]
    with ExitStack() as stack:
        writers = [
            csv.writer(stack.enter_context(open(p, "w", newline="", encoding="utf-8")), lineterminator="\n")
            for p in paths
        ]
        for w in writers:
            w.writerow(HEADER)
        for acct, row in _generate(n, seed, accounts):
            writers[acct].writerow(row)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, required=True, help="number of rows to write")
    parser.add_argument("--out", required=True, help="CSV file to write (a directory when --accounts > 1)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--accounts",
        type=int,
        default=1,
        help="number of accounts; above 1, --out is a directory that gets acct1.csv, acct2.csv, ...",
    )
    args = parser.parse_args(argv)
    if args.rows < 0 or args.accounts < 1:
        parser.error("--rows must be >= 0 and --accounts >= 1")
    t0 = time.perf_counter()
    if args.accounts == 1:
        write_koinly_csv(args.out, args.rows, args.seed)
        written = [args.out]
    else:
        written = write_account_files(args.out, args.rows, args.accounts, args.seed)
    elapsed = time.perf_counter() - t0
    print(f"wrote {args.rows} rows to {', '.join(written)} in {elapsed:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
