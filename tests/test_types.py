"""The type check: mypy, strict for taxer.engine, taxer.model and taxer.countries (pyproject.toml's [tool.mypy]).

Run as part of the README's test command; mypy's cache lives in the repository's (ignored) .mypy_cache, so a
second run takes about a second.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("taxer/engine", "taxer/model", "taxer/countries")


def test_mypy_strict_packages() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
         "--cache-dir", str(ROOT / ".mypy_cache"), *PACKAGES],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"mypy failed:\n{result.stdout}{result.stderr}"
