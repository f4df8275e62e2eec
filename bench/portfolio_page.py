"""The portfolio page on the bundled sample ledger, opened in headless chromium with the network disabled.

    python bench/portfolio_page.py                      # writes /tmp/taxer-portfolio/{page.html,page.png}
    python bench/portfolio_page.py --country de --out /tmp/pf-de

It imports sample_data/ into a new workspace, adds deterministic month-end user prices (a made-up curve, so the
charts have something to draw; SOL has no price in 2022 on purpose, to show incomplete points), writes the page
with `taxer portfolio --html` at --at, and takes a screenshot with every request sent to a proxy where nothing
listens (127.0.0.1:9). Look at the PNG: it is how the page looks offline. Prints the times taken.
"""

from __future__ import annotations

import argparse
import calendar
import math
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from taxer import api
from taxer.resources import sample_data_dir

BASE = {"BTC": 40000, "ETH": 3000, "SOL": 100, "USDC": 1}


def prices_csv(path: Path, currency: str, last_year: int) -> None:
    rows = ["timestamp,asset,quote,price"]
    for year in range(2022, last_year + 1):
        for month in range(1, 13):
            day = calendar.monthrange(year, month)[1]
            i = (year - 2022) * 12 + month
            for asset, base in BASE.items():
                if asset == "SOL" and year == 2022:
                    continue
                price = base if asset == "USDC" else base * (1 + 0.4 * math.sin(i / 6)) * (1 + i / 60)
                rows.append(f"{year}-{month:02d}-{day:02d},{asset},{currency},{price:.2f}")
    if currency != "USD":  # the sample ledger is in USD: a made-up daily rate converts its values
        day, end = date(2022, 1, 1), date(last_year, 12, 31)
        while day <= end:
            rows.append(f"{day.isoformat()},USD,{currency},0.92")
            day += timedelta(days=1)
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="/tmp/taxer-portfolio")
    parser.add_argument("--country", default="us")
    parser.add_argument("--at", default="2024-10-31", help="YYYY-MM-DD (default 2024-10-31)")
    args = parser.parse_args()
    out = Path(args.out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    from taxer.countries import country
    from taxer.portfolio.show import parse_moment

    currency = country(args.country).currency
    engine = api.workspace(f"sqlite:///{out / 'taxer.db'}")
    samples = sample_data_dir()
    api.import_csv(engine, [samples / "coinbase.csv"], "coinbase")
    api.import_csv(engine, [samples / "ledger_wallet.csv"], "ledger")
    prices_csv(out / "prices.csv", currency, int(args.at[:4]))
    api.import_prices(engine, [out / "prices.csv"])

    started = time.perf_counter()
    found, history = api.portfolio(engine, at=parse_moment(args.at), country=args.country, history=True)
    page = api.write_portfolio_page(out / "page.html", found, history)
    print(f"page: {page} ({page.stat().st_size:,} bytes) in {time.perf_counter() - started:.2f} s "
          f"({len(history.net_worth)} month ends)")

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        sys.exit("chromium is not installed: apt-get install -y chromium")
    started = time.perf_counter()
    shot = out / "page.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--proxy-server=127.0.0.1:9",
                    "--disable-background-networking", f"--user-data-dir={out / 'profile'}",
                    f"--screenshot={shot}", "--window-size=1200,2700", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    print(f"screenshot: {shot} in {time.perf_counter() - started:.2f} s (network disabled)")


if __name__ == "__main__":
    main()
