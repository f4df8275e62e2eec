"""Times a country's rules over a generated history: the UK's matching (same day, 30 days, Section 104 pool) first.

    python bench/bench_countries.py                          # 100,000 transactions, uk, ca, de, au
    python bench/bench_countries.py --sizes 10000 100000 --countries uk

The history is bench/generate.py's (one account, Koinly rows), with its fiat relabelled as the country's
currency so every value comes from the ledger; it is parsed by the Koinly importer before timing. Each run is
`compute` over the whole history with the country's settings: wall and CPU time (untraced; on a shared
machine CPU time is the steadier figure) and the peak of memory allocated during `compute` (tracemalloc, a
second run).
Target (issue 8): the UK rules over 100,000 transactions in under 3 s.
"""

from __future__ import annotations

import argparse
import csv
import gc
import sys
import tempfile
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from generate import HEADER, generate_rows

from taxer.countries import country
from taxer.engine import compute
from taxer.importers.csvfile import read_records
from taxer.model import FIAT


def history(n: int, currency: str, folder: Path) -> list:
    """n generated transactions whose fiat is `currency` (ids 1..n, as ledger rows would have)."""
    path = folder / f"h{n}-{currency}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for row in generate_rows(n, seed=0):
            writer.writerow([currency if cell in FIAT else cell for cell in row])
    _, records = read_records(path, "bench")
    return [replace(r.transaction, id=i) for i, r in enumerate(records, 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--countries", nargs="+", default=["uk", "ca", "de", "au"])
    parser.add_argument("--no-trace", action="store_true", help="skip the tracemalloc run")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="taxer-bench-countries-"))
    print(f"{'transactions':>12} {'country':>7} {'wall s':>7} {'cpu s':>7} {'tx/s':>9} {'disposals':>10} "
          f"{'peak MiB':>9}")
    for n in args.sizes:
        for code in args.countries:
            rules = country(code)
            txs = history(n, rules.currency, folder)
            settings = rules.settings()
            gc.collect()
            t0, c0 = time.perf_counter(), time.process_time()
            result = compute(txs, settings)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            peak = ""
            if not args.no_trace:
                gc.collect()
                tracemalloc.start()
                compute(txs, settings)
                peak = f"{tracemalloc.get_traced_memory()[1] / 2**20:>9.0f}"
                tracemalloc.stop()
            print(f"{n:>12} {code:>7} {wall:>7.2f} {cpu:>7.2f} {n / wall:>9,.0f} {len(result.disposals):>10,} "
                  f"{peak:>9}")


if __name__ == "__main__":
    main()
