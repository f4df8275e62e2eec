"""Benchmark: value a generated history's events from candles fetched from the replica (binance, USD markets).

    python bench/bench_prices.py --rows 100000 --year 2023
Cold: `taxer prices fetch` for the year (requests vs the pages the greedy plan needs, which is the minimum for the
exchange's page size). Warm: the report of that year running offline from the cache. Target (issue 6): 100,000
events valued with a warm cache in under 5 s; cold requests within 10% of the minimum pages.
"""

from __future__ import annotations

import argparse
import csv
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import HEADER, generate_rows

from taxer import api


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--year", default="2023")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="taxer-bench-prices-"))
    path = folder / "history.csv"
    worth = HEADER.index("Net Worth Amount"), HEADER.index("Net Worth Currency")
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for row in generate_rows(args.rows, seed=0):
            row = list(row)
            if row[HEADER.index("Sent Currency")] != "USD" and row[HEADER.index("Received Currency")] != "USD":
                row[worth[0]] = row[worth[1]] = ""  # no stated value: the price cache must give it
            writer.writerow(row)
    engine = api.workspace(str(folder / "bench.db"))
    api.import_csv_file(engine, path, "bench")
    server = subprocess.Popen([sys.executable, "-m", "taxer_replica", "binance", "--trades", "2000", "--start",
                               "2021-01-01", "--end", "2025-01-10", "--quote", "USD",
                               "--assets", "BTC,ETH,SOL,ADA,DOT,LINK,USDT,USDC"], stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().strip()
        t0 = time.perf_counter()
        cold = api.fetch_prices(engine, year=args.year, exchange="binance", api_url=url)
        fetch_wall = time.perf_counter() - t0
    finally:
        server.terminate()
        server.wait()
    t0 = time.perf_counter()
    package = api.report(engine, year=args.year, out=folder / "report", formats=("csv",))
    warm = time.perf_counter() - t0
    used = sum(1 for _ in (folder / "report" / "prices.csv").open()) - 1
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"cold fetch for {args.year}: {cold.needed:,} values needed, {cold.requests:,} requests, "
          f"{cold.candles:,} candles in {fetch_wall:.1f} s; unavailable: {cold.unavailable}")
    print(f"warm report of {args.year} over {args.rows:,} transactions: {warm:.1f} s, {used:,} prices used, "
          f"{package.summary['warnings']} warnings; peak RSS {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
