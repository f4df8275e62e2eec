"""The report folder holds exactly one run's whole package: planted links are never written through, a killed
report leaves the old package or the new one, folders taxer did not make are refused, fewer formats leave fewer
files, and package.zip is the same bytes on every run (issue #21 items 2-3, issue #15 item 4)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from taxer import api, files
from taxer.cli import main
from taxer.demo import SAMPLE_ACCOUNTS
from taxer.reports import folder
from tests.conftest import SAMPLE

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    db = str(tmp_path_factory.mktemp("sample") / "taxer.db")
    engine = api.workspace(db)
    for name, account in SAMPLE_ACCOUNTS.items():
        api.import_csv_file(engine, SAMPLE / name, account)
    return db


def _report(db, out, *extra, code=0):
    result = CliRunner().invoke(main, ["--db", db, "report", "--year", "2024", "--out", str(out), *extra])
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def _whole(out: Path) -> dict:
    """Assert `out` is one whole package (exactly the manifest's files, each matching its SHA-256); its manifest."""
    manifest = json.loads((out / "manifest.json").read_text())
    expected = {*manifest["files"], "manifest.json", *([manifest["archive"]] if "archive" in manifest else [])}
    assert {p.name for p in out.iterdir()} == expected
    for name, entry in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == entry["sha256"], name
    return manifest


def _snapshot(path: Path) -> dict:
    return {str(p.relative_to(path)): (p.is_symlink(), p.read_bytes() if p.is_file() and not p.is_symlink() else None)
            for p in sorted(path.rglob("*"))}


# --- planted links --------------------------------------------------------------------------------------------

def test_a_planted_probe_link_truncates_nothing(sample_db, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / ".taxer-write-test").symlink_to(victim)
    result = _report(sample_db, out, "--format", "csv", code=1)
    assert "not an earlier taxer report" in result.output and ".taxer-write-test" in result.output
    assert victim.read_text() == "precious"
    _report(sample_db, out, "--format", "csv", "--force")
    assert victim.read_text() == "precious" and (out / ".taxer-write-test").is_symlink()


def test_planted_links_at_final_names_are_replaced_not_followed(sample_db, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    _report(sample_db, out, "--format", "csv")
    (out / "summary.json").unlink()
    (out / "summary.json").symlink_to(victim)
    result = _report(sample_db, out, "--format", "csv", code=1)  # a link is nothing taxer wrote
    assert "summary.json" in result.output and victim.read_text() == "precious"
    _report(sample_db, out, "--format", "csv", "--force")
    assert not (out / "summary.json").is_symlink() and victim.read_text() == "precious"
    assert json.loads((out / "summary.json").read_text())["year"] == 2024


def test_planted_links_at_temporary_names_are_skipped(tmp_path, monkeypatch):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    names = iter(["aaaaaaaaaaaa", "bbbbbbbbbbbb"])
    monkeypatch.setattr(files.secrets, "token_hex", lambda n: next(names))
    (tmp_path / ".prices.csv.aaaaaaaaaaaa.tmp").symlink_to(victim)
    files.write_bytes_atomic(tmp_path / "prices.csv", b"a,b\n")
    assert victim.read_text() == "precious" and (tmp_path / "prices.csv").read_bytes() == b"a,b\n"
    assert not (tmp_path / ".prices.csv.bbbbbbbbbbbb.tmp").exists()


def test_a_planted_link_at_the_staging_folder_name_is_skipped(sample_db, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    names = iter(["cccccccccccc", "dddddddddddd"])
    monkeypatch.setattr(folder.secrets, "token_hex", lambda n: next(names))
    (tmp_path / f".out.taxer-new-{os.getpid()}-cccccccccccc").symlink_to(elsewhere)
    api.report(api.workspace(sample_db), year=2024, out=tmp_path / "out", formats=("csv",))
    assert list(elsewhere.iterdir()) == []
    _whole(tmp_path / "out")


def test_prices_export_replaces_a_link_instead_of_writing_through_it(sample_db, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / "prices.csv").symlink_to(victim)
    result = CliRunner().invoke(main, ["--db", sample_db, "prices", "export", "--out", str(tmp_path / "prices.csv")])
    assert result.exit_code == 0, result.output
    assert victim.read_text() == "precious" and not (tmp_path / "prices.csv").is_symlink()


def test_an_out_folder_that_is_a_link_is_refused(sample_db, tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    result = _report(sample_db, tmp_path / "link", "--format", "csv", code=1)
    assert "is a symbolic link" in result.output and str(real) in result.output
    assert list(real.iterdir()) == [] and (tmp_path / "link").is_symlink()


# --- what the folder may hold -----------------------------------------------------------------------------------

def test_a_folder_named_like_a_report_file_is_a_clear_error_and_changes_nothing(sample_db, tmp_path):
    out = tmp_path / "out"
    _report(sample_db, out, "--format", "csv")
    (out / "income.csv").unlink()
    (out / "summary.json").unlink()
    (out / "summary.json").mkdir()
    before, siblings = _snapshot(out), sorted(p.name for p in tmp_path.iterdir())
    for extra in ((), ("--force",)):
        result = _report(sample_db, out, "--format", "csv", *extra, code=1)
        assert "summary.json" in result.output and "nothing was changed" in result.output
        assert _snapshot(out) == before and sorted(p.name for p in tmp_path.iterdir()) == siblings


def test_foreign_files_are_refused_unless_forced_and_then_kept(sample_db, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    result = _report(sample_db, out, "--format", "csv", code=1)
    assert "notes.txt" in result.output and "--force" in result.output
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    _report(sample_db, out, "--format", "csv", "--force")
    manifest = json.loads((out / "manifest.json").read_text())
    assert {p.name for p in out.iterdir()} == {*manifest["files"], "manifest.json", "notes.txt"}
    _report(sample_db, out, "--format", "csv", "--force", "--method", "hifo", "--zip")
    assert (out / "notes.txt").read_text() == "mine" and (out / "package.zip").exists()
    names = zipfile.ZipFile(out / "package.zip").namelist()
    assert "out/notes.txt" not in names and "out/manifest.json" in names


def test_an_earlier_report_is_replaced_and_fewer_formats_leave_fewer_files(sample_db, tmp_path):
    out = tmp_path / "out"
    _report(sample_db, out, "--format", "csv,pdf", "--zip")
    first = _whole(out)
    assert {"report.pdf", "form8949.csv"} <= set(first["files"]) and (out / "package.zip").exists()
    _report(sample_db, out, "--format", "pdf")
    second = _whole(out)
    assert set(second["files"]) == {"summary.json", "summary.txt", "report.pdf"}
    assert not (out / "package.zip").exists()
    _report(sample_db, out, "--format", "csv")
    assert "report.pdf" not in _whole(out)["files"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging folder left beside it


def test_a_crafted_manifest_cannot_make_taxer_remove_files_elsewhere(sample_db, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"files": {"../victim.txt": {}}}))
    _report(sample_db, out, "--format", "csv")
    assert victim.read_text() == "precious"
    _whole(out)


def test_package_zip_is_deterministic_and_holds_the_whole_package(sample_db, tmp_path):
    _report(sample_db, tmp_path / "a" / "pkg", "--format", "csv", "--zip")
    time.sleep(1.1)  # a zip that stored the time would differ now
    _report(sample_db, tmp_path / "b" / "pkg", "--format", "csv", "--zip")
    data = (tmp_path / "a" / "pkg" / "package.zip").read_bytes()
    assert data == (tmp_path / "b" / "pkg" / "package.zip").read_bytes()
    manifest = _whole(tmp_path / "a" / "pkg")
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.namelist() == sorted(f"pkg/{n}" for n in [*manifest["files"], "manifest.json"])
    for info in archive.infolist():
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert archive.read(info) == (tmp_path / "a" / info.filename).read_bytes()


def test_a_file_at_out_is_a_clear_error(sample_db, tmp_path):
    (tmp_path / "out").write_text("x")
    result = _report(sample_db, tmp_path / "out", "--format", "csv", code=2)  # click's check
    assert "is a file" in result.output
    with pytest.raises(api.TaxerError, match="is a file, not a folder"):
        folder.prepare(tmp_path / "out", ["summary.json"])
    assert (tmp_path / "out").read_text() == "x" and (tmp_path / "out").read_text() == "x"


def test_in_place_when_out_is_the_current_folder(sample_db, tmp_path, monkeypatch):
    out = tmp_path / "here"
    out.mkdir()
    monkeypatch.chdir(out)
    _report(sample_db, ".", "--format", "csv")
    _report(sample_db, ".", "--format", "pdf")
    assert set(_whole(out)["files"]) == {"summary.json", "summary.txt", "report.pdf"}


def test_the_fallback_swap_without_renameat2(sample_db, tmp_path, monkeypatch):
    monkeypatch.setattr(folder, "_renameat2", lambda *a: False)
    out = tmp_path / "out"
    _report(sample_db, out, "--format", "csv")
    _report(sample_db, out, "--format", "csv", "--method", "hifo")
    assert _whole(out)["parameters"]["method"] == "hifo"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# --- killed reports ---------------------------------------------------------------------------------------------

def _spawn(db: str, out: Path, *options: str, piped: bool = False, **env: str) -> subprocess.Popen:
    """`taxer report --year 2024 --out OUT OPTIONS` (CSV and PDF) in a new process, `env` added to its
    environment; its output discarded, or `piped` (text) for the test to read."""
    stream = subprocess.PIPE if piped else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-m", "taxer.cli", "--db", db, "report", "--year", "2024", "--out",
                             str(out), "--format", "csv,pdf", *options],
                            env={**os.environ, "PYTHONPATH": str(ROOT), **env}, stdout=stream, stderr=stream, text=True)


# Where a kill matters is while the package is written: each of these is the moment a kill lands, seen in the
# staging folder beside --out (taxer.reports.folder), so every run is killed mid-write, not while Python starts.
KILL_WHEN = {
    "the staging folder is made": lambda names: True,
    "some CSV files are written": lambda names: sum(n.endswith(".csv") for n in names) >= 5,
    "the PDF is being written": lambda names: any(n.startswith(".report.pdf") for n in names),
    "the manifest is written, the swap is next": lambda names: "manifest.json" in names,
}


def _staged(parent: Path, pid: int) -> tuple[float, list[str]] | None:
    """The files in process `pid`'s staging folder beside `parent / 'out'`, when it has one (a killed run's stays
    until the next report removes it)."""
    for entry in parent.glob(f".out.taxer-new-{pid}-*"):
        try:
            return time.monotonic(), os.listdir(entry)
        except FileNotFoundError:  # swapped in (or removed) meanwhile
            continue
    return None


def _kill_when(proc: subprocess.Popen, parent: Path, ready) -> bool:
    """SIGKILL `proc` at the moment `ready` says; whether it was still running then."""
    while proc.poll() is None:
        staged = _staged(parent, proc.pid)
        if staged is not None and ready(staged[1]):
            proc.send_signal(signal.SIGKILL)
            return proc.wait(timeout=60) == -signal.SIGKILL
        time.sleep(0.002)
    return False


def test_a_killed_report_leaves_the_old_package_or_the_new_one(sample_db, tmp_path):
    out = tmp_path / "out"
    # the old package; how long its writing takes, for the random kills
    proc = _spawn(sample_db, out, "--method", "fifo")
    first_staged = None
    while proc.poll() is None:
        first_staged = first_staged or _staged(tmp_path, proc.pid)
        time.sleep(0.002)
    assert proc.wait(timeout=300) == 0 and first_staged is not None
    writing = time.monotonic() - first_staged[0]
    rng = random.Random(int(os.environ.get("TAXER_KILL_SEED", "21")))
    moments = [*KILL_WHEN.values(), *(_after(rng.uniform(0.0, 1.0) * writing) for _ in range(2))]
    methods, kills = {"fifo"}, 0
    for attempt, ready in enumerate(moments):
        method = ("hifo", "lifo")[attempt % 2]
        kills += _kill_when(_spawn(sample_db, out, "--method", method), tmp_path, ready)
        manifest = _whole(out)  # one whole package, every file matching its hash
        assert manifest["parameters"]["method"] in methods | {method}
        methods.add(manifest["parameters"]["method"])
        assert json.loads((out / "summary.json").read_text())["method"] == manifest["parameters"]["method"]
    assert kills >= 4, "the reports finished before they could be killed: the test did not test killing"
    final = _spawn(sample_db, out, "--method", "fifo", piped=True)
    _, err = final.communicate(timeout=300)
    assert final.returncode == 0, err  # the next report after the kills succeeds
    assert _whole(out)["parameters"]["method"] == "fifo"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # killed runs' staging folders removed


def _after(seconds: float):
    """A kill moment `seconds` after the staging folder appeared (somewhere while the package is written)."""
    seen: list[float] = []

    def ready(names: list[str]) -> bool:
        if not seen:
            seen.append(time.monotonic())
        return time.monotonic() - seen[0] >= seconds
    return ready


# A big report's PDF is made by a forked child while the CSV files are written (taxer.reports.pdf.start);
# TAXER_PDF_CHILD_FROM=0 makes the sample year's PDF that way too.

def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def _gone(pid: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return True
    return fields[0] == "Z"


def test_a_pdf_made_in_a_child_process_is_the_same_package(sample_db, tmp_path):
    _report(sample_db, tmp_path / "here")  # in this process: fork_call declines beside xdist's thread, and the
    # sample year is below CHILD_FROM anyway
    proc = _spawn(sample_db, tmp_path / "child", piped=True, TAXER_PDF_CHILD_FROM="0")
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    # every file, report.pdf included, to the byte (SHA-256)
    assert _whole(tmp_path / "child")["files"] == _whole(tmp_path / "here")["files"]


def test_the_pdf_child_killed_fails_the_report_clearly_and_keeps_the_old_package(sample_db, tmp_path):
    out = tmp_path / "out"
    _report(sample_db, out)
    before = _snapshot(out)
    proc = _spawn(sample_db, out, piped=True, TAXER_PDF_CHILD_FROM="0")
    killed = None
    while proc.poll() is None and killed is None:
        for child in _children(proc.pid):
            os.kill(child, signal.SIGKILL)
            killed = child
        time.sleep(0.002)
    _, err = proc.communicate(timeout=300)
    assert killed is not None, "the report ended before its PDF child was seen"
    assert proc.returncode == 1 and "Traceback" not in err, err
    assert f"the process making report.pdf (pid {killed}) ended without it (killed by signal 9" in err
    assert _snapshot(out) == before and sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_killed_report_takes_its_pdf_child_with_it(sample_db, tmp_path):
    out = tmp_path / "out"
    _report(sample_db, out)
    before = _snapshot(out)
    proc = _spawn(sample_db, out, piped=True, TAXER_PDF_CHILD_FROM="0")
    children: list[int] = []
    while proc.poll() is None and not children:
        children = _children(proc.pid)
        time.sleep(0.002)
    assert children, "the report ended before its PDF child was seen"
    proc.kill()
    proc.communicate(timeout=60)
    deadline = time.monotonic() + 30  # a timeout, not a speed check: the kernel kills the child at once
    while not all(_gone(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert all(_gone(pid) for pid in children)
    assert _snapshot(out) == before  # the old package, whole


def test_the_pdf_child_leaves_the_ledger_connection_whole(db_url, tmp_path):
    # On PostgreSQL the parent's pooled connection is a socket the forked child inherits: the child must neither
    # use nor close it. After a report whose PDF a child made, the same engine still reads the ledger and a second
    # report gives the same package. (A fresh interpreter: fork_call declines to fork beside xdist's thread.)
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from taxer import api\n"
        "from taxer.demo import SAMPLE_ACCOUNTS\n"
        "from tests.conftest import SAMPLE\n"
        "url, out = sys.argv[1], Path(sys.argv[2])\n"
        "engine = api.workspace(url)\n"
        "for name, account in SAMPLE_ACCOUNTS.items():\n"
        "    api.import_csv_file(engine, SAMPLE / name, account)\n"
        "api.report(engine, year=2024, out=out / 'a')\n"
        "count = len(list(api.transactions(engine)))\n"
        "api.report(engine, year=2024, out=out / 'b')\n"
        "files = [json.loads((out / n / 'manifest.json').read_text())['files'] for n in 'ab']\n"
        "print(count, files[0] == files[1], 'report.pdf' in files[0])\n")
    done = subprocess.run([sys.executable, "-c", code, db_url, str(tmp_path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "TAXER_PDF_CHILD_FROM": "0"})
    assert done.returncode == 0, done.stderr
    count, same, pdf = done.stdout.split()
    assert int(count) > 0 and same == "True" and pdf == "True"
