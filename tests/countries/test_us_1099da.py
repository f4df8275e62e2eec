"""Reconciling Forms 1099-DA with the ledger's sales: every status, box, code and adjustment, computed by hand.

Each case also checks that the year's total gain is the ledger's, whatever the broker reported.
"""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from taxer.countries.us import box_for
from taxer.countries.us_1099da import reconcile
from taxer.engine.records import Disposal
from taxer.model import Kind, Leg, Transaction
from taxer.model.form1099da import BrokerRow
from taxer.reports import form8949


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def piece(asset, amount, acquired, sold, proceeds, basis, *, account="cb", buy_id=1, sale_id=100, term="short"):
    return Disposal(asset=asset, amount=D(amount), account=account, acquired_at=at(acquired), disposed_at=at(sold)
                    if isinstance(sold, str) else sold, proceeds=D(proceeds), cost_basis=D(basis),
                    gain=D(proceeds) - D(basis), term=term, acquire_tx_id=buy_id, dispose_tx_id=sale_id,
                    category="sale", method="fifo")


def row(asset, units, sold, proceeds, basis, *, reported=True, term="short", account="cb", acquired=None,
        origin="1099da.csv:2", various=False, proceeds_type=""):
    return BrokerRow(account=account, asset=asset, units=D(units), date_sold=date.fromisoformat(sold),
                     proceeds=D(proceeds), cost_basis=None if basis is None else D(basis),
                     date_acquired=date.fromisoformat(acquired) if acquired else None, various=various, term=term,
                     basis_reported=reported, proceeds_type=proceeds_type, origin=origin)


def run(disposals, rows, year=2025, settings=None, transactions=None):
    settings = settings or {}
    pieces = [(d, form8949.line(d, year, settings, box_for)) for d in disposals]
    result = reconcile(year, pieces, rows, transactions=transactions or {})
    before = sum(line.gain for _, line in pieces)
    after = sum(line.gain for line in result.lines)
    extra = sum(line.gain for line in result.lines if line.disposal_tx_id is None)
    assert extra == 0 and after == before, "a broker's figures changed the total gain"
    for line in result.lines:
        assert line.proceeds - line.cost_basis + line.adjustment == line.gain
    return result


def three_lots(sale_proceeds=("10000", "10000", "10000")):
    """0.3 BTC sold on 2025-06-01 for 30,000 out of three FIFO lots costing 4,000, 5,000 and 6,000."""
    return [piece("BTC", "0.1", "2025-01-10", "2025-06-01", sale_proceeds[0], "4000", buy_id=1),
            piece("BTC", "0.1", "2025-01-20", "2025-06-01", sale_proceeds[1], "5000", buy_id=2),
            piece("BTC", "0.1", "2025-02-01", "2025-06-01", sale_proceeds[2], "6000", buy_id=3)]


def cols(line):
    return (line.box, line.proceeds, line.cost_basis, line.adjustment_code, line.adjustment, line.gain)


def test_sale_over_three_lots_reported_as_one_row_matches():
    result = run(three_lots(), [row("BTC", "0.3", "2025-06-01", "30000.80", "15000.00", various=True)])
    (r,) = result.rows
    assert r.status == "matched" and r.box == "G" and r.date_acquired == "VARIOUS"
    assert r.units_ledger == D("0.3") and r.proceeds_difference == D("0.80") and r.basis_difference == D("0")
    assert [cols(line) for line in result.lines] == [
        ("G", D("10000.00"), D("4000.00"), "", D("0.00"), D("6000.00")),
        ("G", D("10000.00"), D("5000.00"), "", D("0.00"), D("5000.00")),
        ("G", D("10000.00"), D("6000.00"), "", D("0.00"), D("4000.00"))]
    assert result.warnings == ()


def test_wrong_reported_basis_shows_the_brokers_basis_with_code_b():
    # The broker took 16,500 of basis (its own lot order). (e) gets 5,500 a line; (g) = gain - (d - e):
    # 6,000 - 4,500 = 1,500; 5,000 - 4,500 = 500; 4,000 - 4,500 = -500; in all 1,500 = 16,500 - 15,000.
    result = run(three_lots(), [row("BTC", "0.3", "2025-06-01", "30000", "16500", acquired="2025-02-01")])
    (r,) = result.rows
    assert r.status == "basis_differ" and r.basis_difference == D("1500.00") and r.adjustment == D("1500.00")
    assert "lot order" in r.cause
    assert [cols(line) for line in result.lines] == [
        ("G", D("10000.00"), D("5500.00"), "B", D("1500.00"), D("6000.00")),
        ("G", D("10000.00"), D("5500.00"), "B", D("500.00"), D("5000.00")),
        ("G", D("10000.00"), D("5500.00"), "B", D("-500.00"), D("4000.00"))]
    assert [w.code for w in result.warnings] == ["form1099da_basis_differ"]


def test_wrong_proceeds_show_the_brokers_proceeds_with_code_o():
    # 31,000 reported: (d) 10,333.33 + 10,333.33 + 10,333.34; (g) -333.33, -333.33, -333.34.
    result = run(three_lots(), [row("BTC", "0.3", "2025-06-01", "31000", "15000")])
    assert result.rows[0].status == "proceeds_differ"
    assert [cols(line) for line in result.lines] == [
        ("G", D("10333.33"), D("4000.00"), "O", D("-333.33"), D("6000.00")),
        ("G", D("10333.33"), D("5000.00"), "O", D("-333.33"), D("5000.00")),
        ("G", D("10333.34"), D("6000.00"), "O", D("-333.34"), D("4000.00"))]


def test_gross_proceeds_with_the_fee_not_deducted_is_code_e():
    sale = Transaction("cb", at("2025-07-01"), Kind.TRADE, sent=Leg("ETH", D(1)), received=Leg("USD", D(3500)),
                       fee=Leg("USD", D(10)), id=100)
    disposal = piece("ETH", "1", "2025-02-01", "2025-07-01", "3490", "3000")
    result = run([disposal], [row("ETH", "1", "2025-07-01", "3500", "3000", proceeds_type="gross")],
                 transactions={100: sale})
    (r,) = result.rows
    assert r.status == "proceeds_differ" and r.proceeds_difference == D("10.00") and "fee treatment" in r.cause
    assert cols(result.lines[0]) == ("G", D("3500.00"), D("3000.00"), "E", D("-10.00"), D("490.00"))


def test_transfer_in_with_zero_reported_basis():
    # 2 SOL bought in the wallet for 200 on 2024-03-01, moved to the broker, sold there on 2025-08-01 for 400:
    # long-term. The broker reports basis 0 to the IRS and short-term: box J, (e) 0, codes B and T, (g) -200.
    buy = Transaction("wallet", at("2024-03-01"), Kind.TRADE, sent=Leg("USD", D(200)), received=Leg("SOL", D(2)),
                      id=1)
    disposal = piece("SOL", "2", "2024-03-01", "2025-08-01", "400", "200", term="long")
    result = run([disposal], [row("SOL", "2", "2025-08-01", "400", "0", acquired="2025-03-01")],
                 transactions={1: buy})
    (r,) = result.rows
    assert r.status == "basis_differ" and "transfer in from wallet" in r.cause and "term differs" in r.cause
    assert cols(result.lines[0]) == ("J", D("400.00"), D("0.00"), "BT", D("-200.00"), D("200.00"))
    assert result.lines[0].part == "II"


def test_transfer_in_with_basis_not_reported_shows_the_true_basis_and_no_adjustment():
    # Box K (basis not reported to the IRS): the correct basis in (e), code B, 0 in (g).
    disposal = piece("SOL", "2", "2024-03-01", "2025-08-01", "400", "200", term="long")
    result = run([disposal], [row("SOL", "2", "2025-08-01", "400", "0", reported=False, term="long")])
    assert result.rows[0].status == "basis_differ" and "not reported to the IRS" in result.rows[0].action
    assert cols(result.lines[0]) == ("K", D("400.00"), D("200.00"), "B", D("0.00"), D("200.00"))


def test_basis_not_shown_and_not_reported_is_box_h_without_codes():
    result = run([piece("ETH", "1", "2025-02-01", "2025-07-01", "3500", "3000")],
                 [row("ETH", "1", "2025-07-01", "3500", None, reported=False)])
    assert result.rows[0].status == "matched"
    assert cols(result.lines[0]) == ("H", D("3500.00"), D("3000.00"), "", D("0.00"), D("500.00"))


def test_a_broker_row_taxer_has_no_sale_for():
    # On Form 8949 with the broker's figures and a code O adjustment to zero gain: 250 - 0 - 250 = 0.
    result = run([], [row("ADA", "500", "2025-10-01", "250", None, reported=False, origin="f.csv:5")])
    (r,) = result.rows
    assert r.status == "only_on_1099da" and r.origin == "f.csv:5" and r.proceeds_ledger is None
    (line,) = result.lines
    assert cols(line) == ("H", D("250.00"), D("0.00"), "O", D("-250.00"), D("0.00"))
    assert line.flags == "1099da_only_on_1099da" and line.disposal_tx_id is None
    assert [w.code for w in result.warnings] == ["form1099da_only_on_1099da"]


def test_a_sale_the_broker_did_not_report_goes_to_box_i_or_l():
    sales = [piece("DOGE", "1000", "2025-03-01", "2025-09-01", "150", "100", sale_id=7),
             piece("DOGE", "10", "2023-03-01", "2025-09-02", "2", "1", sale_id=8, term="long", buy_id=2)]
    other = piece("BTC", "1", "2025-01-01", "2025-09-01", "100", "50", account="kraken", sale_id=9)
    result = run([*sales, other], [row("ETH", "1", "2025-07-01", "3500", "3000")],
                 settings={"kraken": {"form1099da": "basis_reported"}})
    by_status = {}
    for r in result.rows:
        by_status.setdefault(r.status, []).append(r)
    assert sorted(by_status) == ["only_in_ledger", "only_on_1099da"]
    assert [(r.asset, r.box, r.tx_ids) for r in by_status["only_in_ledger"]] == [("DOGE", "I", (7,)),
                                                                                 ("DOGE", "L", (8,))]
    boxes = {(line.account, line.disposal_tx_id): line.box for line in result.lines}
    # An account without rows keeps its form1099da setting (the default for years without imported rows).
    assert boxes[("kraken", 9)] == "G" and boxes[("cb", 7)] == "I" and boxes[("cb", 8)] == "L"


def test_rows_per_lot_for_one_sale_and_a_day_off_in_the_brokers_zone():
    # The broker reports the 0.3 BTC sale lot by lot, in its own zone (the sale at 23:30 UTC is 06-02 there).
    sold = datetime(2025, 6, 1, 23, 30, tzinfo=UTC)
    disposals = [piece("BTC", "0.1", "2025-01-10", sold, "10000", "4000", buy_id=1),
                 piece("BTC", "0.2", "2025-01-20", sold, "20000", "11000", buy_id=2)]
    rows = [row("BTC", "0.15", "2025-06-01", "15000", "6750", origin="f.csv:2"),
            row("BTC", "0.15", "2025-06-01", "15000", "8250", origin="f.csv:3")]
    result = run(disposals, rows)
    assert [(r.status, r.units_ledger, r.proceeds_ledger, r.basis_ledger) for r in result.rows] == [
        ("matched", D("0.15"), D("15000.00"), D("7500.00")), ("matched", D("0.15"), D("15000.00"), D("7500.00"))]
    late = run([piece("ETH", "1", "2025-02-01", datetime(2025, 7, 1, 23, 30, tzinfo=UTC), "3500", "3000")],
               [row("ETH", "1", "2025-07-02", "3500", "3000")])
    assert late.rows[0].status == "matched"


def test_covered_lots_from_2026_and_a_warning_where_their_basis_differs():
    buy = Transaction("cb", at("2026-02-01"), Kind.TRADE, sent=Leg("USD", D(4000)), received=Leg("BTC", D("0.1")),
                      id=1)
    moved_in = Transaction("cb", at("2026-02-02"), Kind.DEPOSIT, received=Leg("BTC", D("0.1")), id=2)
    disposals = [piece("BTC", "0.1", "2026-02-01", "2026-06-01", "10000", "4000", buy_id=1),
                 piece("BTC", "0.1", "2026-02-02", "2026-06-01", "10000", "5000", buy_id=2)]
    result = run(disposals, [row("BTC", "0.2", "2026-06-01", "20000", "8000")], year=2026,
                 transactions={1: buy, 2: moved_in})
    assert [line.flags for line in result.lines] == ["covered;1099da_basis_differ", "noncovered;1099da_basis_differ"]
    assert result.rows[0].covered == "mixed"
    assert [w.code for w in result.warnings] == ["form1099da_basis_differ", "form1099da_covered_basis"]
    before_2026 = run([piece("BTC", "0.1", "2025-02-01", "2025-06-01", "10000", "4000", buy_id=1)],
                      [row("BTC", "0.1", "2025-06-01", "10000", "4000")],
                      transactions={1: replace_id(buy, at("2025-02-01"))})
    assert before_2026.lines[0].flags == "noncovered;1099da_matched"


def replace_id(tx, when):
    from dataclasses import replace

    return replace(tx, timestamp=when)


@pytest.mark.parametrize("broker_basis, status, codes", [("15000", "matched", ""), ("15000.99", "matched", ""),
                                                         ("15001.01", "basis_differ", "B")])
def test_the_one_dollar_tolerance(broker_basis, status, codes):
    result = run(three_lots(), [row("BTC", "0.3", "2025-06-01", "30000", broker_basis)])
    assert result.rows[0].status == status
    assert {line.adjustment_code for line in result.lines} == {codes}
