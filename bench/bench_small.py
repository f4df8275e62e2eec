"""Benchmark: `taxer report` of the bundled sample year (48 rows, 7 disposals), as a user runs it, and by stage.

    python bench/bench_small.py [--runs 5]

First the wall time of the command itself (a new process each run, default formats CSV + PDF, then CSV only and
`taxer --help`), min and median of --runs. Then, in one process, the wall time of each stage of the same report:
loading and computing the year, the CSV files, and the PDF (reading the fonts, laying out the front, drawing
the listing pages, writing the file). Prints the load average and a fixed 20-million-step loop before and after,
as the README's figures do: on a shared machine the same work takes up to twice as long from one minute to the next.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def calibration() -> float:
    t0 = time.perf_counter()
    n = 0
    for _ in range(20_000_000):
        n += 1
    return time.perf_counter() - t0


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def cli(*args: str, cwd: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "taxer.cli", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   env=dict(os.environ, PYTHONPATH=str(ROOT)))
    return time.perf_counter() - t0


def workspace(folder: Path) -> Path:
    from taxer import api
    from taxer.demo import SAMPLE_ACCOUNTS

    db = folder / "taxer.db"
    engine = api.workspace(str(db))
    for name, account in SAMPLE_ACCOUNTS.items():
        api.import_csv_file(engine, ROOT / "sample_data" / name, account)
    return db


def stages(db: Path, out: Path) -> list[tuple[str, float]]:
    """Each stage's wall time in this (fresh) process: the first report pays every one-time cost, as the CLI does."""
    clock = time.perf_counter
    times = []
    t0 = clock()
    from taxer import api
    from taxer.year import load as load_year
    times.append(("import taxer.api", clock() - t0))

    engine = api.workspace(str(db))
    t0 = clock()
    tax_year = load_year(engine, 2024)
    view = tax_year.view()
    times.append(("load + compute the year", clock() - t0))
    t0 = clock()
    api.report(engine, year=2024, out=out / "csv", formats=("csv",))
    times.append(("report, CSV files only (again)", clock() - t0))

    t0 = clock()
    from taxer.reports import pdf, pdf_text
    from taxer.reports.pdf_listing import listings, paginate

    pdf_text.face_metrics()  # finds and reads the fonts
    times.append(("PDF: import the writer, read the fonts", clock() - t0))
    fingerprint = tax_year.fingerprint
    context = pdf.PdfContext(as_of=tax_year.as_of, fingerprint=fingerprint.sha256,
                             transactions=fingerprint.transactions)
    t0 = clock()
    pages = [page for listing in listings(view) for page in paginate(listing)]
    times.append((f"PDF: paginate the listings ({len(pages)} pages)", clock() - t0))
    t0 = clock()
    front = pdf.front_context(view, context)
    laid, targets = pdf._front(view, front, pages, pdf_text.face_metrics())
    times.append((f"PDF: template and lay out the front ({len(laid.pages)} pages)", clock() - t0))
    t0 = clock()
    data = pdf_text.document(laid, pages, pdf._running(front), targets, {"Title": "bench"})
    times.append((f"PDF: draw all pages, subset the fonts, write ({len(data):,} bytes)", clock() - t0))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--stage", type=Path, help=argparse.SUPPRESS)  # internal: print the stages of one db
    args = parser.parse_args()
    if args.stage:
        with tempfile.TemporaryDirectory() as out:
            for name, seconds in stages(args.stage, Path(out)):
                print(f"  {name:<62} {seconds:6.3f} s")
        return
    print(f"load average {load()}; 20M-step loop {calibration():.2f} s")
    folder = Path(tempfile.mkdtemp(prefix="taxer-bench-small-"))
    try:
        db = workspace(folder)
        commands = {"taxer report (CSV + PDF)": ["report", "--year", "2024", "--out", "out"],
                    "taxer report --format csv": ["report", "--year", "2024", "--out", "out-csv", "--format", "csv"],
                    "taxer --help": ["--help"]}
        cli("--help", cwd=folder)  # warm the file cache once
        for name, command in commands.items():
            runs = [cli(*command, cwd=folder) for _ in range(args.runs)]
            print(f"{name:<28} min {min(runs):5.2f} s  median {statistics.median(runs):5.2f} s  "
                  f"({', '.join(f'{r:.2f}' for r in runs)})")
        print("stages of one report in a fresh process:")
        subprocess.run([sys.executable, __file__, "--stage", str(db)], check=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"load average {load()}; 20M-step loop {calibration():.2f} s")


if __name__ == "__main__":
    main()
