"""`taxer demo`: imports the sample, syncs from the replica through ccxt, writes every year's package."""

import json

from click.testing import CliRunner

from taxer import api
from taxer.cli import main


def test_demo_runs_the_whole_job(tmp_path):
    result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "synced account 'bitget' from the bitget replica" in result.output
    assert result.output.rstrip().endswith(f"Reports: {tmp_path / 'reports'}")
    engine = api.workspace(str(tmp_path / "taxer.db"))
    counts = {a.name: a.transactions for a in api.accounts(engine)}
    assert counts == {"bitget": 123, "coinbase": 32, "ledger": 16}
    for year in (2022, 2023, 2024, 2025):
        summary = json.loads((tmp_path / "reports" / str(year) / "summary.json").read_text())
        assert summary["year"] == year and summary["method"] == "fifo"
        assert (tmp_path / "reports" / str(year) / "manifest.json").exists()
    # the bundled sample's 2024 income is hand-checked in sample_data/README.md; the replica account has no income
    assert json.loads((tmp_path / "reports" / "2024" / "summary.json").read_text())["income"] == "1095.82"
