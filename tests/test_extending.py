"""Extending taxer through its registries, as the README's "Extending taxer" section says: a toy CSV format, a
toy exchange, a toy accounting method and a toy country, each added with one registration call, then used."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from click.testing import CliRunner

from taxer import api, countries
from taxer.countries import Country
from taxer.engine import compute
from taxer.engine.methods import METHODS, Method
from taxer.engine.methods import register as register_method
from taxer.exchanges import registry
from taxer.exchanges.bitget import SPEC as BITGET
from taxer.importers import formats, rows
from taxer.model import Kind, Leg, Transaction


def _toy_row(row):
    # One toy layout: "When,Coin,Amount" -> a deposit of Amount Coin at When (UTC).
    return dict(timestamp=rows.utc_timestamp(row["When"], "When"), kind=Kind.DEPOSIT,
                received=rows.leg(row, "Amount", "Coin"))


@pytest.fixture
def toy_format():
    fmt = formats.register(formats.CsvFormat(name="toy", title="Toy wallet", required=("When", "Coin", "Amount"),
                                             parse_row=_toy_row))
    yield fmt
    formats._FORMATS.pop("toy")


def test_a_csv_format_is_one_module_and_one_register_call(tmp_path, toy_format):
    path = tmp_path / "toy.csv"
    path.write_text("When,Coin,Amount\n2024-03-01 10:00:00 UTC,BTC,0.25\n2024-03-02 11:30:00 UTC,ETH,2\n")
    engine = api.workspace(str(tmp_path / "t.db"))
    done = api.import_csv_file(engine, path, "wallet")
    assert (done.format, done.rows, done.inserted) == ("toy", 2, 2)
    got = [(tx.kind, tx.received, tx.timestamp, tx.source) for tx in api.transactions(engine)]
    assert got == [(Kind.DEPOSIT, Leg("BTC", Decimal("0.25")), datetime(2024, 3, 1, 10, tzinfo=UTC), "toy"),
                   (Kind.DEPOSIT, Leg("ETH", Decimal("2")), datetime(2024, 3, 2, 11, 30, tzinfo=UTC), "toy")]


def test_an_exchange_is_one_spec_and_one_register_call(tmp_path):
    # A spec for another ccxt id (here gate, with bitget's streams as a stand-in): the sync, the help texts and
    # `account add` all take it from the registry.
    spec = registry.register(replace(BITGET, id="gate", title="Gate", summary="toy: bitget's streams"))
    try:
        assert registry.spec_for("gate") is spec and registry.candle_limit("gate") == BITGET.candle_limit
        assert "gate" in registry.names()
        result = CliRunner().invoke(_fresh_cli(), ["--db", str(tmp_path / "t.db"), "account", "add", "main",
                                                   "--exchange", "gate"])
        assert result.exit_code == 0, result.output
        assert [(a.name, a.exchange_id) for a in api.accounts(api.workspace(str(tmp_path / "t.db")))] == \
            [("main", "gate")]
        help_text = CliRunner().invoke(_fresh_cli(), ["account", "add", "--help"]).output
        assert "gate" in help_text
    finally:
        registry._EXTRA.pop("gate")


def _fresh_cli():
    # Help texts are built when the CLI module is imported: import it anew, as a new process would.
    import importlib

    import taxer.cli

    return importlib.reload(taxer.cli).main


def _lot_by_amount_smallest_first(lot):
    return (lot.amount, lot.t, lot.seq)


@pytest.fixture
def toy_method():
    method = register_method(Method("smallest", "Smallest lot first (toy)", _lot_by_amount_smallest_first))
    yield method
    METHODS.pop("smallest")


@pytest.fixture
def toy_country(toy_method):
    rules = countries.register(Country(
        code="xx", name="Toyland", currency="EUR", zone="Europe/Paris", year_start=(1, 1),
        methods=("fifo", "smallest"), holding="Long-term after one year.", methodology=(("Toy rules", "None."),)))
    yield rules
    countries.COUNTRIES.pop("xx")


def _tx(n, day, kind, sent=None, received=None):
    return Transaction(account="a", timestamp=datetime(2024, 1, day, tzinfo=UTC), kind=kind, sent=sent,
                       received=received, source="t", external_id=str(n), id=n)


def test_a_method_and_a_country_are_one_register_call_each(toy_country):
    # Buy 2 BTC at 100 (day 1), 1 BTC at 400 (day 2); sell 1 BTC for 500 (day 3).
    # Smallest lot first takes the 1-BTC lot of day 2: gain 500 - 400 = 100. FIFO would take day 1's: 500 - 50 = 450.
    txs = [_tx(1, 1, Kind.TRADE, Leg("EUR", Decimal("100")), Leg("BTC", Decimal("2"))),
           _tx(2, 2, Kind.TRADE, Leg("EUR", Decimal("400")), Leg("BTC", Decimal("1"))),
           _tx(3, 3, Kind.TRADE, Leg("BTC", Decimal("1")), Leg("EUR", Decimal("500")))]
    rules = countries.country("xx")
    assert rules.method_title("smallest") == "Smallest lot first (toy)"
    gains = {name: sum(d.gain for d in compute(txs, rules.settings(method=name)).disposals)
             for name in ("smallest", "fifo")}
    assert gains == {"smallest": Decimal("100"), "fifo": Decimal("450")}
    assert rules.bounds(2024, rules.timezone(None))[0] == datetime(2023, 12, 31, 23, tzinfo=UTC)
