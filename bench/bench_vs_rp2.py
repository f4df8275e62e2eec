"""Benchmark: taxer against RP2 on the same generated history, in one run (the ratio is what to read).

    python bench/bench_vs_rp2.py [--rows 10000] [--year 2024] [--rp2-venv /tmp/rp2-venv]

RP2 (https://github.com/eprbell/rp2, pip package `rp2`) runs from its own virtual environment, made on first use
with `python -m venv` and `pip install rp2==1.7.2` (never among taxer's dependencies). The history is
bench/generate.py's Koinly CSV (one account); RP2 reads it converted to its input: an ODS file with one sheet per
asset holding IN, OUT and INTRA tables, and an .ini file naming the columns (RP2's docs/input_files.md). The
conversion is not timed. Then, as users run them:

- taxer: `taxer import csv` + `taxer report --year Y` (CSV files and report.pdf), each a new process;
- RP2: `rp2_us -m fifo -f Y-01-01 -t Y-12-31 CONFIG INPUT` (its full report and tax report, ODS files).

How a row maps: a buy is an IN "buy", a sale an OUT "sell", a crypto-to-crypto trade an OUT "sell" of what was
sent plus an IN "buy" of what was received (both at the row's USD value), a reward an IN "staking"/"income"/
"airdrop", a deposit of unknown origin an IN "buy" at its value, a withdrawal an OUT "gift" (taxer warns on
both; RP2 needs every coin to have a lot). A buy's USD fee is a fiat fee; a fee in a coin is a crypto fee of
the OUT, or comes off the IN's amount; a sale's USD fee is left out (RP2 derives an OUT's fiat fee from its
crypto fee). The two do the same kind of work, not the same sums.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import defaultdict
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import write_koinly_csv  # noqa: E402

RP2_VERSION = "1.7.2"
IN_COLUMNS = ("timestamp", "asset", "exchange", "holder", "transaction_type", "spot_price", "crypto_in",
              "crypto_fee", "fiat_in_no_fee", "fiat_in_with_fee", "fiat_fee", "unique_id", "notes")
OUT_COLUMNS = ("timestamp", "asset", "exchange", "holder", "transaction_type", "spot_price", "crypto_out_no_fee",
               "crypto_fee", "crypto_out_with_fee", "fiat_out_no_fee", "fiat_fee", "unique_id", "notes")
INTRA_COLUMNS = ("timestamp", "asset", "from_exchange", "from_holder", "to_exchange", "to_holder", "spot_price",
                 "crypto_sent", "crypto_received", "unique_id", "notes")
LABELS = {"staking": "staking", "reward": "income", "airdrop": "airdrop"}
EXCHANGE, HOLDER = "Koinly", "bench"


def _out(q: Decimal) -> Decimal:
    """What an OUT sends, one millionth less: RP2 reads the ODS cells as floats and rounds them to 11 decimals,
    so a sale of a whole balance gathered from many lots can come out 1e-11 above the lots and stop RP2."""
    return max(q.quantize(Decimal("0.000001"), ROUND_DOWN) - Decimal("0.000001"), Decimal("0.000001"))


def rp2_rows(path: Path) -> dict[str, dict[str, list[tuple]]]:
    """asset -> {"IN": rows, "OUT": rows} from a generated Koinly CSV."""
    tables: dict[str, dict[str, list[tuple]]] = defaultdict(lambda: {"IN": [], "OUT": []})
    with open(path, newline="") as handle:
        for n, r in enumerate(csv.DictReader(handle)):
            stamp = r["Date"].replace(" UTC", "+00:00")
            sent, sent_cur = r["Sent Amount"], r["Sent Currency"]
            got, got_cur = r["Received Amount"], r["Received Currency"]
            fee, fee_cur = r["Fee Amount"], r["Fee Currency"]
            worth = Decimal(r["Net Worth Amount"] or "0")
            usd_fee = Decimal(fee) if fee_cur == "USD" else ""
            if sent_cur == "USD":      # buy
                q = Decimal(got)
                tables[got_cur]["IN"].append((stamp, got_cur, EXCHANGE, HOLDER, "buy", Decimal(sent) / q, q, "",
                                              Decimal(sent), "", usd_fee or Decimal(0), f"r{n}", ""))
            elif got_cur == "USD":     # sell
                q = Decimal(sent)
                tables[sent_cur]["OUT"].append((stamp, sent_cur, EXCHANGE, HOLDER, "sell", worth / q, _out(q), 0, "",
                                                "", "", f"r{n}", ""))
            elif sent_cur and got_cur:  # crypto for crypto
                q, qb = Decimal(sent), Decimal(got)
                tables[sent_cur]["OUT"].append((stamp, sent_cur, EXCHANGE, HOLDER, "sell", worth / q, _out(q),
                                                Decimal(fee) if fee_cur == sent_cur else 0, "", "", "",
                                                f"r{n}o", ""))
                if fee_cur == got_cur:
                    qb -= Decimal(fee)  # what arrived
                tables[got_cur]["IN"].append((stamp, got_cur, EXCHANGE, HOLDER, "buy", worth / qb, qb, "", "", "",
                                              "", f"r{n}i", ""))
            elif got_cur:              # reward or deposit
                q = Decimal(got)
                kind = LABELS.get(r["Label"], "buy")
                tables[got_cur]["IN"].append((stamp, got_cur, EXCHANGE, HOLDER, kind, worth / q, q, "", "", "",
                                              "" if kind != "buy" else Decimal(0), f"r{n}", ""))
            elif sent_cur:             # withdrawal
                q = Decimal(sent)
                tables[sent_cur]["OUT"].append((stamp, sent_cur, EXCHANGE, HOLDER, "gift", worth / q, _out(q), 0, "",
                                                "", "", f"r{n}", ""))
    return tables


def _cell(value: object) -> str:
    if value == "" or value is None:
        return "<table:table-cell/>"
    if isinstance(value, int | float | Decimal):
        return f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p>' \
               "</table:table-cell>"
    return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'


def _row(values: tuple) -> str:
    return "<table:table-row>" + "".join(_cell(v) for v in values) + "</table:table-row>"


def write_ods(path: Path, tables: dict[str, dict[str, list[tuple]]]) -> None:
    """RP2's input spreadsheet, written as OpenDocument XML directly (ezodf would take minutes)."""
    sheets = []
    for asset, sets in sorted(tables.items()):
        rows = []
        for kind, columns in (("IN", IN_COLUMNS), ("OUT", OUT_COLUMNS)):
            if sets[kind]:
                rows += [_row((kind,)), _row(columns), *(_row(r) for r in sets[kind]), _row(("TABLE END",)),
                         _row(("",))]
        sheets.append(f'<table:table table:name="{asset}">' + "".join(rows) + "</table:table>")
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               "<office:body><office:spreadsheet>" + "".join(sheets) +
               "</office:spreadsheet></office:body></office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                "</manifest:manifest>")
    with zipfile.ZipFile(path, "w") as ods:
        ods.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        ods.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        ods.writestr("content.xml", content, zipfile.ZIP_DEFLATED)


def write_config(path: Path, assets: list[str]) -> None:
    def header(name: str, columns: tuple[str, ...]) -> str:
        return f"[{name}]\n" + "".join(f"{c} = {n}\n" for n, c in enumerate(columns))

    path.write_text(f"[general]\nassets = {', '.join(assets)}\nexchanges = {EXCHANGE}\nholders = {HOLDER}\n\n"
                    + header("in_header", IN_COLUMNS) + "\n" + header("out_header", OUT_COLUMNS) + "\n"
                    + header("intra_header", INTRA_COLUMNS))


def rp2_venv(folder: Path) -> Path:
    """The rp2_us command of RP2's own virtual environment, made when missing."""
    command = folder / "bin" / "rp2_us"
    if not command.exists():
        print(f"installing rp2=={RP2_VERSION} into {folder} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
        subprocess.run([str(folder / "bin" / "pip"), "install", "-q", f"rp2=={RP2_VERSION}"], check=True)
    return command


def timed(command: list[str], cwd: Path, **kwargs) -> float:
    t0 = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, **kwargs)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rp2-venv", type=Path, default=Path(tempfile.gettempdir()) / "rp2-venv")
    args = parser.parse_args()
    rp2 = rp2_venv(args.rp2_venv)
    folder = Path(tempfile.mkdtemp(prefix="taxer-bench-rp2-"))
    history = folder / "history.csv"
    write_koinly_csv(history, args.rows, seed=args.seed)
    tables = rp2_rows(history)
    write_ods(folder / "input.ods", tables)
    write_config(folder / "config.ini", sorted(tables))
    print(f"{args.rows:,} transactions, tax year {args.year}; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    taxer = [sys.executable, "-m", "taxer.cli", "--db", str(folder / "taxer.db")]
    imported = timed([*taxer, "import", "csv", "-a", "bench", str(history)], folder, env=env)
    reported = timed([*taxer, "report", "--year", str(args.year), "--out", str(folder / "taxer-out")], folder,
                     env=env)
    pages = _pages(folder / "taxer-out" / "report.pdf")
    print(f"taxer: import {imported:.1f} s + report {reported:.1f} s = {imported + reported:.1f} s "
          f"(report.pdf {pages} pages)")
    ran = timed([str(rp2), "-m", "fifo", "-f", f"{args.year}-01-01", "-t", f"{args.year}-12-31", "-o",
                 str(folder / "rp2-out"), "-p", "bench_", str(folder / "config.ini"), str(folder / "input.ods")],
                folder)
    print(f"RP2 {RP2_VERSION}: {ran:.1f} s ({len(list((folder / 'rp2-out').glob('*.ods')))} ODS files)")
    print(f"taxer is {ran / (imported + reported):.1f}x faster than RP2 on this history")
    print(f"files in {folder}")


def _pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


if __name__ == "__main__":
    main()
