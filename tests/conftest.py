"""Shared fixtures: a ledger database on real SQLite and on a real PostgreSQL server.

PostgreSQL: TAXER_TEST_PG_URL (set by .ci/run), else the suite starts a throw-away server itself with
.ci/postgres.sh. When neither works, PostgreSQL tests fail (never skip silently).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg
import pytest
from hypothesis import settings
from sqlalchemy.engine import make_url

# CI runs hypothesis derandomized (the same examples every run, so a red build is reproducible); locally the
# default profile explores new examples each run. .ci/run sets HYPOTHESIS_PROFILE=ci.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
KOINLY_HEADER = ("Date,Sent Amount,Sent Currency,Received Amount,Received Currency,Fee Amount,Fee Currency,"
                 "Net Worth Amount,Net Worth Currency,Label,Description,TxHash")


@pytest.fixture(scope="session")
def pg_server_url():
    """URL of a PostgreSQL database the tests may create databases from."""
    url = os.environ.get("TAXER_TEST_PG_URL")
    if url:
        yield url
        return
    folder = tempfile.mkdtemp(prefix="taxer-test-pg-")
    script = ROOT / ".ci" / "postgres.sh"
    proc = subprocess.run(["bash", str(script), "start", folder], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"could not start PostgreSQL for the database tests: {proc.stderr.strip()}", pytrace=False)
    try:
        yield proc.stdout.strip()
    finally:
        subprocess.run(["bash", str(script), "stop", folder], capture_output=True)


def _fresh_pg_database(server_url: str) -> str:
    url = make_url(server_url)
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A new, empty ledger database URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return _fresh_pg_database(request.getfixturevalue("pg_server_url"))


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture
def write_koinly(tmp_path):
    """Write a Koinly universal CSV from row strings (without the header) and return its path."""
    def write(rows: list[str], name: str = "koinly.csv", header: str = KOINLY_HEADER) -> Path:
        path = tmp_path / name
        path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
        return path
    return write
