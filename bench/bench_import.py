"""Benchmark: import a generated Koinly CSV into a new SQLite ledger; prints wall time, rows/s and peak memory.

    python bench/bench_import.py --rows 1000000
Target (issue 2): 1,000,000 rows in under 60 s and under 2 GiB on the 2-core reference machine.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import write_koinly_csv

from taxer import api


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", help="folder to keep the CSV and the ledger in (default: a temp folder)")
    args = parser.parse_args()
    folder = Path(args.keep or tempfile.mkdtemp(prefix="taxer-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    csv_path = folder / f"koinly_{args.rows}.csv"
    if not csv_path.exists():
        t0 = time.perf_counter()
        write_koinly_csv(csv_path, args.rows, seed=args.seed)
        print(f"generated {csv_path} in {time.perf_counter() - t0:.1f} s")
    db = folder / "bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)

    engine = api.workspace(str(db))
    t0 = time.perf_counter()
    result = api.import_csv_file(engine, csv_path, "bench")
    wall = time.perf_counter() - t0
    t1 = time.perf_counter()
    again = api.import_csv_file(engine, csv_path, "bench")
    rewall = time.perf_counter() - t1
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"import {result.rows:,} rows: {wall:.1f} s wall, {result.rows / wall:,.0f} rows/s, "
          f"{result.inserted:,} inserted; peak RSS {peak_mib:,.0f} MiB")
    print(f"re-import of the same file: {rewall:.1f} s wall, {again.inserted} inserted")


if __name__ == "__main__":
    main()
