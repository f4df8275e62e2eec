"""Shared fixtures: a ledger database on real SQLite and on a real PostgreSQL server; parallel runs.

PostgreSQL: TAXER_TEST_PG_URL (set by .ci/run), else the suite starts a throw-away server itself with
.ci/postgres.sh (once for all xdist workers, by the controller). When neither works, PostgreSQL tests fail
(never skip silently). Each test gets its own database on that server, so workers never share one.

The suite runs on every core with pytest-xdist (`-n auto` unless `-n` is given); `-p no:xdist` or `-n 0`
runs it in one process.
"""

from __future__ import annotations

import fcntl
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
SCRIPT = ROOT / ".ci" / "postgres.sh"
SHARED = "TAXER_TEST_PG_SHARED"  # the folder xdist workers share one throw-away server through
KOINLY_HEADER = ("Date,Sent Amount,Sent Currency,Received Amount,Received Currency,Fee Amount,Fee Currency,"
                 "Net Worth Amount,Net Worth Currency,Label,Description,TxHash")


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config):
    """Default to one xdist worker per core; not in `-p no:xdist` runs nor when `-n` was given."""
    if config.pluginmanager.hasplugin("xdist") and getattr(config.option, "numprocesses", 0) is None \
            and not os.environ.get("PYTEST_XDIST_WORKER"):
        config.option.numprocesses = "auto"


def pytest_configure(config):
    """As the xdist controller, give the workers a folder to share one throw-away PostgreSQL in (if they need it)."""
    if os.environ.get("TAXER_TEST_PG_URL") or os.environ.get(SHARED) or hasattr(config, "workerinput") \
            or not getattr(config.option, "numprocesses", None):
        return
    shared = tempfile.mkdtemp(prefix="taxer-test-pg-")
    os.chmod(shared, 0o755)  # postgres.sh runs the server as the postgres user when called as root
    config._taxer_pg_shared = os.environ[SHARED] = shared


def pytest_unconfigure(config):
    shared = getattr(config, "_taxer_pg_shared", None)
    if shared:
        if os.path.exists(os.path.join(shared, "url")):
            subprocess.run(["bash", str(SCRIPT), "stop", os.path.join(shared, "server")], capture_output=True)
        os.environ.pop(SHARED, None)


def _start_pg(folder: str) -> str:
    proc = subprocess.run(["bash", str(SCRIPT), "start", folder], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"could not start PostgreSQL for the database tests: {proc.stderr.strip()}", pytrace=False)
    return proc.stdout.strip()


@pytest.fixture(autouse=True, scope="session")
def _cache_folder(tmp_path_factory):
    """The suite's compiled-template cache (taxer.resources.cache_dir) in its own folder, not the user's ~/.cache."""
    os.environ["TAXER_CACHE_DIR"] = str(tmp_path_factory.mktemp("taxer-cache"))


@pytest.fixture(scope="session")
def pg_server_url():
    """URL of a PostgreSQL database the tests may create databases from."""
    url = os.environ.get("TAXER_TEST_PG_URL")
    if url:
        yield url
        return
    shared = os.environ.get(SHARED)
    if shared:  # an xdist worker: the first to need it starts the server, the controller stops it
        with open(os.path.join(shared, "lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            path = os.path.join(shared, "url")
            if not os.path.exists(path):
                url = _start_pg(os.path.join(shared, "server"))
                with open(path, "w") as handle:
                    handle.write(url)
            with open(path) as handle:
                url = handle.read()
        yield url
        return
    folder = tempfile.mkdtemp(prefix="taxer-test-pg-")
    try:
        yield _start_pg(folder)
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", folder], capture_output=True)


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
