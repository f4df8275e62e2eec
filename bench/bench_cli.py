"""Benchmark: the commands a user types all day, as a user runs them (a new process each time); prints the median
wall and CPU time of N runs each of `taxer --help`, `taxer accounts` and `taxer ledger` on the 48-row sample ledger.

    python bench/bench_cli.py --runs 5
Targets (issue 17): `taxer --help` < 0.3 s, `taxer accounts` < 0.5 s on the 2-core reference machine.

CPU time (the child's user + system time) is what the command costs; wall time also holds the wait for a core,
which on a shared, loaded machine can be twice as long: both are printed with the load average. The runs use
compiled bytecode as an installed taxer does (written to a temporary folder on the first, unmeasured run, even
where PYTHONDONTWRITEBYTECODE is set), so the figures do not include compiling taxer's sources.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_data"


def run(args: list[str], env: dict, program: tuple[str, ...] = ("-m", "taxer.cli")) -> tuple[float, float]:
    """(wall, cpu) seconds of one `python -m taxer.cli ARGS` process, run in the ledger's folder (`-m` puts the
    current folder first on sys.path: this checkout's taxer, from PYTHONPATH, is the one measured)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, *program, *args], env=env, check=True, stdout=subprocess.DEVNULL,
                   cwd=env["TAXER_BENCH_FOLDER"])
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs of each command; the median is printed")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="taxer-bench-cli-"))
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "PYTHONPATH": path, "PYTHONPYCACHEPREFIX": str(folder / "pycache"),
           "TAXER_BENCH_FOLDER": str(folder)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("TAXER_DB", None)
    db = str(folder / "sample.db")
    for name, account in (("coinbase.csv", "coinbase"), ("ledger_wallet.csv", "ledger")):
        run(["--db", db, "import", "csv", str(SAMPLES / name), "--account", account], env)
    commands = {"taxer --help": ["--help"], "taxer accounts": ["--db", db, "accounts"],
                "taxer ledger": ["--db", db, "ledger"]}
    for argv in commands.values():
        run(argv, env)  # warm-up: bytecode written, files in the page cache
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores; "
          f"median of {args.runs} runs")
    for label, argv in commands.items():
        times = [run(argv, env) for _ in range(args.runs)]
        wall = statistics.median(t[0] for t in times)
        cpu = statistics.median(t[1] for t in times)
        print(f"  {label:16} {wall:6.3f} s wall  {cpu:6.3f} s CPU   (wall {min(t[0] for t in times):.3f}-"
              f"{max(t[0] for t in times):.3f})")
    bare = [run([], env, program=("-c", "pass")) for _ in range(args.runs)]
    print(f"  {'python -c pass':16} {statistics.median(t[0] for t in bare):6.3f} s wall  "
          f"{statistics.median(t[1] for t in bare):6.3f} s CPU   (the interpreter alone)")


if __name__ == "__main__":
    main()
