"""Builders for the hand-computed law tests: ledgers in any currency, a country's run, its lines and totals.

Expected figures in these tests are worked out by hand in comments, with the rule they rest on; none is taken
from the code under test.
"""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from taxer.countries import country
from taxer.engine import compute
from taxer.model import Kind, Leg, Transaction
from taxer.money import cents
from taxer.reports import form8949
from tests.engine.helpers import _s, at, numbered


def trade(when: str, sent: tuple[str, str], received: tuple[str, str], account: str = "a",
          fee: tuple[str, str] | None = None) -> Transaction:
    """A trade: `sent` and `received` are (amount, asset); `fee` is (amount, asset)."""
    return Transaction(account=account, timestamp=at(when), kind=Kind.TRADE,
                       sent=Leg(sent[1], Decimal(sent[0])), received=Leg(received[1], Decimal(received[0])),
                       fee=None if fee is None else Leg(fee[1], Decimal(fee[0])))


def buy(when: str, asset: str, amount: str, cost: str, currency: str, account: str = "a", fee: str | None = None):
    return trade(when, (cost, currency), (amount, asset), account, None if fee is None else (fee, currency))


def sell(when: str, asset: str, amount: str, proceeds: str, currency: str, account: str = "a",
         fee: str | None = None):
    return trade(when, (amount, asset), (proceeds, currency), account, None if fee is None else (fee, currency))


def gift(when: str, asset: str, amount: str, value: str, currency: str, label: str | None = None,
         account: str = "a", kind: Kind = Kind.GIFT) -> Transaction:
    """Coins given away, worth `value` in `currency` (the market value the ledger records)."""
    return Transaction(account=account, timestamp=at(when), kind=kind, sent=Leg(asset, Decimal(amount)),
                       fair_value=Decimal(value), fair_value_currency=currency, label=label)


def move(when: str, asset: str, sent: str, received: str, value: str, currency: str, source: str = "a",
         target: str = "b") -> tuple[Transaction, Transaction]:
    """A transfer between own accounts: `sent` leaves `source`, `received` arrives in `target`; `value` is the
    market value of what was sent (it prices the network fee)."""
    out = Transaction(account=source, timestamp=at(when), kind=Kind.WITHDRAWAL, sent=Leg(asset, Decimal(sent)),
                      fair_value=Decimal(value), fair_value_currency=currency)
    arrive = Transaction(account=target, timestamp=at(when), kind=Kind.DEPOSIT,
                         received=Leg(asset, Decimal(received)))
    return out, arrive


def run(code: str, *txs, year: int | None = None, **options):
    """The country's engine run over the transactions (numbered 1, 2, 3...), for tax year `year` if given."""
    rules = country(code)
    settings = rules.settings(**options)
    flat = []
    for tx in txs:
        flat.extend(tx if isinstance(tx, tuple) else (tx,))
    if year is None:
        return compute(numbered(flat), settings)
    start, end = rules.bounds(year, settings.timezone)
    return compute(numbered(flat), settings, until=end, keep_from=start)


def other_lines(result) -> tuple:
    """The other disposals as the report prints them (cents; gain = proceeds - basis)."""
    out = []
    for d in result.disposals:
        if d.is_sale:
            continue
        proceeds, basis = cents(d.proceeds), cents(d.cost_basis)
        out.append(SimpleNamespace(category=d.category, date_disposed=str(d.disposed_date), asset=d.asset,
                                   proceeds=proceeds, cost_basis=basis, gain=proceeds - basis, term=d.term))
    return tuple(out)


def year_figures(result, year: int) -> tuple:
    """(year, sale lines, income, other lines) of one year, as Country.year_totals takes them."""
    return (year, tuple(form8949.lines(result.disposals, year, {})), {}, other_lines(result))


def totals(code: str, year: int, result, history=(), **options) -> dict:
    """The country's totals of `year`, other disposals counted, losses carried from `history`."""
    _, lines, income, other = year_figures(result, year)
    return country(code).year_totals(year, lines, income, other, history=history, **options)


def rows(result) -> list[tuple]:
    """(category, amount, proceeds, basis, gain, term) per disposal piece."""
    return [(d.category, _s(d.amount), _s(d.proceeds), _s(d.cost_basis), _s(d.gain), d.term)
            for d in result.disposals]
