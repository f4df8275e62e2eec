"""Progress for work that takes a while: the library reports stages and counts through callbacks (it never
prints); the CLI draws them on a terminal's stderr only, so pipes, files and tests get the final lines alone."""

from __future__ import annotations

import io
import time

import pytest
from click.testing import CliRunner
from rich.console import Console

from taxer import api, views
from taxer.cli import main
from taxer_replica import Replica, generate_history

BUY = "2024-03-01 14:05:00 UTC,1000,USD,0.015,BTC,1.5,USD,,,,buy,"
SELL = "2024-09-01 10:00:00 UTC,0.01,BTC,800,USD,,,,,,sell,"
ETH_TRADE = "2024-03-05 14:07:30 UTC,1,ETH,20,SOL,,,,,,,"
ETH_BUY = "2024-02-01 10:00:00 UTC,3000,USD,1.5,ETH,,,,,,,"


@pytest.fixture
def ledger(tmp_path, write_koinly):
    db = str(tmp_path / "w.db")
    api.import_csv_file(api.workspace(db), write_koinly([BUY, SELL]), "cb")
    return db


def test_report_stages_come_in_order(ledger, tmp_path):
    stages: list[str] = []
    pages: list[tuple[int, int]] = []
    api.report(api.workspace(ledger), year=2024, out=tmp_path / "r", on_stage=stages.append,
               progress=lambda done, total: pages.append((done, total)))
    assert stages == list(api.REPORT_STAGES) == ["ledger", "engine", "view", "files", "pdf"]
    assert pages and pages[-1][0] == pages[-1][1]
    stages.clear()
    api.report(api.workspace(ledger), year=2024, out=tmp_path / "csv", formats=("csv",), on_stage=stages.append)
    assert stages == ["ledger", "engine", "view", "files"]  # no PDF, no PDF stage


def test_import_reports_rows_read(tmp_path, write_koinly):
    rows = [f"2024-03-01 14:{i // 60 % 60:02}:{i % 60:02} UTC,10,USD,0.001,BTC,,,,,,buy,id{i}" for i in range(7000)]
    path = write_koinly(rows)
    seen: list[tuple[str, int]] = []
    (result,) = api.import_csv(api.workspace(str(tmp_path / "w.db")), [path], "cb",
                               on_rows=lambda p, n: seen.append((p, n)))
    assert result.rows == 7000 and seen[-1] == (str(path), 7000)
    assert [n for _p, n in seen] == sorted(n for _p, n in seen)


def test_prices_fetch_reports_values_and_pages(tmp_path, write_koinly):
    history = generate_history(seed=5, trades=50, start="2024-01-01", end="2024-12-31", assets=("ETH", "SOL"),
                               quote="USD", deposits=1, withdrawals=0, rewards=0)
    db = str(tmp_path / "w.db")
    api.import_csv_file(api.workspace(db), write_koinly([ETH_BUY, ETH_TRADE]), "wallet")
    seen = []
    with Replica("binance", history) as rep:
        report = api.fetch_prices(api.workspace(db), year=2024, exchange="binance", api_url=rep.url,
                                  on_progress=lambda p: seen.append((p.needed, p.pages, p.planned)))
    assert seen[-1] == (report.needed, report.requests, report.requests)
    assert [pages for _n, pages, _p in seen] == sorted(pages for _n, pages, _p in seen)
    assert all(pages <= planned for _n, pages, planned in seen)


def test_off_a_terminal_the_cli_prints_only_the_final_lines(ledger, tmp_path, write_koinly):
    runner = CliRunner()
    imported = runner.invoke(main, ["--db", ledger, "import", "csv", str(write_koinly([BUY], name="more.csv")),
                                    "--account", "cb2"])
    assert imported.exit_code == 0, imported.output
    assert imported.output.splitlines() == [f"{tmp_path / 'more.csv'}: koinly, 1 row, 1 new, 0 already in the "
                                            "ledger"]
    result = runner.invoke(main, ["--db", ledger, "report", "--year", "2024", "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Tax year 2024") and lines[-1].startswith("Reports written to")
    texts = [*views.REPORT_STAGE_TEXT.values(), "rows read", "values needed", "\x1b["]
    assert not [t for t in texts if t in result.output + imported.output]


def _terminal() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=100), out


def test_on_a_terminal_the_stage_under_way_is_drawn_then_cleared():
    console, out = _terminal()
    with views.report_progress(console=console, delay=0) as (on_stage, on_pages):
        time.sleep(0.05)
        on_stage("engine")
        on_stage("pdf")
        on_pages(3, 10)
        time.sleep(0.3)
    assert "Rendering report.pdf" in out.getvalue() and "3/10" in out.getvalue()


def test_quick_work_draws_nothing():
    console, out = _terminal()
    with views.prices_progress(console=console, delay=5) as on_progress:
        on_progress(type("P", (), {"needed": 4, "pages": 1, "planned": 4})())
    with views.import_progress(console=console, delay=5) as on_rows:
        on_rows("a.csv", 5000)
    assert out.getvalue() == ""
