"""The wheel carries templates/ and sample_data/, and an installed taxer finds them there."""

import subprocess
import sys
import zipfile

from tests.conftest import ROOT


def test_wheel_contains_templates_and_sample_data(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path)], check=True)
    (wheel,) = tmp_path.glob("taxer-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "taxer/sample_data/coinbase.csv" in names and "taxer/sample_data/ledger_wallet.csv" in names
    assert any(n.startswith("taxer/templates/") for n in names)
    assert "taxer/store/migrations/versions/0001_initial_ledger_schema.py" in names
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    probe = ("import taxer.resources as r; print(r.sample_data_dir()); print(r.templates_dir())")
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env={"PYTHONPATH": str(unpacked)},
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == [str(unpacked / "taxer" / "sample_data"), str(unpacked / "taxer" / "templates")]
