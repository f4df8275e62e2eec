"""compute() on small hand-checked ledgers: every expected number is written out, never computed."""

from __future__ import annotations

import dataclasses
from datetime import UTC
from decimal import Decimal, localcontext

import pytest

from taxer.engine import EngineSettings, compute
from taxer.errors import ConfigError
from taxer.model import Kind
from tests.engine.helpers import (
    at,
    buy,
    codes,
    deposit,
    income,
    lots,
    numbered,
    outflow,
    rows,
    run,
    sell,
    swap,
    withdrawal,
)


def test_partial_lots_and_several_lots_in_one_sale():
    result = run(
        buy("2024-01-10", "BTC", "1", "10000"),
        buy("2024-02-10", "BTC", "2", "30000"),
        sell("2024-03-10", "BTC", "0.5", "10000"),
        sell("2024-04-10", "BTC", "1.5", "36000"),
    )
    assert rows(result) == [
        ("BTC", "0.5", "2024-01-10", "2024-03-10", "10000", "5000", "5000", "short", "sale"),
        ("BTC", "0.5", "2024-01-10", "2024-04-10", "12000", "5000", "7000", "short", "sale"),
        ("BTC", "1", "2024-02-10", "2024-04-10", "24000", "15000", "9000", "short", "sale"),
    ]
    assert [(d.acquire_tx_id, d.dispose_tx_id) for d in result.disposals] == [(1, 3), (1, 4), (2, 4)]
    assert lots(result) == [("BTC", "1", "2024-02-10", "15000", "a")]
    assert result.warnings == ()


def test_acquisition_before_disposal_at_the_same_timestamp_whatever_the_input_order():
    ledger = [sell("2024-05-01 12:00", "ETH", "1", "150"), buy("2024-05-01 12:00", "ETH", "1", "100")]
    for txs in (ledger, ledger[::-1]):
        result = compute(txs, EngineSettings())
        assert rows(result) == [("ETH", "1", "2024-05-01", "2024-05-01", "150", "100", "50", "short", "sale")]
        assert result.warnings == ()


@pytest.mark.parametrize(("acquired", "disposed", "term"), [
    ("2023-03-01 12:00", "2024-03-01 12:00", "short"),  # the anniversary itself is not "more than one year"
    ("2023-03-01 12:00", "2024-03-02 00:00", "long"),
    ("2024-02-29 12:00", "2025-02-28 23:59", "short"),  # leap day: the anniversary is Feb 28
    ("2024-02-29 12:00", "2025-03-01 00:00", "long"),
    ("2023-02-28 12:00", "2024-02-29 12:00", "long"),  # leap year: Feb 29 is after the Feb 28 anniversary
    ("2022-12-31 23:00", "2023-12-31 23:59", "short"),
    ("2022-12-31 23:00", "2024-01-01 00:00", "long"),
])
def test_holding_period_boundary(acquired, disposed, term):
    result = run(buy(acquired, "BTC", "1", "100"), sell(disposed, "BTC", "1", "200"), pool="universal")
    assert [d.term for d in result.disposals] == [term]


def test_holding_period_uses_calendar_dates_in_the_taxpayers_time_zone():
    # 2023-03-01 03:00 UTC is still Feb 28 in New York; 2024-02-29 12:00 UTC is Feb 29 there.
    ledger = [buy("2023-03-01 03:00", "BTC", "1", "100"), sell("2024-02-29 12:00", "BTC", "1", "200")]
    utc = run(*ledger, pool="universal")
    new_york = run(*ledger, pool="universal", timezone="America/New_York")
    assert [(str(d.acquired_date), str(d.disposed_date), d.term) for d in utc.disposals] == [
        ("2023-03-01", "2024-02-29", "short")]
    assert [(str(d.acquired_date), str(d.disposed_date), d.term) for d in new_york.disposals] == [
        ("2023-02-28", "2024-02-29", "long")]


@pytest.mark.parametrize(("ledger", "expected_rows", "expected_lots"), [
    pytest.param(  # fiat fee on a buy is part of the basis
        [buy("2024-01-01", "ETH", "1", "2000", fee="10")],
        [], [("ETH", "1", "2024-01-01", "2010", "a")], id="fiat-fee-buy"),
    pytest.param(  # crypto fee on a buy: the fee coins are disposed of at FMV, which is added to the basis
        [buy("2024-01-01", "ETH", "1", "2000", fee=("0.01", "ETH"))],
        [("ETH", "0.01", "2024-01-01", "2024-01-01", "20", "20.2", "-0.2", "short", "sale")],
        [("ETH", "0.99", "2024-01-01", "1999.8", "a")], id="crypto-fee-buy"),
    pytest.param(  # fiat fee on a sell reduces proceeds
        [buy("2024-01-01", "ETH", "2", "4000"), sell("2024-02-01", "ETH", "1", "3000", fee="15")],
        [("ETH", "1", "2024-01-01", "2024-02-01", "2985", "2000", "985", "short", "sale")],
        [("ETH", "1", "2024-01-01", "2000", "a")], id="fiat-fee-sell"),
    pytest.param(  # crypto fee on a sell: a selling expense, and a disposal of its own
        [buy("2024-01-01", "ETH", "1", "2000"),
         sell("2024-02-01", "ETH", "0.5", "1500", fee=("0.005", "ETH"))],
        [("ETH", "0.5", "2024-01-01", "2024-02-01", "1485", "1000", "485", "short", "sale"),
         ("ETH", "0.005", "2024-01-01", "2024-02-01", "15", "10", "5", "short", "sale")],
        [("ETH", "0.495", "2024-01-01", "990", "a")], id="crypto-fee-sell"),
])
def test_fees(ledger, expected_rows, expected_lots):
    result = run(*ledger)
    assert rows(result) == expected_rows
    assert lots(result) == expected_lots


def test_fee_in_a_third_asset_without_a_price_is_flagged_not_guessed():
    result = run(buy("2024-01-01", "BNB", "10", "3000"),
                 buy("2024-02-01", "ETH", "1", "2000", fee=("0.1", "BNB")))
    assert codes(result) == ["missing_value"]
    assert "0.1 BNB" in result.warnings[0].message
    assert [(d.asset, d.value_missing) for d in result.disposals] == [("BNB", True)]
    assert [lot.basis_missing for lot in result.holdings] == [False, True]  # ETH's basis lacks the fee


def test_fee_in_a_third_asset_priced_by_the_price_source():
    prices = {("BNB", "USD"): Decimal(250)}
    result = run(buy("2024-01-01", "BNB", "10", "3000"),
                 buy("2024-02-01", "ETH", "1", "2000", fee=("0.1", "BNB")),
                 price=lambda asset, currency, when, account=None: prices.get((asset, currency)))
    assert rows(result) == [("BNB", "0.1", "2024-01-01", "2024-02-01", "25", "30", "-5", "short", "sale")]
    assert lots(result) == [("BNB", "9.9", "2024-01-01", "2970", "a"),
                            ("ETH", "1", "2024-02-01", "2025", "a")]
    assert result.warnings == ()


def test_income_then_sale():
    result = run(income("2024-01-05", "SOL", "10", "1000", label="Staking"),
                 sell("2024-06-05", "SOL", "4", "600"))
    assert [(i.asset, str(i.amount), i.fair_value, i.type, i.tx_id, i.value_missing)
            for i in result.income] == [
        ("SOL", "10", Decimal(1000), "staking", 1, False)]
    assert rows(result) == [("SOL", "4", "2024-01-05", "2024-06-05", "600", "400", "200", "short", "sale")]
    assert lots(result) == [("SOL", "6", "2024-01-05", "600", "a")]


@pytest.mark.parametrize(("label", "kind_label"), [
    ("mining", "mining"), ("Airdrop", "airdrop"), (None, "income"), ("bonus", "income"),
])
def test_income_type_comes_from_the_label(label, kind_label):
    result = run(income("2024-01-05", "SOL", "1", "100", label=label))
    assert [i.type for i in result.income] == [kind_label]


def test_fiat_fee_on_income_adds_nothing_and_a_crypto_fee_is_disposed_of():
    result = run(income("2024-01-05", "ETH", "1", "2000", fee="5"),
                 income("2024-01-06", "ETH", "1", "2000", fee=("0.01", "ETH")))
    assert [i.fair_value for i in result.income] == [Decimal(2000), Decimal(2000)]
    assert rows(result) == [("ETH", "0.01", "2024-01-05", "2024-01-06", "20", "20", "0", "short", "sale")]
    assert lots(result) == [("ETH", "0.99", "2024-01-05", "1980", "a"),
                            ("ETH", "1", "2024-01-06", "2000", "a")]


def test_crypto_to_crypto_at_fair_value_with_a_fee_in_the_sent_coin():
    result = run(buy("2024-01-01", "BTC", "1", "20000"),
                 swap("2024-02-01", ("0.5", "BTC"), ("8", "ETH"), "15000", fee=("0.001", "BTC")))
    assert rows(result) == [
        ("BTC", "0.5", "2024-01-01", "2024-02-01", "14970", "10000", "4970", "short", "sale"),
        ("BTC", "0.001", "2024-01-01", "2024-02-01", "30", "20", "10", "short", "sale"),
    ]
    assert lots(result) == [("BTC", "0.499", "2024-01-01", "9980", "a"),
                            ("ETH", "8", "2024-02-01", "15000", "a")]


def test_trading_into_a_stablecoin_is_a_disposal():
    result = run(buy("2024-01-01", "BTC", "1", "20000"),
                 swap("2024-02-01", ("1", "BTC"), ("25000", "USDT"), "25000"))
    assert rows(result) == [
        ("BTC", "1", "2024-01-01", "2024-02-01", "25000", "20000", "5000", "short", "sale")]
    assert lots(result) == [("USDT", "25000", "2024-02-01", "25000", "a")]


def test_valuation_order_fiat_leg_then_fair_value_then_prices():
    prices = {("ETH", "USD"): Decimal(2000), ("BTC", "USD"): Decimal(50000), ("EUR", "USD"): Decimal("1.1")}

    def price(asset, currency, when, account=None):
        return prices.get((asset, currency))

    result = run(
        buy("2024-01-01", "BTC", "2", "60000"),
        swap("2024-02-01", ("0.1", "BTC"), ("2", "ETH"), None),  # received asset's price: 2 x 2000
        swap("2024-02-02", ("0.1", "BTC"), ("3", "XYZ"), None),  # no XYZ price: the sent asset's, 0.1 x 50000
        swap("2024-02-03", ("0.1", "BTC"), ("1", "ETH"), "1800"),  # the stated fair value wins over prices
        sell("2024-02-04", "BTC", "0.1", "4000", currency="EUR"),  # another fiat: converted, 4000 x 1.1
        price=price)
    assert [str(d.proceeds) for d in result.disposals] == ["4000", "5000.0", "1800", "4400.0"]
    assert result.warnings == ()


def test_no_value_anywhere_is_a_warning_and_flags_the_rows():
    result = run(buy("2024-01-01", "BTC", "1", "20000"),
                 swap("2024-02-01", ("0.1", "BTC"), ("3", "XYZ"), None))
    assert codes(result) == ["missing_value"]
    warning = result.warnings[0]
    assert (warning.tx_ids, warning.account, warning.asset) == ((2,), "a", "BTC")
    assert "transaction 2" in warning.message and "0.1 BTC" in warning.message
    assert rows(result) == [("BTC", "0.1", "2024-01-01", "2024-02-01", "0", "2000", "-2000", "short", "sale")]
    assert result.disposals[0].value_missing
    xyz = [lot for lot in result.holdings if lot.asset == "XYZ"]
    assert [(str(lot.cost_basis), lot.basis_missing) for lot in xyz] == [("0", True)]


def test_selling_more_than_held():
    result = run(buy("2024-01-01", "BTC", "1", "100"), sell("2024-02-01", "BTC", "1.5", "300"))
    assert rows(result) == [
        ("BTC", "1", "2024-01-01", "2024-02-01", "200", "100", "100", "short", "sale"),
        ("BTC", "0.5", "2024-02-01", "2024-02-01", "100", "0", "100", "short", "sale"),
    ]
    missing = result.disposals[1]
    assert (missing.acquire_tx_id, missing.basis_missing) == (None, True)
    assert missing.acquired_at == at("2024-02-01")
    assert not result.disposals[0].basis_missing
    assert codes(result) == ["oversold"]
    assert result.warnings[0].amount == Decimal("0.5")
    assert "0.5 BTC" in result.warnings[0].message
    assert result.holdings == ()


@pytest.mark.parametrize(("kind", "category", "proceeds", "gain"), [
    (Kind.SPEND, "sale", "3000", "1000"), (Kind.FEE, "sale", "3000", "1000"),
    (Kind.GIFT, "gift", "0", "-2000"), (Kind.DONATION, "donation", "0", "-2000"),
    (Kind.LOST, "lost", "0", "-2000"),
])
def test_spend_fee_gift_donation_lost(kind, category, proceeds, gain):
    result = run(buy("2024-01-01", "BTC", "1", "20000"),
                 outflow(kind, "2024-03-01", "BTC", "0.1", fair_value="3000"))
    assert rows(result) == [
        ("BTC", "0.1", "2024-01-01", "2024-03-01", proceeds, "2000", gain, "short", category)]
    assert result.disposals[0].is_sale == (category == "sale")


def test_a_fee_on_a_spend_is_a_selling_expense():
    result = run(buy("2024-01-01", "BTC", "1", "20000"),
                 outflow(Kind.SPEND, "2024-03-01", "BTC", "0.1", fair_value="3000", fee="10"))
    assert rows(result) == [
        ("BTC", "0.1", "2024-01-01", "2024-03-01", "2990", "2000", "990", "short", "sale")]


def test_fiat_fees_that_change_nothing_need_no_value():
    result = run(buy("2024-01-01", "BTC", "1", "20000"),
                 income("2024-01-02", "BTC", "0.1", "2000", fee=("1", "EUR")),
                 outflow(Kind.GIFT, "2024-01-03", "BTC", "0.1", fee=("1", "EUR")),
                 withdrawal("2024-01-04", "BTC", "0.1", fee=("1", "EUR")),
                 deposit("2024-01-04", "BTC", "0.1"),
                 pool="per_account")
    assert [w.code for w in result.warnings] == []  # no EUR price needed: the fees add nothing anywhere
    assert [d.category for d in result.disposals] == ["gift"]


def test_a_fee_only_record_disposes_of_the_fee():
    fee_only = outflow(Kind.FEE, "2024-03-01", "BTC", "0.1", fair_value="3000")
    fee_only = dataclasses.replace(fee_only, sent=None, fee=fee_only.sent)
    result = run(buy("2024-01-01", "BTC", "1", "20000"), fee_only)
    assert rows(result) == [
        ("BTC", "0.1", "2024-01-01", "2024-03-01", "3000", "2000", "1000", "short", "sale")]


def test_fiat_is_never_a_lot_and_ignored_rows_are_skipped():
    ignored = buy("2024-01-02", "BTC", "5", "1")
    ignored = dataclasses.replace(ignored, kind=Kind.IGNORED)
    result = run(deposit("2024-01-01", "USD", "1000", account="a"), buy("2024-01-01", "BTC", "1", "100"),
                 ignored, withdrawal("2024-01-03", "EUR", "50"))
    assert lots(result) == [("BTC", "1", "2024-01-01", "100", "a")]
    assert result.warnings == ()


def test_until_excludes_later_transactions():
    ledger = [buy("2024-01-01", "BTC", "1", "100"), sell("2025-01-01", "BTC", "1", "200")]
    result = run(*ledger, until=at("2025-01-01"), pool="universal")
    assert result.disposals == ()
    assert lots(result) == [("BTC", "1", "2024-01-01", "100", "a")]


def test_ids_default_to_the_position_in_sorted_order():
    result = compute([sell("2024-02-01", "BTC", "1", "200"), buy("2024-01-01", "BTC", "1", "100")])
    assert [(d.acquire_tx_id, d.dispose_tx_id) for d in result.disposals] == [(0, 1)]


def test_gain_is_exact_without_rounding():
    result = run(buy("2024-01-01", "BTC", "3", "100"), sell("2024-02-01", "BTC", "1", "50"),
                 sell("2024-02-02", "BTC", "2", "50"))
    first, second = result.disposals
    assert first.cost_basis == Decimal("33.33333333333333333333333333333333")
    assert second.cost_basis == Decimal("66.66666666666666666666666666666667")  # the remainder
    with localcontext(prec=100):  # Python's default 28 digits would round these 34-digit shares
        assert first.cost_basis + second.cost_basis == Decimal(100)
        assert [d.gain for d in result.disposals] == [Decimal("16.66666666666666666666666666666667"),
                                                      Decimal("-16.66666666666666666666666666666667")]
        assert all(d.gain == d.proceeds - d.cost_basis for d in result.disposals)


@pytest.mark.parametrize(("settings", "names"), [
    ({"method": "fofi"}, "'fofi': use one of fifo, lifo, hifo, average"),
    ({"pool": "wallet"}, "'wallet': use one of auto, universal, per_account"),
    ({"timezone": "Mars/Olympus"}, "'Mars/Olympus': use an IANA name such as UTC, America/New_York"),
    ({"method_by_year": {2024: "best"}}, "'best' for tax year 2024: use one of fifo, lifo, hifo, average"),
    ({"method_by_year": {"2024": "fifo"}}, "tax year '2024' is not a year number"),
    ({"currency": "BTC"}, "'BTC' is not a fiat currency: use one of AED"),
    ({"transfer_window": -1}, "transfer_window must be a non-negative timedelta"),
])
def test_bad_settings_raise_config_error(settings, names):
    with pytest.raises(ConfigError) as error:
        EngineSettings(**settings)
    assert names in str(error.value)


def test_naive_until_is_a_config_error():
    with pytest.raises(ConfigError):
        compute([], EngineSettings(), until=at("2025-01-01").replace(tzinfo=None))


def test_settings_are_normalised_and_hashable():
    settings = EngineSettings(method="HIFO", method_by_year={2024: "Average"}, currency="usd")
    assert (settings.method, dict(settings.method_by_year), settings.currency) == (
        "hifo", {2024: "average"}, "USD")
    assert hash(settings) == hash(EngineSettings(method="hifo", method_by_year={2024: "average"}))
    assert settings.method_for(2024) == "average" and settings.method_for(2023) == "hifo"


def test_numbered_keeps_existing_ids():
    ledger = [buy("2024-01-01", "BTC", "1", "1", id=7), buy("2024-01-01", "BTC", "1", "1")]
    assert [tx.id for tx in numbered(ledger)] == [7, 2]


def test_keep_from_keeps_only_later_results_and_changes_nothing_else():
    from datetime import datetime

    from taxer.engine import compute
    from taxer.model import Kind, Leg, Transaction

    utc = UTC
    txs = [
        Transaction("a", datetime(2023, 1, 5, tzinfo=utc), Kind.TRADE, Leg("USD", Decimal("100")),
                    Leg("BTC", Decimal("2")),
                    source="t", external_id="1", id=1),
        Transaction("a", datetime(2023, 6, 5, tzinfo=utc), Kind.TRADE, Leg("BTC", Decimal("1")),
                    Leg("USD", Decimal("80")),
                    source="t", external_id="2", id=2),
        Transaction("a", datetime(2024, 6, 5, tzinfo=utc), Kind.INCOME, received=Leg("BTC", Decimal("1")),
                    fair_value=Decimal("30"), fair_value_currency="USD", label="staking", source="t", external_id="3",
                    id=3),
        Transaction("a", datetime(2024, 7, 5, tzinfo=utc), Kind.TRADE, Leg("BTC", Decimal("1.5")),
                    Leg("USD", Decimal("90")), source="t", external_id="4", id=4),
    ]
    full = compute(txs)
    kept = compute(txs, keep_from=datetime(2024, 1, 1, tzinfo=utc))
    assert [d.dispose_tx_id for d in full.disposals] == [2, 4, 4]
    assert [d.dispose_tx_id for d in kept.disposals] == [4, 4]
    assert kept.disposals == full.disposals[1:] and kept.income == full.income
    # the 2024 sale still consumes the 2023 lot at 50/BTC first: 1 BTC at 50 + 0.5 BTC of income at 30
    assert [d.cost_basis for d in kept.disposals] == [Decimal("50"), Decimal("15")]
    assert kept.holdings == full.holdings and kept.warnings == full.warnings
