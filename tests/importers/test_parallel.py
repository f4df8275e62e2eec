"""The parallel CSV path (worker processes for big files) gives the same rows, ids and errors as the serial one."""

from decimal import Decimal

import pytest

from taxer import api
from taxer.errors import InputError
from taxer.importers import csvfile
from taxer.importers.csvfile import read_rows


def _rows(n: int) -> list[str]:
    # Every fifth row repeats the one before it exactly: identical fills must stay two records.
    out = []
    for i in range(n):
        j = i - 1 if i % 5 == 4 else i
        out.append(f"2024-01-01 {j // 3600 % 24:02d}:{j // 60 % 60:02d}:{j % 60:02d} UTC,{j + 1},USD,0.{j + 1:05d},BTC,"
                   f"0.5,USD,,,,fill {j},")
    return out


def test_workers_give_the_same_rows_in_the_same_order(write_koinly):
    path = write_koinly(_rows(1000))
    _fmt, serial = read_rows(path, "acct", workers=1, batch=64)
    _fmt, parallel = read_rows(path, "acct", workers=2, batch=64)
    serial, parallel = list(serial), list(parallel)
    assert len(serial) == 1000
    assert parallel == serial
    ids = [row[-1] for row, _origin, _payload in serial]
    assert len(set(ids)) == 1000            # repeated rows numbered apart
    assert ids[4].endswith("-2") and ids[4][:-2] == ids[3][:-2]
    assert serial[0][1] == "koinly.csv:2" and serial[-1][1] == "koinly.csv:1001"


def test_a_bad_row_in_a_late_batch_names_its_line_and_writes_nothing(write_koinly, tmp_path, monkeypatch):
    rows = _rows(700)
    rows[650] = rows[650].replace(",0.5,USD,", ",0.5x,USD,")
    path = write_koinly(rows)
    with pytest.raises(InputError) as err:
        list(read_rows(path, "acct", workers=2, batch=50)[1])
    assert err.value.line == 652 and err.value.column == "Fee Amount"
    monkeypatch.setattr(csvfile, "PARALLEL_BYTES", 0)  # the import below takes the parallel path
    engine = api.workspace(str(tmp_path / "w.db"))
    with pytest.raises(InputError, match="line 652"):
        api.import_csv_file(engine, path, "acct")
    assert list(api.transactions(engine)) == []


def test_parallel_import_matches_serial_import(write_koinly, tmp_path, monkeypatch):
    path = write_koinly(_rows(500))
    serial = api.workspace(str(tmp_path / "serial.db"))
    assert api.import_csv_file(serial, path, "acct").inserted == 500
    monkeypatch.setattr(csvfile, "PARALLEL_BYTES", 0)
    parallel = api.workspace(str(tmp_path / "parallel.db"))
    assert api.import_csv_file(parallel, path, "acct").inserted == 500
    assert api.import_csv_file(parallel, path, "acct").inserted == 0  # idempotent on the parallel path too

    def key(t):
        return t.timestamp, t.external_id, t.sent, t.received, t.fee, t.description
    assert [key(t) for t in api.transactions(parallel)] == [key(t) for t in api.transactions(serial)]
    first = next(api.transactions(parallel))
    assert first.sent.amount == Decimal("1") and first.received.amount == Decimal("0.00001")


def test_a_quoted_field_across_lines_is_read_like_the_serial_path(write_koinly):
    rows = _rows(300)
    rows[200] = rows[200].replace("fill 200", '"fill 200, first line\nsecond line"')
    path = write_koinly(rows)
    _fmt, serial = read_rows(path, "acct", workers=1, batch=16)
    _fmt, parallel = read_rows(path, "acct", workers=2, batch=16)
    serial, parallel = list(serial), list(parallel)
    assert parallel == serial and len(serial) == 300
    assert serial[200][0][11] == "fill 200, first line\nsecond line"
    assert serial[201][1] == "koinly.csv:204"      # the record after the two-line one starts on line 204


def test_bad_bytes_in_a_late_piece_name_their_line(write_koinly):
    path = write_koinly(_rows(400))
    data = path.read_bytes().replace(b"fill 350,", b"fill \xff350,")
    path.write_bytes(data)
    with pytest.raises(InputError) as err:
        list(read_rows(path, "acct", workers=2, batch=16)[1])
    assert err.value.line == 352 and "UTF-8" in str(err.value)


@pytest.mark.parametrize("name", ["binance/statement-quoted-privatefolio.csv", "kraken/ledgers.csv"])
def test_records_spread_over_rows_combine_the_same_across_workers(name):
    """A trade whose rows fall into two worker batches is combined in the main process, in file order."""
    path = csvfile.Path(__file__).parents[1] / "real" / "exports" / name
    skipped_serial, skipped_parallel = [], []
    serial = list(read_rows(path, "acct", workers=1, batch=2, skipped=skipped_serial)[1])
    parallel = list(read_rows(path, "acct", workers=2, batch=2, skipped=skipped_parallel)[1])
    assert parallel == serial and skipped_parallel == skipped_serial
    assert any("," in origin for _row, origin, _payload in serial)   # some records span rows
