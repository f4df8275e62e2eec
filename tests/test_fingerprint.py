"""The ledger fingerprint hashed in a second process equals the one hashed in the report's own process."""

import json

import pytest

from taxer import api, fingerprint
from taxer.store import ledger
from taxer.year import load


def _rows(n: int) -> list[str]:
    return [f"2024-01-01 {i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d} UTC,{i + 1},USD,0.{i + 1:04d},BTC,,,,,,b{i},"
            for i in range(n)]


def _manifest(folder):
    return json.loads((folder / "manifest.json").read_text())["ledger"]


def test_background_fingerprint_matches_inline(write_koinly, tmp_path, monkeypatch):
    engine = api.workspace(str(tmp_path / "w.db"))
    api.import_csv_file(engine, write_koinly(_rows(300)), "acct")
    inline = _manifest(api.report(engine, year=2024, out=tmp_path / "inline", formats=("csv",)).folder)
    monkeypatch.setattr(fingerprint, "BACKGROUND_FROM", 0)
    job = fingerprint.start(engine, ledger.now())
    assert job != ()                                         # the second process is used from here on
    job[1].shutdown()
    background = _manifest(api.report(engine, year=2024, out=tmp_path / "background", formats=("csv",)).folder)
    assert background == inline and inline["transactions"] == 300


def test_rows_that_differ_from_the_second_process_are_hashed_again(write_koinly, tmp_path, monkeypatch):
    # The second process read the ledger before one more row arrived: its hash is not used.
    engine = api.workspace(str(tmp_path / "w.db"))
    api.import_csv_file(engine, write_koinly(_rows(10), "a.csv"), "acct")
    monkeypatch.setattr(fingerprint, "BACKGROUND_FROM", 0)
    job = fingerprint.start(engine, ledger.now())
    job[0].result()
    api.import_csv_file(engine, write_koinly(_rows(11), "b.csv"), "acct")
    with engine.connect() as conn:
        txs = list(ledger.query_transactions(conn))
    assert fingerprint.ReportFingerprint(txs, *job).transactions == 11
    assert fingerprint.ReportFingerprint(txs, *job).sha256 == fingerprint.ReportFingerprint(txs).sha256


def test_a_released_tax_year_keeps_its_fingerprint_and_the_rows_audit_names(write_koinly, tmp_path):
    # A report frees the ledger's rows as soon as the engine is done with them (taxer.api.report): the
    # fingerprint is worked out first, from those rows; the rows audit.csv names are kept; the view is the same;
    # and the year refuses to compute from an empty ledger afterwards.
    engine = api.workspace(str(tmp_path / "w.db"))
    sells = ["2024-02-01 00:00:00 UTC,0.0005,BTC,30,USD,,,,,,s0,", "2024-02-02 00:00:00 UTC,0.0007,BTC,20,USD,,,,,,s1,"]
    api.import_csv_file(engine, write_koinly([*_rows(20), *sells]), "acct")
    whole = load(engine, 2024)
    view = whole.view()
    refs = whole.audit_refs(engine, view)
    tax_year = load(engine, 2024)
    assert tax_year.view(release=True) == view
    assert tax_year.transactions == [] and refs and tax_year.audit_refs(engine, view) == refs
    assert (tax_year.fingerprint.transactions, tax_year.fingerprint.sha256) == \
        (22, whole.fingerprint.sha256)
    with pytest.raises(RuntimeError, match="released"):
        tax_year.view()
