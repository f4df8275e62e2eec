"""Fuzzing every registered CSV format: mutated cells and mutated bytes of valid sample files.

Each mutated file is imported through `taxer.api.import_csv` into a fresh SQLite ledger. The only outcomes allowed:
- refused: an InputError naming the file and a line, and the ledger unchanged (no transaction, no raw record);
- imported as meant: every transaction of a row the mutation did not touch is the one the original file gives, and
  a number changed in a cell appears in the ledger as the changed text means (where the original number stood),
  or the text that means no number is in a column the format does not read.
Anything else (a traceback, a partial write, a silent misread) fails. The examples are few and, under the `ci`
profile (HYPOTHESIS_PROFILE=ci, set by .ci/run), derandomized.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taxer import api
from taxer.importers import formats
from taxer.importers.csvfile import open_csv
from taxer.store import ledger

ROOT = Path(__file__).parents[1]
CORPUS = ROOT / "real" / "exports"
DATA = ROOT / "importers" / "data"
# TAXER_FUZZ_EXAMPLES raises the bound for a longer hunt; the default keeps the two tests well under a minute.
FUZZ = settings(max_examples=int(os.environ.get("TAXER_FUZZ_EXAMPLES", "60")), deadline=None,
                suppress_health_check=list(HealthCheck))


def _blank_refused(path: Path) -> bytes:
    """A corpus file with the rows its expectation refuses emptied, so the rest imports."""
    data = path.read_bytes()
    expected = path.with_name(path.stem + ".expected.json")
    if not expected.exists():
        return data
    refused = {n for e in json.loads(expected.read_text())["rows"] if "refuse" in e
               for n in (e["line"] if isinstance(e["line"], list) else [e["line"]])}
    parts = data.split(b"\n")
    for n in refused:
        parts[n - 1] = b""
    return b"\n".join(parts)


SAMPLES = sorted([*CORPUS.glob("*/*.csv"), *DATA.glob("*/*.csv")])


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A migrated, empty ledger file to copy for each example (migrating costs more than importing)."""
    path = tmp_path_factory.mktemp("template") / "ledger.db"
    api.workspace(f"sqlite:///{path}").dispose()
    return path


def _import(folder: Path, template: Path, name: str, data: bytes):
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    target.write_bytes(data)
    db = folder / "ledger.db"
    shutil.copy(template, db)
    engine = api.workspace(f"sqlite:///{db}")
    try:
        (result,) = api.import_csv(engine, [target], "acct")   # anything but InputError escapes and fails
        txs = list(api.transactions(engine))
        with engine.connect() as conn:
            origins = ledger.raw_records(conn, [t.id for t in txs], payload=False)
            raws = conn.exec_driver_sql("SELECT count(*) FROM raw_records").scalar_one()
    finally:
        engine.dispose()
    by_lines = {}
    for t in txs:
        lines = tuple(int(n) for n in origins[t.id][0].rpartition(":")[2].split(","))
        by_lines[lines] = (t.kind, t.timestamp, t.sent, t.received, t.fee, t.fair_value, t.fair_value_currency,
                           t.label)
    return result, by_lines, raws


_baselines: dict[str, dict] = {}


def _baseline(tmp_path: Path, template: Path, path: Path) -> dict:
    key = str(path)
    if key not in _baselines:
        result, by_lines, _raws = _import(tmp_path / "baseline", template, path.name, _blank_refused(path))
        assert result.error is None, result.error
        _baselines[key] = by_lines
    return _baselines[key]


def _family(name: str) -> str:
    """Formats that differ only in a currency inside their column names (Coinbase 2019) are one layout."""
    return re.sub(r"_2019_[a-z]{3}$", "_2019", name)


def test_every_registered_format_has_a_fuzz_sample():
    import taxer.importers  # noqa: F401
    covered = set()
    for path in SAMPLES:
        fmt, _header, lines = open_csv(path)
        lines.close()
        covered.add(_family(fmt.name))
    assert {_family(f.name) for f in formats.formats()} <= covered


# A number cell: an optional sign and currency sign, the number, an optional unit glued or spaced after it.
_CELL = re.compile(r"^(?P<pre>\s*[-+]?[$€£¥]?)(?P<num>[0-9][0-9,]*(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)"
                   r"(?P<post>\s*[A-Za-z][A-Za-z0-9]*|\s*)$")
_PLAIN = re.compile(r"^(?:(?:0|[1-9][0-9]{0,2}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]{1,2})?$")


def meaning(num: str) -> Decimal | None:
    """What a number's text unambiguously says, or None: thousands commas only before groups of three and never
    after a leading 0, small exponents only."""
    if not _PLAIN.match(num):
        return None
    try:
        return Decimal(num.replace(",", ""))
    except InvalidOperation:  # pragma: no cover
        return None


def _rows(data: bytes) -> list[tuple[int, list[str]]]:
    text = data.decode("utf-8-sig")
    return [(i + 1, cells) for i, cells in enumerate(csv.reader(io.StringIO(text)))]


def _replace_line(data: bytes, line: int, cells: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    parts = data.split(b"\n")
    bom = b"\xef\xbb\xbf" if line == 1 and parts[0].startswith(b"\xef\xbb\xbf") else b""
    cr = b"\r" if parts[line - 1].endswith(b"\r") else b""
    parts[line - 1] = bom + out.getvalue().encode() + cr
    return b"\n".join(parts)


numbers = st.one_of(
    st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("1e9"), places=8, allow_nan=False).map(str),
    st.integers(min_value=0, max_value=10**12).map(lambda n: f"{n:,}"),
    st.sampled_from(["0", "0,001", "1,0000", "00.5", "1.", ".5", "1e999999999", "1E-400", "1e5", "6.0E-7", "1_000",
                     "١٢", "1\u00a0000", "12,3", "1,234,56", "−5", "NaN", "inf", "1.2.3", "0x10", "", " "]),
)
garbage = st.one_of(st.text(max_size=12), st.sampled_from(["", "-", "UTC", "9999-12-31 23:59:59", "0001-01-01",
                                                           "2024-02-30 10:00:00", "13/13/2024", "buy", "SELL"]))


@FUZZ
@given(st.data())
def test_mutated_cells_are_refused_or_imported_as_they_mean(tmp_path_factory, template, data):
    path = data.draw(st.sampled_from(SAMPLES), label="file")
    original = _blank_refused(path)
    base = _baseline(tmp_path_factory.mktemp("b"), template, path)
    fmt, header, lines = open_csv(path)
    lines.close()
    rows = [(n, cells) for n, cells in _rows(original) if any(c.strip() for c in cells)]
    header_line = next(n for n, cells in rows if set(fmt.required) <= {c.strip() for c in cells})
    body = [(n, cells) for n, cells in rows if n > header_line]
    line, cells = data.draw(st.sampled_from(body), label="row")
    column = data.draw(st.integers(0, len(cells) - 1), label="column")
    old = cells[column]
    shape = _CELL.match(old)
    if shape and data.draw(st.booleans(), label="as a number"):
        new_num = data.draw(numbers, label="number")
        new = shape["pre"] + new_num + shape["post"]
    else:
        new = data.draw(garbage, label="text")
        as_number = _CELL.match(new)   # text that happens to be a number is judged as one
        new_num = as_number["num"] if as_number else None
    mutated = list(cells)
    mutated[column] = new
    result, got, raws = _import(tmp_path_factory.mktemp("m"), template, path.name,
                                _replace_line(original, line, mutated))
    if result.error is not None:
        assert path.name in result.error and re.search(r"line \d+", result.error), result.error
        assert got == {} and raws == 0, "a refused file left rows behind"
        return
    if "\n" in new or "\r" in new:
        return   # a quoted line break moves the rows after it down a line: no line-by-line comparison
    touched = {line} | {n for lines_ in base if line in lines_ for n in lines_}
    for lines_, tx in base.items():
        if not touched & set(lines_):
            assert got.get(lines_) == tx, f"line {lines_} changed by a mutation of line {line}"
    before = next((tx for lines_, tx in base.items() if lines_ == (line,)), None)
    after = got.get((line,))
    if shape is None or before is None or re.search(r"balance|price|^total", header[column], re.I):
        return   # balances, prices and totals are context most formats only check: no field need follow them
    old_value = meaning(shape["num"])
    new_value = meaning(new_num) if new_num is not None else None
    if not (new_num if new_num is not None else new).strip():
        return   # an empty cell: nothing (no fee, a leg that vanishes), or refused where the format needs it
    if new_value is None:
        # text that says no number: only a column the format does not read may hold it
        assert after == before, f"{header[column]}={new!r} (line {line}) was read as something"
        return
    if old_value is None or old_value == 0 or after is None:
        return
    # where the old number stood (a leg, the fee, the stated value), the new one must now stand; other fields
    # may hold the same number by chance (Koinly's Net Worth 1000 beside a Sent Amount 1000)
    stood = [i for i, field in enumerate(before) if getattr(field, "amount", field) == old_value]
    twins = [t for t in re.findall(r"[0-9][0-9,]*(?:\.[0-9]+)?", " ".join(cells)) if meaning(t) == old_value]
    if len(twins) > 1:
        return   # the row says the same number elsewhere (2500 USDC worth $2,500.00; a Convert's Notes)
    if stood and new_value != old_value:
        now = [getattr(after[i], "amount", after[i]) for i in stood]
        assert new_value in now or (new_value == 0 and None in now), (
            f"{header[column]}: {old!r} -> {new!r} gave {now} (line {line})")


@FUZZ
@given(st.data())
def test_mutated_bytes_are_refused_or_imported_cleanly(tmp_path_factory, template, data):
    path = data.draw(st.sampled_from(SAMPLES), label="file")
    original = bytearray(_blank_refused(path))
    base = _baseline(tmp_path_factory.mktemp("b"), template, path)
    touched: set[int] = set()
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        at = data.draw(st.integers(0, len(original) - 1), label="at")
        touched.add(original[:at].count(b"\n") + 1)
        how = data.draw(st.sampled_from(["flip", "delete", "insert"]), label="how")
        byte = data.draw(st.sampled_from([*b',."-\n\r0159eE \xef\xbb\xbf\xff\x00', *range(256)]), label="byte")
        if how == "flip":
            original[at] = byte
        elif how == "delete":
            del original[at]
        else:
            original.insert(at, byte)
    result, got, raws = _import(tmp_path_factory.mktemp("m"), template, path.name, bytes(original))
    if result.error is not None:
        assert path.name in result.error and re.search(r"line \d+", result.error), result.error
        assert got == {} and raws == 0, "a refused file left rows behind"
        return
    if len(bytes(original).splitlines()) != len(_blank_refused(path).splitlines()) or b"\r" in original:
        return   # lines moved: the rows cannot be compared line by line
    touched |= {n for lines_ in base if touched & set(lines_) for n in lines_}
    for lines_, tx in base.items():
        if not touched & set(lines_) and lines_ in got:
            assert got[lines_] == tx, f"line {lines_} changed by mutations of lines {sorted(touched)}"
