"""Times `render_pdf` on a synthetic ReportView with N Form 8949 lines (a benchmark, not a test).

    python bench/bench_pdf.py                          # 1,000, 10,000 and 100,000 lines
    python bench/bench_pdf.py --sizes 100000 --out /tmp/bench.pdf

The view is built directly from a seeded `random.Random`: Form 8949 lines in Part I box C and Part II box F with
quantities of up to 18 decimals, plus a fixed small number of income events, other disposals, year-end lots and
warnings, so the figures are about the statement. For each size it prints the wall time of `render_pdf`, the CPU
seconds it used in this process and all its workers (the wall time two idle cores would need is about half of it
when the pool is used), the CPU seconds other processes on the machine used meanwhile (unless near 0, the wall
time is not the machine's own), Form 8949 rows per wall-clock second, pages, file size, and peak resident
memory: of this process (over the whole run so far), of the largest worker, and of the whole process tree at
once (this process, the forkserver and its workers, sampled every 50 ms from /proc).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from taxer.money import cents, quantity
from taxer.reports import form8949
from taxer.reports.form8949 import Form8949Line
from taxer.reports.pdf import PdfContext, render_pdf
from taxer.reports.view import HoldingLine, IncomeLine, OtherDisposalLine, ReportParams, ReportView, WarningLine

ASSETS = ("BTC", "ETH", "SOL", "ADA", "USDC", "DOGE", "MATIC")


def _qty(rng: random.Random) -> Decimal:
    return Decimal(rng.randrange(1, 10**12)).scaleb(-rng.choice((4, 8, 12, 18))).normalize()


def _usd(rng: random.Random, top: int) -> Decimal:
    return cents(Decimal(rng.randrange(0, top * 100)).scaleb(-2))


def synthetic_view(lines: int, seed: int = 7) -> ReportView:
    """A valid ReportView for tax year 2024 with `lines` Form 8949 lines."""
    rng = random.Random(seed)
    year_start = date(2024, 1, 1)
    rows = []
    for n in range(lines):
        long = rng.random() < 0.4
        sold = year_start + timedelta(days=rng.randrange(366))
        acquired = sold - timedelta(days=rng.randrange(367, 1500) if long else rng.randrange(0, 365))
        asset, amount = rng.choice(ASSETS), _qty(rng)
        proceeds, basis = _usd(rng, 20_000), _usd(rng, 20_000)
        rows.append(Form8949Line(
            part="II" if long else "I", box="F" if long else "C", description=f"{quantity(amount)} {asset}",
            date_acquired=acquired.isoformat(), date_sold=sold.isoformat(), proceeds=proceeds, cost_basis=basis,
            adjustment_code="", adjustment=Decimal("0.00"), gain=proceeds - basis, term="long" if long else "short",
            account=rng.choice(("coinbase", "ledger", "kraken")), asset=asset, amount=amount, disposal_tx_id=n,
            acquisition_tx_id=n + 1, method="fifo", flags="basis_missing" if rng.random() < 0.001 else ""))
    rows.sort(key=lambda r: (r.part, r.box, r.date_sold, r.asset, r.date_acquired, r.account, r.disposal_tx_id))
    start, end = datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)
    income = tuple(IncomeLine(f"2024-{1 + k % 12:02d}-15", datetime(2024, 1 + k % 12, 15, tzinfo=UTC), "SOL",
                              _qty(rng), _usd(rng, 300), rng.choice(("staking", "reward")), "ledger", 10**7 + k)
                   for k in range(200))
    by_type: dict[str, Decimal] = {}
    for i in income:
        by_type[i.type] = by_type.get(i.type, Decimal("0.00")) + i.fair_value
    other = tuple(OtherDisposalLine("transfer_fee", "2023-05-01", "2024-06-01", "0.0001 ETH", "ETH", Decimal("0.0001"),
                                    Decimal("0.35"), Decimal("0.20"), Decimal("0.15"), "long", "ledger", 10**8 + k,
                                    10**8 + k + 1) for k in range(50))
    holdings = tuple(HoldingLine(rng.choice(ASSETS), _qty(rng), "2023-03-01", _usd(rng, 5000), "coinbase", 10**9 + k,
                                 False) for k in range(300))
    holdings = tuple(sorted(holdings, key=lambda h: (h.asset, h.account, h.acquired, h.acquire_tx_id)))
    warnings = tuple(WarningLine("unknown_origin", f"transaction {k}: 0.05 ETH arrived from no matching withdrawal.",
                                 "Supply the cost basis.", "ledger", "ETH", Decimal("0.05"), (k,)) for k in range(3))
    params = ReportParams(year=2024, year_label="2024", country="us", method="fifo", currency="USD", timezone="UTC",
                          pool="auto", period_start=start, period_end=end)
    return ReportView(
        params=params, form8949=tuple(rows), totals_by_box=form8949.totals_by_box(rows),
        short=form8949.totals(r for r in rows if r.part == "I"),
        long=form8949.totals(r for r in rows if r.part == "II"), total=form8949.totals(rows), income=income,
        income_by_type=dict(sorted(by_type.items())), income_total=sum(by_type.values(), Decimal("0.00")),
        holdings=holdings, other_disposals=other, warnings=warnings)


CLOCK = os.sysconf("SC_CLK_TCK")


def _processes() -> dict[int, tuple[int, int, float]]:
    """pid: (parent pid, resident bytes, CPU seconds used) of every process, from /proc."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # after the command: state, ppid, ..., utime (12th), stime (13th), ..., rss in pages (22nd)
        out[int(entry)] = (int(fields[1]), int(fields[21]) * os.sysconf("SC_PAGE_SIZE"),
                           (int(fields[11]) + int(fields[12])) / CLOCK)
    return out


def _machine_cpu() -> float:
    """CPU seconds every process on the machine has used so far (/proc/stat), to see what else was running."""
    with open("/proc/stat") as handle:
        fields = [int(x) for x in handle.readline().split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / CLOCK  # all but idle and iowait


class TreeSampler(threading.Thread):
    """Samples this process and its descendants (the forkserver and its workers) every 50 ms."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_total = 0          # bytes resident in the whole tree at once
        self.peak_child = 0          # bytes of the largest descendant
        self.cpu: dict[int, float] = {}  # CPU seconds of each descendant, last seen
        self.stop = threading.Event()

    def run(self) -> None:
        me = os.getpid()
        while not self.stop.wait(0.05):
            procs = _processes()
            tree = {me}
            for _ in range(3):  # children, grandchildren (forkserver workers), ...
                tree |= {pid for pid, (ppid, _, _) in procs.items() if ppid in tree}
            self.peak_total = max(self.peak_total, sum(procs[p][1] for p in tree if p in procs))
            for pid in tree - {me}:
                if pid in procs:
                    self.peak_child = max(self.peak_child, procs[pid][1])
                    self.cpu[pid] = procs[pid][2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--out", type=Path, default=None, help="keep the last PDF here")
    args = parser.parse_args()
    context = PdfContext(as_of=datetime(2025, 2, 1, 12, 0, tzinfo=UTC), fingerprint="ab" * 32, transactions=123_456,
                         taxpayer="Jane Q. Example")
    from pypdf import PdfReader

    print(f"{'lines':>8} {'build s':>8} {'render s':>9} {'cpu s':>7} {'others s':>9} {'rows/s':>8} {'pages':>6} "
          f"{'MB':>6} {'main MiB':>9} {'worker MiB':>11} {'tree MiB':>9}")
    for size in args.sizes:
        t0 = time.perf_counter()
        view = synthetic_view(size)
        built = time.perf_counter() - t0
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "report.pdf"
            sampler = TreeSampler()
            sampler.start()
            cpu0, machine0 = time.process_time(), _machine_cpu()
            t1 = time.perf_counter()
            render_pdf(view, path, context)
            wall = time.perf_counter() - t1
            cpu = time.process_time() - cpu0
            machine = _machine_cpu() - machine0
            sampler.stop.set()
            sampler.join()
            cpu += sum(sampler.cpu.values())
            others = max(0.0, machine - cpu)
            pages = len(PdfReader(path).pages)
            size_mb = path.stat().st_size / 1e6
            if args.out:
                args.out.write_bytes(path.read_bytes())
        main_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{size:>8} {built:>8.1f} {wall:>9.1f} {cpu:>7.1f} {others:>9.1f} {size / wall:>8.0f} {pages:>6} "
              f"{size_mb:>6.1f} "
              f"{main_peak:>9.0f} {sampler.peak_child / 2**20:>11.0f} {sampler.peak_total / 2**20:>9.0f}",
              flush=True)


if __name__ == "__main__":
    main()
