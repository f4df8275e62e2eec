"""Corrections: each kind changes the year's numbers exactly as a hand calculation says; they survive
re-imports; a bad batch line records nothing; the audit trail lists them. SQLite and PostgreSQL.

The ledger (universal pool in 2024, FIFO), by hand:
  cb      2024-01-10 buy 1 ETH for 2000 USD                      lot A: 1 ETH, 2000.00 (2000/ETH)
  wallet  2024-01-20 deposit 0.3 ETH, no origin (worth 750)       lot U: 0.3 ETH, basis unknown (0, flagged)
  cb      2024-02-01 withdrawal 0.4 ETH, no destination (worth 1000): 0.4 of A leave the books
  cb      2024-03-01 sell 0.5 ETH for 1500: A 0.5 -> basis 1000, gain 500
  wallet  2024-04-01 sell 0.3 ETH for 900: A 0.1 (basis 200, proceeds 300) + U 0.2 (basis 0, proceeds 600)
  totals: proceeds 2400, cost basis 1200, gain 1200 (all short-term), 2 warnings.
"""

from __future__ import annotations

import csv
import json

import pytest
from sqlalchemy import text

from taxer import api
from taxer.errors import ConfigError, InputError

CB = ["2024-01-10 10:00:00 UTC,2000,USD,1,ETH,,,,,,buy,",
      "2024-02-01 10:00:00 UTC,0.4,ETH,,,,,1000,USD,,send,",
      "2024-03-01 10:00:00 UTC,0.5,ETH,1500,USD,,,,,,sell,"]
WALLET = ["2024-01-20 10:00:00 UTC,,,0.3,ETH,,,750,USD,,from old wallet,",
          "2024-04-01 10:00:00 UTC,0.3,ETH,900,USD,,,,,,sell,"]


@pytest.fixture
def ws(db_url, write_koinly):
    engine = api.workspace(db_url)
    api.import_csv_file(engine, write_koinly(CB, "cb.csv"), "cb")
    api.import_csv_file(engine, write_koinly(WALLET, "wallet.csv"), "wallet")
    return engine


def ids(engine) -> dict[str, int]:
    """Ledger ids by a short name: buy, send, sell, deposit, wallet_sell."""
    names = {("cb", "buy"): "buy", ("cb", "send"): "send", ("cb", "sell"): "sell",
             ("wallet", "from old wallet"): "deposit", ("wallet", "sell"): "wallet_sell"}
    return {names[(t.account, t.description)]: t.id for t in api.transactions(engine)
            if (t.account, t.description) in names}


def totals(engine, tmp_path, year=2024) -> dict:
    out = tmp_path / f"r{year}"
    package = api.report(engine, year=year, out=out, formats=("csv",))
    s = package.summary
    return {k: s[k] for k in ("proceeds", "cost_basis", "short_term_gain", "long_term_gain", "total_gain", "income",
                              "warnings")}


def codes(tmp_path, year=2024) -> list[str]:
    with open(tmp_path / f"r{year}" / "warnings.csv", newline="") as handle:
        return sorted(row["code"] for row in csv.DictReader(handle))


BASELINE = {"proceeds": "2400.00", "cost_basis": "1200.00", "short_term_gain": "1200.00",
            "long_term_gain": "0.00", "total_gain": "1200.00", "income": "0.00", "warnings": 2}


def test_baseline_matches_the_hand_calculation(ws, tmp_path):
    assert totals(ws, tmp_path) == BASELINE
    assert codes(tmp_path) == ["unknown_origin", "unmatched_withdrawal"]


def test_relabel_withdrawal_as_spend_is_a_disposal_at_its_fair_value(ws, tmp_path):
    # spend 0.4 ETH at 1000: A 0.4 basis 800, gain 200; then sell 0.5 (A, 1000 -> 500); 0.3 (A 0.1 + U 0.2 -> 700)
    api.correct(ws, "relabel", ids(ws)["send"], value="spend", note="paid the builder", by="alice")
    assert totals(ws, tmp_path) == {**BASELINE, "proceeds": "3400.00", "cost_basis": "2000.00",
                                    "short_term_gain": "1400.00", "total_gain": "1400.00", "warnings": 1}
    assert codes(tmp_path) == ["unknown_origin"]


def test_relabel_gift_and_own_wallet_transfer_leave_the_gains_and_clear_the_warning(ws, tmp_path):
    c = api.correct(ws, "relabel", ids(ws)["send"], value="gift", note="birthday present for Bob", by="alice")
    assert totals(ws, tmp_path) == {**BASELINE, "warnings": 1}
    with open(tmp_path / "r2024" / "other_disposals.csv", newline="") as handle:
        gift = [(r["category"], r["amount"], r["cost_basis"]) for r in csv.DictReader(handle)]
    assert gift == [("gift", "0.4", "800.00")]
    api.revoke_correction(ws, c.id, note="it was my own cold wallet", by="alice")
    api.correct(ws, "relabel", ids(ws)["send"], value="transfer", note="my cold wallet", by="alice")
    assert totals(ws, tmp_path) == {**BASELINE, "warnings": 1}
    assert codes(tmp_path) == ["unknown_origin"]
    assert [(x.kind, x.revoked_by) for x in api.corrections(ws)] == [("relabel", "alice"), ("relabel", None)]


def test_relabel_deposit_as_staking_income(ws, tmp_path):
    # income 750 and lot U basis 750 (2500/ETH): last sale A 0.1 (200) + U 0.2 (500): gain 200
    api.correct(ws, "relabel", ids(ws)["deposit"], value="staking", note="validator payout", by="alice")
    assert totals(ws, tmp_path) == {**BASELINE, "cost_basis": "1700.00", "short_term_gain": "700.00",
                                    "total_gain": "700.00", "income": "750.00", "warnings": 1}


def test_relabel_ignore_drops_a_record(ws, tmp_path):
    # without the 0.5 sale: 0.3 sold from A (basis 600) for 900
    api.correct(ws, "relabel", ids(ws)["sell"], value="ignore", note="duplicate of the exchange's own export")
    assert totals(ws, tmp_path) == {**BASELINE, "proceeds": "900.00", "cost_basis": "600.00",
                                    "short_term_gain": "300.00", "total_gain": "300.00"}


def test_supplied_basis_and_date_make_an_ordinary_older_lot(ws, tmp_path):
    # U becomes 0.3 ETH for 600 acquired 2023-01-05, the oldest lot: the unexplained withdrawal takes U 0.3 + A 0.1;
    # sell 0.5 from A (1000, gain 500); sell 0.3 from A (600, gain 300)
    api.correct(ws, "basis", ids(ws)["deposit"], value="600", acquired="2023-01-05", note="bought on Kraken 2023",
                by="alice")
    assert totals(ws, tmp_path) == {**BASELINE, "cost_basis": "1600.00", "short_term_gain": "800.00",
                                    "total_gain": "800.00", "warnings": 1}
    assert codes(tmp_path) == ["unmatched_withdrawal"]


def test_match_refuses_a_deposit_that_came_before_the_withdrawal(ws):
    # The fixture's 0.3 ETH deposit (20 January) came before the 0.4 ETH withdrawal (1 February): no transfer.
    i = ids(ws)
    with pytest.raises(ConfigError, match="arrived before withdrawal .* coins cannot arrive before they are sent"):
        api.correct(ws, "match", i["send"], i["deposit"], note="sent to my wallet", by="alice")
    assert api.corrections(ws) == []


LATE = ["2024-02-05 10:00:00 UTC,,,0.39,ETH,,,975,USD,,arrived,",   # 4 days after the send: no automatic match
        "2024-04-01 10:00:00 UTC,0.39,ETH,1170,USD,,,,,,sell,"]


def test_match_makes_a_transfer_and_its_difference_a_network_fee(db_url, write_koinly, tmp_path):
    # cb buys 1 ETH for 2000 (lot A, 2000/ETH) and sends 0.4 (worth 1000) on 1 Feb; 0.39 arrive on 5 Feb.
    # Matched: 0.01 ETH is the network fee, a disposal at 1000 x 0.01 / 0.4 = 25.00 of basis 2000 x 0.01 = 20.00,
    # listed apart. The 0.39 keep A's basis (780.00) and are sold for 1170: proceeds 1170, basis 780, gain 390.
    engine = api.workspace(db_url)
    api.import_csv_file(engine, write_koinly(CB[:2], "cb.csv"), "cb")
    api.import_csv_file(engine, write_koinly(LATE, "late.csv"), "late")
    by = {t.description: t.id for t in api.transactions(engine)}
    api.correct(engine, "match", by["send"], by["arrived"], note="sent to my wallet", by="alice")
    assert totals(engine, tmp_path) == {"proceeds": "1170.00", "cost_basis": "780.00", "short_term_gain": "390.00",
                                        "long_term_gain": "0.00", "total_gain": "390.00", "income": "0.00",
                                        "warnings": 0}
    with open(tmp_path / "r2024" / "other_disposals.csv", newline="") as handle:
        fee = [(r["category"], r["amount"], r["proceeds"], r["cost_basis"]) for r in csv.DictReader(handle)]
    assert fee == [("transfer_fee", "0.01", "25.00", "20.00")]


def test_match_refuses_a_gap_far_beyond_a_network_fee(db_url, write_koinly):
    # 0.4 sent, 0.3 arrived four days later: 0.1 ETH (25 %) cannot be a network fee (5 % allowed besides the
    # withdrawal's own fee, here none).
    engine = api.workspace(db_url)
    api.import_csv_file(engine, write_koinly(CB[:2], "cb.csv"), "cb")
    api.import_csv_file(engine, write_koinly([LATE[0].replace(",0.39,", ",0.3,")], "late.csv"), "late")
    by = {t.description: t.id for t in api.transactions(engine)}
    with pytest.raises(ConfigError, match=r"the 0.1 missing is more than a network fee .* split the withdrawal"):
        api.correct(engine, "match", by["send"], by["arrived"], note="sent to my wallet", by="alice")


def test_fair_value_of_an_event(ws, tmp_path):
    # spend at 1100 instead of its stated 1000: gain 300 on it
    i = ids(ws)
    api.correct(ws, "relabel", i["send"], value="spend", note="paid the builder")
    api.correct(ws, "value", i["send"], value="1100", note="invoice says 1100 USD")
    assert totals(ws, tmp_path) == {**BASELINE, "proceeds": "3500.00", "cost_basis": "2000.00",
                                    "short_term_gain": "1500.00", "total_gain": "1500.00", "warnings": 1}


def test_split_one_withdrawal_into_a_payment_and_a_gift(ws, tmp_path):
    # 0.1 spent (worth 250: A 0.1, basis 200, gain 50) + 0.3 given (A, basis 600, apart); A keeps 0.6:
    # sell 0.5 (1000, gain 500); sell 0.3: A 0.1 (200) + U 0.2 (0): gain 700
    api.correct(ws, "split", ids(ws)["send"], value="0.1:spend 0.3:gift", note="coffee shop and a gift")
    assert totals(ws, tmp_path) == {**BASELINE, "proceeds": "2650.00", "cost_basis": "1400.00",
                                    "short_term_gain": "1250.00", "total_gain": "1250.00", "warnings": 1}
    with pytest.raises(ConfigError, match="add up to 0.5 ETH but transaction .* moves 0.4 ETH"):
        api.correct(ws, "split", ids(ws)["send"], value="0.2 0.3", note="wrong")


def test_merge_drops_a_duplicate_from_another_source(ws, tmp_path, write_koinly):
    api.import_csv_file(ws, write_koinly(["2024-03-01 10:00:00 UTC,0.5,ETH,1500,USD,,,,,,sell (api),"],
                                         "copy.csv"), "cb-api")
    dup = next(t.id for t in api.transactions(ws, account="cb-api"))
    assert totals(ws, tmp_path)["total_gain"] != BASELINE["total_gain"]  # the copy sells 0.5 ETH more
    api.correct(ws, "merge", ids(ws)["sell"], dup, note="same fill exported twice")
    assert totals(ws, tmp_path) == BASELINE


def test_unmatch_and_match_in_per_account_pools(db_url, write_koinly, tmp_path):
    # 2025 (per-account pools): cb buys 1 ETH for 2000 and sends 0.2 to the wallet (same hash: matched); the
    # wallet sells 0.2 for 600. Matched: basis 400 moves along, gain 200. Unmatched: the wallet's 0.2 has no
    # known basis: gain 600 and two warnings. Revoking the unmatch restores the transfer.
    engine = api.workspace(db_url)
    api.import_csv_file(engine, write_koinly([
        "2025-01-10 10:00:00 UTC,2000,USD,1,ETH,,,,,,buy,",
        "2025-02-10 10:00:00 UTC,0.2,ETH,,,,,500,USD,,send,0xabc"], "cb.csv"), "cb")
    api.import_csv_file(engine, write_koinly([
        "2025-02-10 10:05:00 UTC,,,0.2,ETH,,,500,USD,,receive,0xabc",
        "2025-03-01 10:00:00 UTC,0.2,ETH,600,USD,,,,,,sell,"], "w.csv"), "wallet")
    by = {t.description: t.id for t in api.transactions(engine)}
    assert totals(engine, tmp_path, 2025)["total_gain"] == "200.00"
    c = api.correct(engine, "unmatch", by["send"], by["receive"], note="not mine", by="alice")
    assert totals(engine, tmp_path, 2025) == {"proceeds": "600.00", "cost_basis": "0.00", "short_term_gain": "600.00",
                                              "long_term_gain": "0.00", "total_gain": "600.00", "income": "0.00",
                                              "warnings": 2}
    api.revoke_correction(engine, c.id, note="it was mine after all")
    assert totals(engine, tmp_path, 2025)["total_gain"] == "200.00"


def test_corrections_survive_reimport_even_with_new_row_ids(ws, tmp_path, write_koinly):
    api.correct(ws, "relabel", ids(ws)["send"], value="spend", note="paid the builder")
    api.correct(ws, "basis", ids(ws)["deposit"], value="600", acquired="2023-01-05", note="bought 2023")
    before = totals(ws, tmp_path)
    api.import_csv_file(ws, write_koinly(CB, "cb.csv"), "cb")           # the same file again: nothing new
    assert totals(ws, tmp_path) == before
    old_ids = ids(ws)
    with ws.begin() as conn:  # the ledger rebuilt from the files: every row gets a new id
        for table in ("raw_records", "transactions"):
            conn.execute(text(f"DELETE FROM {table}"))
    api.import_csv_file(ws, write_koinly(WALLET, "wallet.csv"), "wallet")  # other order: other ids
    api.import_csv_file(ws, write_koinly(CB, "cb.csv"), "cb")
    new_ids = ids(ws)
    assert all(new_ids[name] != old_ids[name] for name in old_ids)
    assert totals(ws, tmp_path) == before
    # spend 0.4 at 1000 from U 0.3 (600, proceeds 750: long-term, held since 2023-01-05, gain 150) + A 0.1
    # (200, proceeds 250, gain 50); sell 0.5 (A 1000, gain 500); sell 0.3 (A 600, gain 300)
    assert before == {**BASELINE, "proceeds": "3400.00", "cost_basis": "2400.00", "short_term_gain": "850.00",
                      "long_term_gain": "150.00", "total_gain": "1000.00", "warnings": 0}


def test_a_correction_whose_record_disappeared_is_reported(ws, tmp_path):
    api.correct(ws, "relabel", ids(ws)["send"], value="gift", note="present", by="alice")
    with ws.begin() as conn:
        conn.execute(text("DELETE FROM raw_records WHERE external_id IN (SELECT external_id FROM transactions "
                          "WHERE description = 'send')"))
        conn.execute(text("DELETE FROM transactions WHERE description = 'send'"))
    result = totals(ws, tmp_path)
    assert result["warnings"] == 2  # unknown origin + the stale correction
    assert codes(tmp_path) == ["correction_not_applied", "unknown_origin"]
    with open(tmp_path / "r2024" / "corrections.csv", newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert row["status"].startswith("not applied: its record cb/koinly:") and row["by"] == "alice"
    review = api.review(ws, year=2024)
    assert [i.code for i in review.items] == ["unknown_origin", "correction_not_applied"]
    assert review.items[1].suggestions[0].command.startswith("taxer correct revoke 1 ")


def test_batch_with_one_bad_line_records_nothing(ws, tmp_path):
    i = ids(ws)
    path = tmp_path / "fixes.csv"
    lines = ["kind,transaction,other,value,acquired,note,by",
             f"relabel,{i['send']},,gift,,present,alice",
             f"basis,{i['deposit']},,600,2023-01-05,bought 2023,bob",
             f"relabel,{i['sell']},,gfit,,typo,alice"]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as err:
        api.import_corrections(ws, path)
    assert (err.value.line, err.value.column) == (4, "value") and "gfit" in str(err.value)
    assert api.corrections(ws) == []
    path.write_text("\n".join(lines[:3]) + "\n")
    made = api.import_corrections(ws, path)
    assert [(c.kind, c.author) for c in made] == [("relabel", "alice"), ("basis", "bob")]
    # gift: nothing on Form 8949 changes by it; basis as in the basis test: gain 800
    assert totals(ws, tmp_path)["total_gain"] == "800.00"


def test_bad_correction_input_is_a_clear_error_and_stores_nothing(ws):
    i = ids(ws)
    with pytest.raises(ConfigError, match="no transaction 9999"):
        api.correct(ws, "relabel", 9999, value="gift", note="x")
    with pytest.raises(ConfigError, match="needs a note"):
        api.correct(ws, "relabel", i["send"], value="gift", note=" ")
    with pytest.raises(ConfigError, match="only for a deposit"):
        api.correct(ws, "basis", i["sell"], value="10", acquired="2023-01-01", note="x")
    with pytest.raises(ConfigError, match="acquired .* is after the deposit"):
        api.correct(ws, "basis", i["deposit"], value="10", acquired="2025-01-01", note="x")
    with pytest.raises(ConfigError, match="name the withdrawal first"):
        api.correct(ws, "match", i["deposit"], i["send"], note="x")
    assert api.corrections(ws) == []


def test_audit_trail_lists_corrections_with_who_when_why(ws, tmp_path):
    api.correct(ws, "relabel", ids(ws)["send"], value="spend", note="paid the builder", by="alice")
    api.report(ws, year=2024, out=tmp_path / "r", formats=("csv", "pdf"))
    with open(tmp_path / "r" / "corrections.csv", newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert (row["kind"], row["by"], row["note"], row["change"], row["status"]) == (
        "relabel", "alice", "paid the builder", "relabel as spend", "applied")
    assert row["target"].startswith("cb/koinly:")
    with open(tmp_path / "r" / "audit.csv", newline="") as handle:
        audit = [r for r in csv.DictReader(handle) if r["section"] == "correction"]
    assert [(r["disposal_tx_id"], r["disposal_source"]) for r in audit] == [(str(ids(ws)["send"]), "koinly")]
    assert "by alice" in audit[0]["description"] and "paid the builder" in audit[0]["description"]
    from pypdf import PdfReader

    pdf = " ".join(page.extract_text() for page in PdfReader(tmp_path / "r" / "report.pdf").pages)
    assert "Corrections (1)" in pdf and "paid the builder" in pdf and "By alice" in pdf
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert "corrections.csv" in manifest["files"]


@pytest.mark.parametrize("code,currency", [("uk", "GBP"), ("ca", "CAD")])
def test_a_supplied_basis_enters_the_pool_in_countries_with_their_own_matching(db_url, write_koinly, tmp_path,
                                                                                code, currency):
    # A deposit of 1 ETH of unknown origin (1 June 2024), its cost supplied (1,000, bought 2021), sold on
    # 1 August 2024 for 1,500: the pool (Section 104 / ACB) holds 1 ETH at 1,000, so the gain is 500, in
    # the UK (same day and 30 days find nothing) and in Canada alike.
    engine = api.workspace(db_url)
    rows = ["2024-06-01 10:00:00 UTC,,,1,ETH,,,,,,from my wallet,",
            f"2024-08-01 10:00:00 UTC,1,ETH,1500,{currency},,,,,,sell,"]
    api.import_csv_file(engine, write_koinly(rows, "w.csv"), "w")
    deposit = next(t.id for t in api.transactions(engine) if t.description == "from my wallet")
    api.correct(engine, "basis", deposit, value="1000", acquired="2021-03-01", currency=currency,
                note="bought on an old exchange", by="alice")
    summary = api.report(engine, year=2024, out=tmp_path / code, formats=("csv",), country=code).summary
    assert (summary["proceeds"], summary["cost_basis"], summary["total_gain"], summary["warnings"]) == \
        ("1500.00", "1000.00", "500.00", 0)
