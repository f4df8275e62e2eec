"""Benchmark: sync N trades from the in-project replica (rate limits off) into a new SQLite ledger.

    python bench/bench_sync.py --trades 100000 [--exchange bitget binance]
The replica runs in its own process (as a real exchange would be elsewhere), so the figures are taxer's alone.
Prints wall time, trades/s, requests made against the minimum the page sizes allow, and peak RSS.
Target (issue 5): >= 5,000 trades/s end to end; requests within 10% of the minimum.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from taxer import api
from taxer.exchanges.normalize import EPOCH
from taxer.exchanges.registry import spec_for
from taxer_replica import generate_history

KEY, SECRET, PASSPHRASE = "bench-key", "YmVuY2gtc2VjcmV0LTAxMjM0NQ==", "bench-pass"  # base64, as kraken's are


def credentials(exchange: str) -> tuple[str, str]:
    """(key, secret) an exchange's replica and taxer both accept: coinbase's CDP keys are an EC key pair."""
    if exchange != "coinbase":
        return KEY, SECRET
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption()).decode()
    return "organizations/bench/apiKeys/bench", pem


def minimum_requests(exchange: str, history, start_ms: int, end_ms: int) -> int:
    """Pages the trades alone need at the exchange's page size (plus windows for windowed paging)."""
    spec = spec_for(exchange)
    trades = next(s for s in spec.streams if s.name == "trades")
    per_symbol = Counter(t.symbol for t in history.trades)
    if not trades.per_symbol:   # okx: every market's fills in one stream, no window limit
        return len(history.trades) // trades.limit + 1
    if trades.paging == "id_ascending":
        return sum(n // trades.limit + 1 for n in per_symbol.values())
    window = trades.window_days * 86_400_000
    total = 0
    for symbol in per_symbol:
        stamps = [t.timestamp for t in history.trades_of(symbol)]
        for w in range(start_ms, end_ms, window):
            n = sum(1 for s in stamps if w <= s < w + window)
            total += n // trades.limit + 1
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trades", type=int, default=100_000)
    parser.add_argument("--exchange", nargs="+", default=["bitget", "binance"])
    args = parser.parse_args()
    t0 = time.perf_counter()
    history = generate_history(seed=1, trades=args.trades, start="2022-01-01", end="2025-12-31")
    print(f"history of {len(history.trades):,} trades generated in {time.perf_counter() - t0:.1f} s")
    for exchange in args.exchange:
        key, secret = credentials(exchange)
        os.environ.update(TAXER_BENCH_API_KEY=key, TAXER_BENCH_SECRET=secret, TAXER_BENCH_PASSWORD=PASSPHRASE)
        server = subprocess.Popen([sys.executable, "-m", "taxer_replica", exchange, "--trades", str(args.trades),
                                   "--seed", "1", "--api-key", key, "--secret", secret, "--passphrase", PASSPHRASE],
                                  stdout=subprocess.PIPE, text=True)
        try:
            url = server.stdout.readline().strip()
            folder = Path(tempfile.mkdtemp(prefix="taxer-bench-sync-"))
            engine = api.workspace(str(folder / "bench.db"))
            api.add_account(engine, "bench", exchange=exchange, api_url=url)
            since = min(t.timestamp for t in history.trades)
            start = EPOCH + timedelta(milliseconds=since - since % 86_400_000)
            t0 = time.perf_counter()
            (report,) = api.sync(engine, ["bench"], since=start)
            wall = time.perf_counter() - t0
        finally:
            server.terminate()
            server.wait()
        trade_requests = sum(s.pages for s in report.streams if s.stream.split(":")[0] == "trades")
        minimum = minimum_requests(exchange, history, int(start.timestamp() * 1000), int(time.time() * 1000))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{exchange}: {report.records:,} records ({len(history.trades):,} trades) in {wall:.1f} s = "
              f"{len(history.trades) / wall:,.0f} trades/s; requests {report.requests:,} in all, trade requests "
              f"{trade_requests:,} vs minimum {minimum:,} ({(trade_requests / minimum - 1) * 100:+.1f}%); "
              f"peak RSS {peak:,.0f} MiB; error: {report.error}")


if __name__ == "__main__":
    main()
