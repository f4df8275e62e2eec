"""The portfolio page: one self-contained HTML file (inline CSS, inline SVG charts, a few lines of inline JS).

Nothing on the page asks the network for anything: no fonts, scripts, images or styles from elsewhere. It formats
what `taxer.portfolio` assembled from the engine's result; it computes nothing of its own but chart geometry.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape
from typing import TYPE_CHECKING

from taxer.money import quantity
from taxer.words import plural

if TYPE_CHECKING:
    from taxer.portfolio.build import Portfolio
    from taxer.portfolio.history import History

PALETTE = ("#2f6db5", "#e08a1e", "#3a9d5d", "#c84c4c", "#8a5cc2", "#1aa3a3", "#b5873a", "#d45fa0", "#6b7b8c",
           "#9bbb3b")
UPCOMING_DAYS = 90  # lots turning long-term within this many days are highlighted

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f5f6f8;color:#1d2430}
main{max-width:1140px;margin:0 auto;padding:20px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:0 0 10px}
.sub{color:#5b6573;margin-bottom:16px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:10px;margin-bottom:16px}
.card,.panel{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:12px 14px}
.card b{display:block;font-size:19px;margin-top:2px}.card span{color:#5b6573;font-size:12px}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:14px;margin-bottom:14px}
.panel{margin-bottom:14px}.grid .panel{margin-bottom:0}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:5px 8px;border-bottom:1px solid #e6e9ee;text-align:right;white-space:nowrap}
th:first-child,td:first-child,th.t{text-align:left}
.text2 td:nth-child(-n+2),.text3 td:nth-child(-n+3){text-align:left}
th{background:#eef1f5;cursor:pointer;user-select:none}th.asc::after{content:" \\25B2"}th.desc::after{content:" \\25BC"}
tfoot td{font-weight:600;border-top:2px solid #c9ced6}
.pos{color:#23804a}.neg{color:#b53434}.missing{color:#b53434;font-style:italic}
.note{color:#5b6573;font-size:12px;margin-top:6px}.soon{background:#fff6e0}
svg text{font:11px system-ui,sans-serif;fill:#3d4654}
@media (max-width:800px){.grid{grid-template-columns:1fr}}
"""

# Sort a table by the clicked column (a second click reverses it).
JS = """
document.querySelectorAll("table.sortable").forEach(function(t){
  t.querySelectorAll("thead th").forEach(function(th,i){
    th.addEventListener("click",function(){
      var body=t.tBodies[0],rows=Array.from(body.rows),asc=!th.classList.contains("asc");
      t.querySelectorAll("th").forEach(function(h){h.classList.remove("asc","desc")});
      th.classList.add(asc?"asc":"desc");
      // A figure sorts by its exact value (data-v); a missing one ("") below every figure; text by its text.
      function key(r){var c=r.cells[i],v=c.getAttribute("data-v");
        return v===null?c.textContent:(v===""?-Infinity:parseFloat(v))}
      rows.sort(function(a,b){var x=key(a),y=key(b),r;
        if(typeof x==="number"&&typeof y==="number"){r=x<y?-1:x>y?1:0}else{r=String(x).localeCompare(String(y))}
        return asc?r:-r});
      rows.forEach(function(r){body.appendChild(r)});
    });
  });
});
document.body.setAttribute("data-ready","1");
"""


def _fmt(value: Decimal | None, cur: str = "") -> str:
    if value is None:
        return '<span class="missing">missing</span>'
    text = f"{value:,.2f}" + (f" {cur}" if cur else "")
    return escape(text)


def _signed(value: Decimal | None) -> str:
    if value is None:
        return '<td class="missing" data-v="">missing</td>'
    cls = "pos" if value > 0 else "neg" if value < 0 else ""
    return f'<td class="{cls}" data-v="{value}">{value:,.2f}</td>'


def _num(value: Decimal | None, text: str | None = None) -> str:
    if value is None:
        return '<td class="missing" data-v="">missing</td>'
    return f'<td data-v="{value}">{escape(text if text is not None else f"{value:,.2f}")}</td>'


def _pct(value: Decimal | None) -> str:
    return '<td data-v="">-</td>' if value is None else f'<td data-v="{value}">{value * 100:.1f} %</td>'


def _plot(value: Decimal | None) -> float | None:
    """A chart coordinate or bar length from a Decimal; None stays a gap."""
    return None if value is None else float(value)  # not money: a position in pixels; printed figures stay Decimal


def _short(value: float) -> str:
    """An axis label: 1.2k, 3.4M."""
    magnitude = abs(value)
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if magnitude >= div:
            return f"{value / div:.1f}{suffix}"
    return f"{value:.0f}"


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    if high == low:
        high = low + 1
    raw = (high - low) / count
    step = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if step * factor >= raw:
            step *= factor
            break
    start = int(low // step) * step
    ticks, t = [], start
    while t <= high + step * 0.001:
        ticks.append(t)
        t += step
    if ticks[-1] < high:
        ticks.append(t)
    return ticks


# --- charts: inline SVG -----------------------------------------------------------------------------------------

def line_chart(labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[float]]],
               hollow: Sequence[bool] = (), width: int = 1080, height: int = 300) -> str:
    """Lines over labelled x points; `series` are (name, colour, values); hollow markers for incomplete points."""
    if not labels:
        return '<p class="note">No history yet.</p>'
    left, right, top, bottom = 64, 16, 14, 40
    values = [v for _, _, vs in series for v in vs] or [0.0]
    ticks = _ticks(min(0.0, min(values)), max(values))
    lo, hi = ticks[0], ticks[-1]
    n = len(labels)

    def x(i: int) -> float:
        return left + (width - left - right) * (i / (n - 1) if n > 1 else 0.5)

    def y(v: float) -> float:
        return top + (height - top - bottom) * (1 - (v - lo) / (hi - lo))

    out = [f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="net worth over time">']
    for t in ticks:
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="#e3e6eb"/>'
                   f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end">{_short(t)}</text>')
    every = max(1, -(-n // 12))
    for i, label in enumerate(labels):
        if i % every == 0 and n - 1 - i >= every / 2 or i == n - 1:
            anchor = "end" if i == n - 1 and n > 1 else "middle"
            out.append(f'<text x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="{anchor}">{escape(label)}</text>')
    for name, colour, vs in series:
        path = " ".join(f"{'M' if i == 0 else 'L'}{x(i):.1f},{y(v):.1f}" for i, v in enumerate(vs))
        out.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"><title>{escape(name)}</title>'
                   '</path>')
        for i, v in enumerate(vs):
            fill = "#fff" if i < len(hollow) and hollow[i] else colour
            out.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{fill}" stroke="{colour}">'
                       f'<title>{escape(labels[i])}: {escape(name)} {v:,.2f}</title></circle>')
    lx = left
    for name, colour, _ in series:
        out.append(f'<rect x="{lx}" y="{height - 14}" width="12" height="4" fill="{colour}"/>'
                   f'<text x="{lx + 16}" y="{height - 9}">{escape(name)}</text>')
        lx += 20 + 7 * len(name) + 20
    out.append("</svg>")
    return "".join(out)


def bar_list(items: Sequence[tuple[str, float, str]], width: int = 520) -> str:
    """Horizontal bars for shares: (label, fraction 0..1, text shown at the bar's end)."""
    if not items:
        return '<p class="note">Nothing priced.</p>'
    row, label_w = 26, 110
    height = row * len(items) + 6
    out = [f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="allocation">']
    span = width - label_w - 130
    for i, (label, fraction, text) in enumerate(items):
        top = 4 + i * row
        w = max(1.0, span * fraction)
        colour = PALETTE[i % len(PALETTE)]
        out.append(f'<text x="0" y="{top + 15}">{escape(label[:16])}</text>'
                   f'<rect x="{label_w}" y="{top + 3}" width="{w:.1f}" height="16" rx="3" fill="{colour}">'
                   f'<title>{escape(label)}: {escape(text)}</title></rect>'
                   f'<text x="{label_w + w + 6:.1f}" y="{top + 15}">{escape(text)}</text>')
    out.append("</svg>")
    return "".join(out)


def column_chart(labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[float | None]]],
                 width: int = 520, height: int = 260) -> str:
    """Vertical bars per label, one per series side by side, around a zero line (negative bars go down)."""
    if not labels:
        return '<p class="note">Nothing yet.</p>'
    left, right, top, bottom = 56, 8, 12, 44
    values = [v for _, _, vs in series for v in vs if v is not None] or [0.0]
    ticks = _ticks(min(0.0, min(values)), max(0.0, max(values)))
    lo, hi = ticks[0], ticks[-1]

    def y(v: float) -> float:
        return top + (height - top - bottom) * (1 - (v - lo) / (hi - lo))

    out = [f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="bar chart">']
    for t in ticks:
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="#e3e6eb"/>'
                   f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end">{_short(t)}</text>')
    slot = (width - left - right) / len(labels)
    bar = max(2.0, slot * 0.8 / len(series))
    every = max(1, -(-len(labels) // 6))
    for i, label in enumerate(labels):
        x0 = left + i * slot + slot * 0.1
        for k, (name, colour, vs) in enumerate(series):
            v = vs[i]
            if v is None:
                continue
            y0, y1 = sorted((y(0.0), y(v)))
            out.append(f'<rect x="{x0 + k * bar:.1f}" y="{y0:.1f}" width="{bar - 1:.1f}" '
                       f'height="{max(y1 - y0, 0.5):.1f}" fill="{colour}">'
                       f'<title>{escape(label)}: {escape(name)} {v:,.2f}</title></rect>')
        if i % every == 0:
            out.append(f'<text x="{left + (i + 0.5) * slot:.1f}" y="{height - bottom + 15}" '
                       f'text-anchor="middle">{escape(label)}</text>')
    out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(0.0):.1f}" y2="{y(0.0):.1f}" stroke="#8a93a0"/>')
    lx = left
    for name, colour, _ in series:
        out.append(f'<rect x="{lx}" y="{height - 14}" width="12" height="8" fill="{colour}"/>'
                   f'<text x="{lx + 16}" y="{height - 6}">{escape(name)}</text>')
        lx += 36 + 7 * len(name)
    out.append("</svg>")
    return "".join(out)


# --- the page ----------------------------------------------------------------------------------------------------

def _table(head: Sequence[str], rows: Sequence[str], foot: str = "", cls: str = "sortable", text: int = 1) -> str:
    """A table whose first `text` columns are text (left-aligned), the others figures."""
    ths = "".join(f'<th{" class=t" if i < text else ""}>{escape(h)}</th>' for i, h in enumerate(head))
    if text > 1:
        cls += f" text{text}"
    return (f'<table class="{cls}"><thead><tr>{ths}</tr></thead><tbody>{"".join(rows)}</tbody>'
            f'{f"<tfoot>{foot}</tfoot>" if foot else ""}</table>')


def _holdings_panel(p: Portfolio) -> str:
    cur, period = p.currency, p.holding_period
    head = ["asset", "quantity", f"price ({cur})", "cost basis", "value", "unrealized gain", "share"]
    if period:
        head += ["short-term", "long-term"]
    rows = []
    for h in p.assets:
        cells = (f"<td>{escape(h.asset)}{' *' if h.basis_missing else ''}</td>{_num(h.quantity, quantity(h.quantity))}"
                 f"{_num(h.price)}{_num(h.cost_basis)}{_num(h.value)}{_signed(h.unrealized_gain)}{_pct(h.share)}")
        if period:
            cells += _signed(h.short_term_gain) + _signed(h.long_term_gain)
        rows.append(f"<tr>{cells}</tr>")
    foot = (f"<tr><td>Total</td><td></td><td></td><td>{_fmt(p.total_cost_basis)}</td><td>{_fmt(p.total_value)}</td>"
            f"<td>{_fmt(p.unrealized_gain)}</td><td>100.0 %</td>")
    if period:
        foot += f"<td>{_fmt(p.short_term_gain)}</td><td>{_fmt(p.long_term_gain)}</td>"
    foot += "</tr>"
    note = ""
    if p.missing_prices:
        note = (f'<p class="note">No cached {cur} price at this moment for {escape(", ".join(p.missing_prices))}: '
                "shown as missing, left out of value, gain and shares (the cost basis counts them).</p>")
    if any(h.basis_missing for h in p.assets):
        note += '<p class="note">* part of the cost basis is unknown (counted as 0 until supplied).</p>'
    account_rows = [f"<tr><td>{escape(a.account)}</td>{_num(a.cost_basis)}{_num(a.value)}{_signed(a.unrealized_gain)}"
                    f"{_pct(a.share)}<td>{escape(', '.join(a.missing_prices))}</td></tr>" for a in p.accounts]
    cell_head = ["account", "asset", "quantity", "cost basis", "value", "unrealized gain", "share"]
    cells = [f"<tr><td>{escape(h.account)}</td><td>{escape(h.asset)}</td>{_num(h.quantity, quantity(h.quantity))}"
             f"{_num(h.cost_basis)}{_num(h.value)}{_signed(h.unrealized_gain)}{_pct(h.share)}</tr>"
             for a in p.accounts for h in a.holdings]
    return (f'<section class="panel" id="holdings"><h2>Holdings by asset</h2>{_table(head, rows, foot)}{note}</section>'
            f'<section class="panel" id="accounts"><h2>Holdings by account</h2>'
            f'{_table(["account", "cost basis", "value", "unrealized gain", "share", "not priced"], account_rows)}'
            f'<h2 style="margin-top:14px">Each asset in each account</h2>'
            f'{_table(cell_head, cells, text=2)}'
            "</section>")


def _lots_panel(p: Portfolio) -> str:
    if not p.holding_period:
        return ('<section class="panel" id="lots"><h2>Lots approaching their one-year date</h2><p class="note">'
                "This country's rules have no holding period: every gain counts alike.</p></section>")
    upcoming = sorted((x for x in p.lots if x.long_from is not None), key=lambda x: (x.long_from, x.asset))
    rows = []
    for x in upcoming:
        soon = ' class="soon"' if x.days_to_long is not None and x.days_to_long <= UPCOMING_DAYS else ""
        rows.append(f"<tr{soon}><td>{escape(x.asset)}</td><td>{escape(x.account)}</td>"
                    f"{_num(x.quantity, quantity(x.quantity))}<td>{x.acquired}</td><td>{x.long_from}</td>"
                    f'<td data-v="{x.days_to_long}">{x.days_to_long}</td>{_num(x.cost_basis)}{_num(x.value)}'
                    f"{_signed(x.unrealized_gain)}</tr>")
    # In one universal pool (or a country's own pooling) a lot is not in an account: it names where it was bought.
    head = ["asset", "account" if p.lots_located else "bought in", "quantity", "acquired", "long-term from",
            "days left", "cost basis", "value", "unrealized gain"]
    body = _table(head, rows, text=2) if rows else '<p class="note">Every lot held is already long-term.</p>'
    return (f'<section class="panel" id="lots"><h2>Lots approaching their one-year date</h2>{body}'
            f'<p class="note">Highlighted: within {UPCOMING_DAYS} days. A sale from the date shown on is long-term '
            "(US), tax-free (Germany) or gets the CGT discount (Australia).</p></section>")


def _sell_panel(p: Portfolio) -> str:
    s, cur = p.sell_now, p.currency
    rows = [("proceeds", s.proceeds), ("cost basis", s.cost_basis)]
    if p.holding_period:
        rows += [("short-term gain", s.short_term_gain), ("long-term gain", s.long_term_gain)]
    rows.append(("total gain", s.total_gain))
    extra = s.summary_with.get("country_totals") or {}
    lines = "".join(f"<tr><td>{escape(k)}</td><td>{_fmt(v)}</td></tr>" for k, v in rows)
    lines += "".join(f"<tr><td>{escape(k.replace('_', ' '))} (year, with the sales)</td><td>{escape(str(v))}</td></tr>"
                     for k, v in extra.items() if v is not None)
    left = (f'<p class="note">Not sold (no price): {escape(", ".join(s.excluded))}.</p>' if s.excluded else "")
    return (f'<section class="panel" id="sell"><h2>If I sold everything now (tax year {escape(s.year)}, {cur})</h2>'
            f'{_table(["figure", "amount"], [lines], cls="plain")}{left}<p class="note">Computed by the engine: the '
            "ledger plus one sale per asset and account at this moment at the cached price, the year's rules "
            "applied as in a report.</p></section>")


def portfolio_page(p: Portfolio, history: History | None = None, title: str = "Portfolio") -> bytes:
    """The page as UTF-8 bytes; `history` (taxer.portfolio.history) adds the charts over time."""
    cur = p.currency
    cards = [("Net worth", _fmt(p.total_value, cur)), ("Cost basis", _fmt(p.total_cost_basis, cur)),
             ("Unrealized gain", _fmt(p.unrealized_gain, cur))]
    if p.holding_period:
        cards += [("of which short-term", _fmt(p.short_term_gain, cur)),
                  ("of which long-term", _fmt(p.long_term_gain, cur))]
    cards.append((f"Gain if sold now ({p.sell_now.year})", _fmt(p.sell_now.total_gain, cur)))
    card_html = "".join(f'<div class="card"><span>{escape(k)}</span><b>{v}</b></div>' for k, v in cards)
    # _plot: bar lengths and chart coordinates; the figures printed on the page come from the Decimals (the
    # f-strings and the tables), never from these floats.
    assets = [(h.asset, _plot(h.share), f"{h.share * 100:.1f} % · {h.value:,.0f}") for h in p.assets
              if h.share is not None]
    accounts = [(a.account, _plot(a.share), f"{a.share * 100:.1f} % · {a.value:,.0f}") for a in p.accounts
                if a.share is not None]
    parts = [f'<div class="cards">{card_html}</div>']
    if history is not None:
        pts = history.net_worth
        parts.append(f'<section class="panel" id="networth"><h2>Net worth over time ({cur}, month ends)</h2>'
                     + line_chart(
            [x.label for x in pts], [("market value", PALETTE[0], [_plot(x.value) for x in pts])],
            hollow=[bool(x.missing) for x in pts]) + '<p class="note">Hollow points leave out holdings without a '
            "cached price at that month end.</p></section>")
    parts.append('<div class="grid">'
                 f'<section class="panel" id="by-asset"><h2>Allocation by asset</h2>{bar_list(assets)}</section>'
                 f'<section class="panel" id="by-account"><h2>Allocation by account</h2>{bar_list(accounts)}</section>'
                 "</div>")
    if history is not None:
        gains = history.gains
        income = history.income
        parts.append(
            '<div class="grid">'
            f'<section class="panel" id="gains"><h2>Realized and unrealized gain per tax year ({cur})</h2>'
            + column_chart([g.year for g in gains],
                           [("realized", PALETTE[2], [_plot(g.realized) for g in gains]),
                            ("unrealized at year end", PALETTE[4],
                             [_plot(g.unrealized) for g in gains])])
            + "</section>"
            f'<section class="panel" id="income"><h2>Income per month ({cur})</h2>'
            + column_chart([m.month for m in income], [("income", PALETTE[5], [_plot(m.value) for m in income])])
            + ('<p class="note">Some income had no known value and is not counted.</p>'
               if any(m.missing for m in income) else "") + "</section></div>")
    parts += [_holdings_panel(p), _lots_panel(p), _sell_panel(p)]
    if p.warnings:
        count, verb = plural(len(p.warnings), "warning"), "affects" if len(p.warnings) == 1 else "affect"
        parts.append(f'<section class="panel"><h2>Ledger warnings</h2><p class="note">{count} {verb} these figures: '
                     "run <code>taxer review</code>.</p></section>")
    sub = f"at {p.at:%Y-%m-%d %H:%M} UTC · {cur} · {p.country.upper()} rules · prices from the cache"
    html = ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            # No request may leave the machine: forbid every remote load, allow only what is inline.
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
            "script-src 'unsafe-inline'; img-src data:\">"
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body><main>"
            f'<h1>{escape(title)}</h1><div class="sub">{escape(sub)}</div>{"".join(parts)}'
            f'<p class="note">Written by taxer. Figures in {cur}; totals are sums of the rounded rows.</p>'
            f"</main><script>{JS}</script></body></html>\n")
    return html.encode("utf-8")
