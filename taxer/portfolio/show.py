"""A portfolio for scripts (JSON, as INTERFACE.md states it) and for people (rich tables with totals)."""

from __future__ import annotations

from decimal import Decimal

from taxer.money import money, quantity
from taxer.portfolio.build import AccountHoldings, Holding, LotLine, Portfolio
from taxer.words import plural


def _money(value: Decimal | None) -> str | None:
    return None if value is None else money(value)


def _share(value: Decimal | None) -> float | None:
    # a share is a fraction of the total (INTERFACE.md: a JSON number from 0 to 1); the money beside it stays
    # Decimal text
    return None if value is None else float(value)  # not money: a fraction


def _holding_json(h: Holding) -> dict:
    return {"asset": h.asset, "quantity": quantity(h.quantity), "cost_basis": money(h.cost_basis),
            "value": _money(h.value), "unrealized_gain": _money(h.unrealized_gain), "share": _share(h.share),
            "price": None if h.price is None else format(h.price, "f"), "price_missing": h.price is None,
            "short_term_gain": _money(h.short_term_gain), "long_term_gain": _money(h.long_term_gain),
            "basis_missing": h.basis_missing}


def _account_json(a: AccountHoldings) -> dict:
    return {"account": a.account, "cost_basis": money(a.cost_basis), "value": money(a.value),
            "unrealized_gain": money(a.unrealized_gain), "share": _share(a.share),
            "missing_prices": list(a.missing_prices), "assets": [_holding_json(h) for h in a.holdings]}


def _lot_json(x: LotLine) -> dict:
    return {"asset": x.asset, "account": x.account, "quantity": quantity(x.quantity),
            "acquired": x.acquired.isoformat(), "cost_basis": money(x.cost_basis), "value": _money(x.value),
            "unrealized_gain": _money(x.unrealized_gain), "term": x.term or None,
            "long_term_from": x.long_from.isoformat() if x.long_from else None, "days_to_long_term": x.days_to_long,
            "basis_missing": x.basis_missing, "acquisition_tx_id": x.acquire_tx_id}


def portfolio_json(p: Portfolio) -> dict:
    """`taxer portfolio --json`: INTERFACE.md's fields first (money as decimal strings, `share` 0..1), then more.

    Totals of value and gain cover the priced holdings; `missing_prices` names the others (their value is null,
    never 0), and `complete` says whether there are any.
    """
    s = p.sell_now
    return {
        "at": p.at.isoformat(), "currency": p.currency, "total_value": money(p.total_value),
        "total_cost_basis": money(p.total_cost_basis), "unrealized_gain": money(p.unrealized_gain),
        "assets": [_holding_json(h) for h in p.assets], "accounts": [_account_json(a) for a in p.accounts],
        "country": p.country, "timezone": p.timezone, "holding_period": p.holding_period, "complete": p.complete,
        "missing_prices": list(p.missing_prices),
        "priced_cost_basis": money(p.priced_cost_basis),
        "short_term_gain": _money(p.short_term_gain), "long_term_gain": _money(p.long_term_gain),
        "lots": [_lot_json(x) for x in p.lots], "lots_located": p.lots_located,
        "sell_now": {"year": s.year, "proceeds": money(s.proceeds), "cost_basis": money(s.cost_basis),
                     "short_term_gain": money(s.short_term_gain), "long_term_gain": money(s.long_term_gain),
                     "total_gain": money(s.total_gain), "pieces": s.pieces, "not_sold": list(s.excluded),
                     "year_with_sales": s.summary_with, "year_without_sales": s.summary_before},
        "warnings": [{"code": w.code, "message": w.message} for w in p.warnings],
    }


def _m(value: Decimal | None) -> str:
    return "missing" if value is None else f"{value:,.2f}"


def _pct(value: Decimal | None) -> str:
    return "" if value is None else f"{value * 100:.1f} %"


def render(p: Portfolio, console) -> None:
    """Print the portfolio on a rich console: assets, accounts, the sell-now figures, lots turning long-term."""
    from rich.table import Table

    cur = p.currency
    title = f"Portfolio at {p.at:%Y-%m-%d %H:%M} UTC ({p.country.upper()}, {cur})"
    if not p.assets:
        console.print(f"{title}: nothing held.")
        return
    period = p.holding_period
    table = Table(title=title, show_footer=True)
    cols = [("asset", "TOTAL"), ("quantity", ""), (f"price {cur}", ""), ("cost basis", _m(p.total_cost_basis)),
            ("value", _m(p.total_value)), ("unrealized", _m(p.unrealized_gain)), ("share", "100.0 %")]
    if period:
        cols += [("short-term", _m(p.short_term_gain)), ("long-term", _m(p.long_term_gain))]
    for i, (name, foot) in enumerate(cols):
        table.add_column(name, footer=foot, justify="left" if i == 0 else "right", overflow="fold")
    for h in p.assets:
        row = [h.asset + (" *" if h.basis_missing else ""), quantity(h.quantity),
               "missing" if h.price is None else f"{h.price:,.2f}", _m(h.cost_basis), _m(h.value),
               _m(h.unrealized_gain), _pct(h.share)]
        if period:
            row += [_m(h.short_term_gain), _m(h.long_term_gain)]
        table.add_row(*row)
    console.print(table)

    accounts = Table(title="By account")
    for i, name in enumerate(("account", "cost basis", "value", "unrealized", "share", "not priced")):
        accounts.add_column(name, justify="left" if i in (0, 5) else "right")
    for a in p.accounts:
        accounts.add_row(a.account, _m(a.cost_basis), _m(a.value), _m(a.unrealized_gain), _pct(a.share),
                         ", ".join(a.missing_prices))
    console.print(accounts)

    notes = []
    if p.missing_prices:
        notes.append(f"No cached {cur} price at this moment for {', '.join(p.missing_prices)}: their value is "
                     "missing and left out of the totals of value and gain (cost basis counts them). Run "
                     "`taxer prices import` with your prices, or `taxer prices fetch`.")
    if any(h.basis_missing for h in p.assets):
        notes.append("* some coins have unknown cost basis (counted as 0): see `taxer review`.")
    s = p.sell_now
    sold = f"Selling everything priced now (tax year {s.year}, computed by the engine): proceeds {_m(s.proceeds)}, " \
           f"cost basis {_m(s.cost_basis)}, gain {_m(s.total_gain)} {cur}"
    if period:
        sold += f" (short-term {_m(s.short_term_gain)}, long-term {_m(s.long_term_gain)})"
    extra = s.summary_with.get("country_totals") or {}
    if extra:
        sold += "; the year's totals with these sales: " + ", ".join(
            f"{k.replace('_', ' ')} {v}" for k, v in extra.items() if v is not None and not isinstance(v, bool))
    notes.append(sold + ".")
    upcoming = sorted((x for x in p.lots if x.long_from is not None), key=lambda x: x.long_from)[:10]
    if upcoming:
        notes.append("Turning long-term next: " + "; ".join(
            f"{quantity(x.quantity)} {x.asset} ({'' if p.lots_located else 'bought in '}{x.account}) on {x.long_from} "
            f"(in {plural(x.days_to_long, 'day')})"
            for x in upcoming))
    if p.warnings:
        notes.append(f"{len(p.warnings)} ledger warnings: see `taxer review`.")
    for note in notes:
        console.print(note, markup=False, highlight=False)


def parse_moment(text: str | None):
    """--at: None (now), a bare date YYYY-MM-DD (a `date`: the end of that local day), or an aware timestamp."""
    from datetime import date, datetime

    from taxer.errors import ConfigError

    if text is None:
        return None
    value = text.strip()
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"--at {text!r} is not a date: use YYYY-MM-DD or an ISO 8601 timestamp with a zone "
                          "(2024-12-31T18:00:00+00:00)") from None
    if parsed.tzinfo is None:
        raise ConfigError(f"--at {text!r} has no time zone: add one (Z, +01:00) or give a bare date")
    return parsed
