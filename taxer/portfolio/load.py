"""Reading what a portfolio needs from a workspace: settings, the ledger up to the moment, corrections, prices.

The options resolve as a report's do (given, else `taxer config`, else the country's defaults); the price book is
the report's, so a value here is the value a report would use at that instant.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from sqlalchemy import Engine

from taxer import config
from taxer.corrections import apply
from taxer.countries import country as country_named
from taxer.errors import ConfigError
from taxer.portfolio.build import Inputs, Portfolio, build, end_of_day
from taxer.pricing.book import PriceBook
from taxer.store import corrections as stored_corrections
from taxer.store import ledger, prices
from taxer.store import settings as stored_settings


def moment(at: datetime | date | None, settings) -> datetime:
    """The instant a portfolio is taken at: now, an aware instant, or the end of a local date."""
    if at is None:
        return ledger.now()
    if isinstance(at, datetime):
        if at.tzinfo is None or at.utcoffset() is None:
            raise ConfigError(f"--at {at.isoformat()} has no time zone: give a date, or a timestamp with one")
        return at
    return end_of_day(at, settings)


def inputs(engine: Engine, *, at: datetime | date | None = None, currency: str | None = None,
           country: str | None = None, method: str | None = None, timezone: str | None = None,
           pool: str | None = None) -> tuple[Inputs, datetime]:
    """The portfolio's inputs from the workspace, and the instant it is taken at."""
    with engine.connect() as conn:
        stored = stored_settings.load(conn)
    opts = config.resolve(stored, method=method, country=country, currency=currency, timezone=timezone, pool=pool)
    rules = country_named(opts.country)
    settings = replace(rules.settings(method=opts.method, currency=opts.currency, timezone=opts.timezone,
                                      pool=opts.pool), transfer_window=opts.transfer_window)
    when = moment(at, settings)
    with engine.connect() as conn:
        txs = list(ledger.query_transactions(conn, until=when))
        accounts = ledger.list_accounts(conn)
        book = PriceBook(prices.load(conn, until=when + timedelta(microseconds=1)), candle=opts.candle_price,
                         sources=config.price_sources(accounts))
        made = stored_corrections.load(conn)
    corrected, overrides, _outcome = apply(txs, made, settings.currency)
    return Inputs(corrected, settings, rules, book.price, overrides,
                  {a.name: a.settings for a in accounts}), when


def load(engine: Engine, **options) -> tuple[Portfolio, Inputs]:
    """The portfolio of the workspace (options as `inputs`), with its inputs for the page's history."""
    found, when = inputs(engine, **options)
    return build(found, when), found


def year_page(tax_year) -> bytes:
    """portfolio.html for a tax year's report package: the page at the year's last instant, with its history."""
    from taxer.portfolio.history import history
    from taxer.reports.portfolio_html import portfolio_page

    found, inputs = for_tax_year(tax_year)
    return portfolio_page(found, history(inputs, found), title=f"Portfolio at the end of tax year "
                                                               f"{tax_year.params.year_label}")


def for_tax_year(tax_year) -> tuple[Portfolio, Inputs]:
    """The portfolio at the last instant of a loaded tax year (`taxer.year.TaxYear`), for its report package."""
    corrected, overrides, _outcome = apply(tax_year.transactions, tax_year.corrections, tax_year.settings.currency)
    found = Inputs(corrected, tax_year.settings, tax_year.rules, tax_year.book.price,
                   overrides, tax_year.account_settings)
    return build(found, tax_year.params.period_end - timedelta(microseconds=1)), found
