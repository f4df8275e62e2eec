"""The earlier tax years a report's loss carryover reads (taxer.reports.earlier), handed on by the engine as it goes.

The reference is what the code did before: one run over the whole history, every earlier year's own view built
from it (`build_view` of that year: its printed sale lines, income by type and other disposals) and the country's
`loss_basis` of those. `EarlierYears` must give the same figures, and the report's own year must not change.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taxer.countries import Country, country, losses
from taxer.engine import Disposal, EngineSettings, IncomeEvent, compute
from taxer.errors import ConfigError
from taxer.model import Kind, Leg, Transaction
from taxer.reports.earlier import EarlierYears
from taxer.reports.view import ReportParams, build_view
from tests.engine.helpers import at, numbered

# (country, method) pairs: lot methods (US FIFO, HIFO, average), and the countries' own matching (UK, Canada's ACB)
CASES = (("us", "fifo"), ("us", "hifo"), ("us", "average"), ("uk", None), ("ca", "acb"), ("de", "fifo"),
         ("au", "fifo"))
LOT_METHODS = {("us", "fifo"), ("us", "hifo"), ("us", "average"), ("de", "fifo"), ("au", "fifo")}
REPORT_YEAR = 2024
ACCOUNTS = ("a", "b")
ASSETS = ("BTC", "ETH")
START = datetime(2020, 5, 1, 12, tzinfo=UTC)
CHECKS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def engine_settings(rules: Country, method: str | None) -> EngineSettings:
    return rules.settings(method=method, allow_nonstandard=True)  # US average cost is nonstandard


@st.composite
def histories(draw, rules: Country) -> list[Transaction]:
    """A few years of trading in the country's currency, ending in the report's year: buys, sales at a gain or a
    loss, income, gifts, and moves between the two accounts that pay a network fee; some on a year's first or
    last instant, and some moves whose deposit has the withdrawal's timestamp or an earlier one (the engine
    processes that deposit after its withdrawal, later than its place in time)."""
    currency = rules.currency
    zone = rules.timezone(None)
    boundaries = sorted(rules.bounds(y, zone)[0] for y in range(2020, REPORT_YEAR + 2))
    end = rules.bounds(REPORT_YEAR, zone)[1]
    held: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    txs: list[Transaction] = []
    when = START
    for n in range(draw(st.integers(4, 40))):
        if draw(st.integers(0, 4)) == 0:  # onto the next year's first instant, or just before it
            upcoming = [b for b in boundaries if b > when]
            if upcoming:
                when = upcoming[0] - draw(st.sampled_from([timedelta(0), timedelta(microseconds=1)]))
        else:
            when += timedelta(days=draw(st.integers(0, 200)), seconds=draw(st.sampled_from([0, 1, 3600])))
        if when >= end:
            break
        account = draw(st.sampled_from(ACCOUNTS))
        owned = [asset for asset in ASSETS if held[account, asset] > 0]
        action = draw(st.sampled_from(["buy", "buy", "income", "sell", "sell", "gift", "move"]))
        if not owned:
            action = draw(st.sampled_from(["buy", "income"]))
        money = Decimal(draw(st.integers(1, 10**7))).scaleb(-draw(st.integers(0, 3)))  # fractions of cents too
        ids = {"source": "gen", "external_id": f"x{n}"}
        if action in ("buy", "income"):
            asset = draw(st.sampled_from(ASSETS))
            amount = Decimal(draw(st.integers(1, 10**6))).scaleb(-draw(st.integers(0, 6)))
            held[account, asset] += amount
            if action == "buy":
                txs.append(Transaction(account, when, Kind.TRADE, sent=Leg(currency, money),
                                       received=Leg(asset, amount), **ids))
            else:
                txs.append(Transaction(account, when, Kind.INCOME, received=Leg(asset, amount), fair_value=money,
                                       fair_value_currency=currency, label="staking", **ids))
            continue
        asset = draw(st.sampled_from(owned))
        amount = held[account, asset] * Decimal(draw(st.integers(1, 100))) / 100
        held[account, asset] -= amount
        if action == "sell":
            txs.append(Transaction(account, when, Kind.TRADE, sent=Leg(asset, amount),
                                   received=Leg(currency, money), **ids))
        elif action == "gift":
            txs.append(Transaction(account, when, Kind.GIFT, sent=Leg(asset, amount), fair_value=money,
                                   fair_value_currency=currency, **ids))
        else:
            other = ACCOUNTS[1 - ACCOUNTS.index(account)]
            fee = amount / 100
            # Clocks apart: a deposit stamped before its withdrawal is processed after it, so a fee it pays (a
            # disposal of its own) can belong to a year whose last transaction has already been read.
            arrives = when + draw(st.sampled_from([timedelta(0), timedelta(minutes=5), timedelta(seconds=-30)]))
            paid = Leg(asset, fee / 10) if draw(st.booleans()) else None
            txs.append(Transaction(account, when, Kind.WITHDRAWAL, sent=Leg(asset, amount), fair_value=money,
                                   fair_value_currency=currency, tx_hash=f"0x{n}", **ids))
            txs.append(Transaction(other, arrives, Kind.DEPOSIT, received=Leg(asset, amount - fee), fee=paid,
                                   tx_hash=f"0x{n}", source="gen", external_id=f"y{n}"))
            held[other, asset] += amount - fee - (paid.amount if paid else 0)
            when = max(when, arrives)
    return numbered(txs)


def periods(rules: Country, zone: str, txs: list[Transaction], year: int) -> list[tuple[int, datetime, datetime]]:
    """(year, start, end) of every tax year from the ledger's first to the one before `year`."""
    first = rules.year_of(min(tx.timestamp for tx in txs), zone) if txs else year
    return [(y, *rules.bounds(y, zone)) for y in range(first, year)]


def params(rules: Country, s: EngineSettings, year: int, start: datetime, end: datetime) -> ReportParams:
    return ReportParams(year, str(year), rules.code, s.method, s.currency, s.timezone, s.pool, start, end)


def whole_history(rules: Country, s: EngineSettings, txs: list[Transaction], year: int):
    """The reference: one run over everything up to the year's end; each earlier year's figures from its own view
    of that run (its printed lines)."""
    start, end = rules.bounds(year, s.timezone)
    full = compute(txs, s, until=end)
    figures = []
    for y, q0, q1 in periods(rules, s.timezone, txs, year):
        view = build_view(params(rules, s, y, q0, q1), full, {})
        figures.append((y, rules.loss_basis(y, view.form8949, view.income_by_type, other=view.other_disposals)))
    return tuple(figures), full


def handed_on(rules: Country, s: EngineSettings, txs: list[Transaction], year: int):
    """The report's way: only the year's rows kept, the earlier ones handed to EarlierYears as they are made."""
    start, end = rules.bounds(year, s.timezone)
    earlier = EarlierYears(periods(rules, s.timezone, txs, year), rules.loss_basis)
    result = compute(txs, s, until=end, keep_from=start, earlier=earlier, marks=earlier.marks())
    return earlier.figures(), result


def drawn(code: str, method: str, data) -> tuple[Country, EngineSettings, list[Transaction]]:
    """A country's rules, engine settings for `method`, and a history drawn for them."""
    rules = country(code)
    return rules, engine_settings(rules, method), data.draw(histories(rules))


@pytest.mark.parametrize(("code", "method"), CASES)
@CHECKS
@given(data=st.data())
def test_earlier_years_give_the_whole_history_figures(code, method, data):
    rules, s, txs = drawn(code, method, data)
    expected, full = whole_history(rules, s, txs, REPORT_YEAR)
    figures, result = handed_on(rules, s, txs, REPORT_YEAR)
    assert figures == expected
    # The report's own year is what a run without `earlier` keeps, and its view what the whole run shows.
    start, end = rules.bounds(REPORT_YEAR, s.timezone)
    assert result == compute(txs, s, until=end, keep_from=start)
    year = params(rules, s, REPORT_YEAR, start, end)
    assert build_view(year, result, {}) == build_view(year, full, {})


class Recorder:
    """An EarlierRows that writes down what it is handed, in order."""

    def __init__(self) -> None:
        self.log: list[tuple[str, datetime]] = []

    def disposals(self, rows: list[Disposal]) -> None:
        self.log.extend(("row", d.disposed_at) for d in rows)

    def income(self, rows: list[IncomeEvent]) -> None:
        self.log.extend(("row", i.timestamp) for i in rows)

    def reached(self, at: datetime) -> None:
        self.log.append(("mark", at))


@pytest.mark.parametrize(("code", "method"), CASES)
@CHECKS
@given(data=st.data())
def test_a_mark_comes_after_every_row_before_it(code, method, data):
    rules, s, txs = drawn(code, method, data)
    start, end = rules.bounds(REPORT_YEAR, s.timezone)
    marks = [q1 for _, _, q1 in periods(rules, s.timezone, txs, REPORT_YEAR)]
    recorder = Recorder()
    compute(txs, s, until=end, keep_from=start, earlier=recorder, marks=marks)
    assert [when for what, when in recorder.log if what == "mark"] == marks  # each once, in order
    rows = [when for what, when in recorder.log if what == "row"]
    assert all(when < start for when in rows)
    seen: list[datetime] = []
    for what, when in recorder.log:
        if what == "mark":
            assert all(later >= when for later in rows[len(seen):])  # nothing before the mark comes after it
        else:
            seen.append(when)
    if (code, method) in LOT_METHODS and marks and any(when >= marks[0] for when in rows):
        # Under lot methods a year is finished as the ledger is read, not at the end: rows follow the first mark.
        first_mark = recorder.log.index(("mark", marks[0]))
        assert any(what == "row" for what, _ in recorder.log[first_mark:])


@pytest.mark.parametrize(("code", "method"), CASES)
def test_a_deposit_stamped_in_the_year_before_its_withdrawal(code, method):
    rules = country(code)
    s = engine_settings(rules, method)
    new_year = rules.bounds(REPORT_YEAR, s.timezone)[0]
    currency = rules.currency
    txs = numbered([
        Transaction("a", new_year - timedelta(days=200), Kind.TRADE, sent=Leg(currency, Decimal("20000")),
                    received=Leg("BTC", Decimal("1"))),
        Transaction("a", new_year - timedelta(days=100), Kind.TRADE, sent=Leg("BTC", Decimal("0.5")),
                    received=Leg(currency, Decimal("6000"))),  # a loss of about 4,000
        # The exchange's clock is 30 s ahead of the wallet's: the deposit, which pays a fee of its own in BTC,
        # is stamped before the new year, its withdrawal after it. The engine moves the deposit after the
        # withdrawal, so the fee's disposal, a row of the year before, is made once the new year has begun.
        Transaction("a", new_year + timedelta(seconds=10), Kind.WITHDRAWAL, sent=Leg("BTC", Decimal("0.5")),
                    fair_value=Decimal("15000"), fair_value_currency=currency, tx_hash="0xskew"),
        Transaction("b", new_year - timedelta(seconds=20), Kind.DEPOSIT, received=Leg("BTC", Decimal("0.5")),
                    fee=Leg("BTC", Decimal("0.01")), tx_hash="0xskew"),
    ])
    expected, full = whole_history(rules, s, txs, REPORT_YEAR)
    figures, result = handed_on(rules, s, txs, REPORT_YEAR)
    assert len(result.transfers) == 1 and [d.category for d in full.disposals] == ["sale", "transfer_fee"]
    assert figures == expected
    recorder = Recorder()
    start, end = rules.bounds(REPORT_YEAR, s.timezone)
    marks = [q1 for _, _, q1 in periods(rules, s.timezone, txs, REPORT_YEAR)]
    compute(txs, s, until=end, keep_from=start, earlier=recorder, marks=marks)
    assert recorder.log[-1] == ("mark", new_year)  # the fee's row came before the year was finished
    assert sorted(recorder.log[:-1]) == [("row", new_year - timedelta(days=100)),
                                         ("row", new_year - timedelta(seconds=20))]


def test_us_figures_are_the_printed_lines_sums():
    rules = country("us")
    s = engine_settings(rules, "fifo")
    txs = numbered([
        # 2021: one ETH bought for 5,000.
        Transaction("a", at("2021-01-04 15:00"), Kind.TRADE, sent=Leg("USD", Decimal("5000")),
                    received=Leg("ETH", Decimal("1"))),
        # 2022: three BTC bought at 10.005 each, sold together for 30.00; the ETH sold for 1,000 (long-term).
        *(Transaction("a", at(f"2022-03-0{day} 15:00"), Kind.TRADE, sent=Leg("USD", Decimal("10.005")),
                      received=Leg("BTC", Decimal("1"))) for day in (1, 2, 3)),
        Transaction("a", at("2022-04-01 15:00"), Kind.TRADE, sent=Leg("BTC", Decimal("3")),
                    received=Leg("USD", Decimal("30.00"))),
        Transaction("a", at("2022-06-01 15:00"), Kind.TRADE, sent=Leg("ETH", Decimal("1")),
                    received=Leg("USD", Decimal("1000"))),
        # 2024, the report's year: one purchase.
        Transaction("a", at("2024-02-01 15:00"), Kind.TRADE, sent=Leg("USD", Decimal("100")),
                    received=Leg("BTC", Decimal("1"))),
    ])
    figures, _ = handed_on(rules, s, txs, 2024)
    zero = Decimal("0.00")
    # 2022, short-term: three lines, each proceeds 30.00 / 3 = 10.00 and basis 10.005 -> 10.01 (half up), so each
    # gain -0.01 and the year's -0.03 (the unrounded -0.015 would print as -0.02). Long-term: 1,000.00 -
    # 5,000.00 = -4,000.00 (held 4 January 2021 to 1 June 2022, more than a year). 2021 and 2023 sold nothing.
    assert figures == (
        (2021, {"short_term_net": zero, "long_term_net": zero, "transfer_fee_gain": zero}),
        (2022, {"short_term_net": Decimal("-0.03"), "long_term_net": Decimal("-4000.00"),
                "transfer_fee_gain": zero}),
        (2023, {"short_term_net": zero, "long_term_net": zero, "transfer_fee_gain": zero}),
    )
    # The cent matters in the carryover: 2022's line 16 = -4,000.03, the 3,000 deduction first uses the short-term
    # 0.03 (worksheet line 11: 3,000 - 0.03 = 2,999.97), so 4,000 - 2,999.97 = 1,000.03 long-term carries out.
    assert losses.us(list(figures))[1]["long_term_carryover_out"] == Decimal("1000.03")


def test_germany_income_is_the_sum_of_the_rounded_lines():
    rules = country("de")
    s = engine_settings(rules, "fifo")
    reward = {"received": Leg("ETH", Decimal("0.001")), "fair_value": Decimal("0.005"),
              "fair_value_currency": "EUR", "label": "staking"}
    txs = numbered([
        # 2022: two staking rewards worth 0.005 EUR each; one BTC bought for 1,000.004 and sold for 500.004 a month
        # later (within the year: §23 Abs. 1 Satz 1 Nr. 2 EStG).
        Transaction("a", at("2022-01-10 12:00"), Kind.INCOME, **reward),
        Transaction("a", at("2022-01-11 12:00"), Kind.INCOME, **reward),
        Transaction("a", at("2022-02-01 12:00"), Kind.TRADE, sent=Leg("EUR", Decimal("1000.004")),
                    received=Leg("BTC", Decimal("1"))),
        Transaction("a", at("2022-03-01 12:00"), Kind.TRADE, sent=Leg("BTC", Decimal("1")),
                    received=Leg("EUR", Decimal("500.004"))),
    ])
    (year, t), = handed_on(rules, s, txs, 2023)[0]
    # Income: each line 0.005 -> 0.01 (half up), 0.02 in all (unrounded 0.01). The sale: 500.00 - 1,000.00 =
    # -500.00 held up to one year, a private-sales loss of 500.00.
    assert (year, t["income_22_nr_3"], t["gain_held_up_to_one_year"], t["private_sales_loss"]) == \
        (2022, Decimal("0.02"), Decimal("-500.00"), Decimal("500.00"))


def test_earlier_rows_need_keep_from():
    with pytest.raises(ConfigError, match="keep_from"):
        compute([], EngineSettings(), earlier=Recorder())
    with pytest.raises(ConfigError, match="marks"):
        compute([], EngineSettings(), keep_from=at("2024-01-01"), earlier=Recorder(),
                marks=[datetime(2023, 1, 1)])  # naive
