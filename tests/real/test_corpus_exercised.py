"""Every documented answer in tests/real/api and every export in tests/real/exports is read by some test (issue #13:
"every file and answer in tests/real/ is exercised by a test that checks the result"), so the corpus stays exercised.

A file counts as read when a test's source names it (`exchange/name`, or the quoted name beside its exchange) or
globs it (`.glob("*/*.csv")` in a test that names the corpus folder). Its companion (`.meta.json` for an answer,
`.expected.json` for an export) must be there too; the folders' README/SOURCES/PERMISSIONS notes are not data.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

REAL = Path(__file__).parent
TESTS = REAL.parent
FOLDERS = {"api": ".meta.json", "exports": ".expected.json"}     # corpus folder -> each file's companion
GLOB = re.compile(r"\.r?glob\(\s*[\"']([^\"']+)[\"']")


def _stem(path: Path) -> str:
    return path.name[: -len(".json")] if path.name.endswith(".json") else path.stem


def corpus_files(folder: Path, companion: str) -> list[Path]:
    """The data files of one corpus folder: not its notes (*.md), not the companions."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix != ".md" and "__pycache__" not in p.parts
                  and not p.name.endswith(companion))


def referenced(path: Path, folder: Path, texts: dict[Path, str]) -> list[Path]:
    """The test sources that name or glob `path` (a file of the corpus `folder`)."""
    rel = PurePosixPath(path.relative_to(folder).as_posix())
    name = _stem(path)
    parent = rel.parent.as_posix()
    by_name = re.compile(rf"{re.escape(parent)}/{re.escape(name)}(?![\w-])|[\"']{re.escape(name)}[\"']")
    hits = []
    for source, text in texts.items():
        named = any(m.group(0)[0] not in "\"'" or f'"{parent}"' in text for m in by_name.finditer(text))
        globbed = f'"{folder.name}"' in text and any(rel.match(p) for p in GLOB.findall(text))
        if named or globbed:
            hits.append(source)
    return hits


def _test_sources() -> dict[Path, str]:
    me = Path(__file__).resolve()
    return {p: p.read_text(encoding="utf-8") for p in TESTS.rglob("*.py") if p.resolve() != me}


def test_every_corpus_file_is_read_by_a_test():
    texts = _test_sources()
    unread = [str(p.relative_to(REAL)) for name, companion in FOLDERS.items()
              for p in corpus_files(REAL / name, companion) if not referenced(p, REAL / name, texts)]
    assert unread == [], f"no test reads these corpus files: {unread}"


def test_every_corpus_file_has_its_companion():
    missing = [str(p.relative_to(REAL)) for name, companion in FOLDERS.items()
               for p in corpus_files(REAL / name, companion)
               if not p.with_name(_stem(p) + companion).is_file()]
    assert missing == []


def test_the_check_finds_a_file_no_test_reads(tmp_path):
    folder = tmp_path / "api"
    (folder / "kraken").mkdir(parents=True)
    for name in ("ledgers", "ledgers--old", "query-ledgers"):
        (folder / "kraken" / f"{name}.json").write_text("{}")
    texts = {Path("t.py"): 'answer("kraken/ledgers--old")\nreal("kraken", "query-ledgers")'}
    read = {p.name for p in corpus_files(folder, ".meta.json") if referenced(p, folder, texts)}
    assert read == {"ledgers--old.json", "query-ledgers.json"}      # "ledgers" is only a part of other names
    assert referenced(folder / "kraken" / "ledgers.json", folder, {Path("g.py"): 'X = "api"\nX.glob("*/*.json")'})
    assert corpus_files(REAL / "api", ".meta.json") and corpus_files(REAL / "exports", ".expected.json")
