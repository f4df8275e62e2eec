"""Benchmark: write every CSV/JSON file of a package for a synthetic year of N Form 8949 lines.

    python bench/bench_csv.py --sizes 10000 100000
Target (issue 4): 100,000 rows in under 5 s. Prints wall time, rows/s, bytes written and peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pdf import synthetic_view

from taxer.files import write_bytes_atomic
from taxer.reports.package import csv_outputs, referenced_ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="taxer-bench-csv-"))
    for n in args.sizes:
        view = synthetic_view(n)
        refs = {i: ("acct", "koinly", f"ext-{i}", f"file.csv:{i}") for i in referenced_ids(view)}
        t0 = time.perf_counter()
        files = csv_outputs(view, refs)
        for name, data in files.items():
            write_bytes_atomic(out / name, data)
        wall = time.perf_counter() - t0
        size = sum(len(d) for d in files.values())
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{n:>8,} Form 8949 lines: CSV/JSON files in {wall:.2f} s ({n / wall:,.0f} rows/s), "
              f"{size / 1e6:.1f} MB, peak RSS {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
