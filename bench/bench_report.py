"""Benchmark: import a generated history and run `taxer report` (CSV files) for each method.

    python bench/bench_report.py --sizes 10000 100000 1000000 [--methods fifo lifo hifo average]
Prints per size: import time, then per method the report's wall time, rows/s and peak RSS of the process; the load
average and a fixed 20-million-step loop before and after (bench_small's), since this machine's speed drifts.
Targets (issue 3): 1,000,000 transactions end to end (import + report) in under 60 s and 2 GiB.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_small import calibration, load
from generate import write_koinly_csv

from taxer import api


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--methods", nargs="+", default=["fifo", "lifo", "hifo", "average"])
    parser.add_argument("--year", default="2024")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="taxer-bench-report-"))
    print(f"load average {load()}; 20M-step loop {calibration():.2f} s")
    print(f"{'transactions':>12} {'step':>8} {'wall s':>7} {'tx/s':>9} {'disposals':>10} {'peak RSS MiB':>13}")
    for n in args.sizes:
        csv_path = root / f"h{n}.csv"
        write_koinly_csv(csv_path, n, seed=0)
        engine = api.workspace(str(root / f"h{n}.db"))
        t0 = time.perf_counter()
        api.import_csv_file(engine, csv_path, "bench")
        imported = time.perf_counter() - t0
        print(f"{n:>12} {'import':>8} {imported:>7.1f} {n / imported:>9,.0f} {'':>10} {peak_mib():>13,.0f}")
        for method in args.methods:
            t0 = time.perf_counter()
            package = api.report(engine, year=args.year, out=root / f"r{n}-{method}", method=method,
                                 formats=("csv",))
            wall = time.perf_counter() - t0
            print(f"{n:>12} {method:>8} {wall:>7.1f} {n / wall:>9,.0f} {package.summary['disposals']:>10,} "
                  f"{peak_mib():>13,.0f}   import+report {imported + wall:.1f} s")
    print(f"load average {load()}; 20M-step loop {calibration():.2f} s")


if __name__ == "__main__":
    main()
