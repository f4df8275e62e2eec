"""Plain views of ledger records for the terminal and for JSON output (amounts as decimal strings)."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING

from taxer.model import Leg, Transaction

if TYPE_CHECKING:
    from taxer.store.ledger import AccountInfo


def _amount(leg: Leg | None) -> str | None:
    return format(leg.amount, "f") if leg else None


def transaction_json(tx: Transaction) -> dict:
    """One transaction as a JSON-ready dict: amounts as exact decimal strings, time ISO 8601 UTC."""
    return {
        "id": tx.id, "timestamp": tx.timestamp.isoformat(), "account": tx.account, "kind": tx.kind.value,
        "sent_amount": _amount(tx.sent), "sent_asset": tx.sent.asset if tx.sent else None,
        "received_amount": _amount(tx.received), "received_asset": tx.received.asset if tx.received else None,
        "fee_amount": _amount(tx.fee), "fee_asset": tx.fee.asset if tx.fee else None,
        "fair_value": format(tx.fair_value, "f") if tx.fair_value is not None else None,
        "fair_value_currency": tx.fair_value_currency, "label": tx.label, "description": tx.description,
        "tx_hash": tx.tx_hash, "source": tx.source, "external_id": tx.external_id,
    }


def _leg_text(leg: Leg | None) -> str:
    return f"{leg.amount:f} {leg.asset}" if leg else ""


LEDGER_HEADER = f"{'id':>7}  {'time (UTC)':19}  {'account':12}  {'kind':10}  {'sent':>22}  {'received':>22}  " \
                f"{'fee':>16}  label"


def transaction_line(tx: Transaction) -> str:
    return (f"{tx.id:>7}  {tx.timestamp:%Y-%m-%d %H:%M:%S}  {tx.account[:12]:12}  {tx.kind.value:10}  "
            f"{_leg_text(tx.sent):>22}  {_leg_text(tx.received):>22}  {_leg_text(tx.fee):>16}  {tx.label or ''}")


def account_json(acct: AccountInfo) -> dict:
    return {"name": acct.name, "kind": acct.kind, "exchange": acct.exchange_id, "api_url": acct.api_url,
            "transactions": acct.transactions, "created_at": acct.created_at.isoformat()}


def render_summary(summary: dict) -> str:
    """The few lines of a report's summary.json a person reads on the terminal (and the country's own totals)."""
    cur = summary["currency"]
    us = summary.get("country", "us") == "us"
    lines: list[tuple[str, object]] = [
        ("disposals on Form 8949" if us else "disposals (pieces)", summary["disposals"]),
        ("proceeds", summary["proceeds"]), ("cost basis" if us else "costs", summary["cost_basis"])]
    if us:
        lines += [("short-term gain", summary["short_term_gain"]), ("long-term gain", summary["long_term_gain"])]
    lines += [("total gain", summary["total_gain"]), ("income", summary["income"])]
    lines += [(key.replace("_", " "), value) for key, value in (summary.get("country_totals") or {}).items()]
    width = max(len(label) for label, _ in lines)

    def shown(value: object) -> str:
        text = str(value)
        money = isinstance(value, str) and text.lstrip("-").replace(".", "", 1).isdigit() and "." in text
        return f"{text:>12} {cur}" if money else f"{text:>12}"

    rows = [f"Tax year {summary['year']} ({summary['country'].upper()}, {summary['method'].upper()}, {cur})"]
    rows += [f"  {label:<{width}} {shown(value)}" for label, value in lines]
    if summary["warnings"]:
        rows.append(f"  WARNINGS: {summary['warnings']} (see warnings.csv): figures may be incomplete until resolved")
    return "\n".join(rows)


def on_terminal() -> bool:
    """Whether progress may be drawn: only when stderr is a terminal (a pipe, a file or a test gets the final
    lines alone)."""
    return sys.stderr.isatty()


@contextmanager
def live_progress(*, delay: float = 1.0, console=None, eta: bool = False):
    """A rich Progress on stderr, drawn only on a terminal and only once the work has taken `delay` seconds (a
    quick command shows nothing); None elsewhere. It disappears when the work ends, leaving the final lines."""
    if console is None and not on_terminal():
        yield None
        return
    import threading

    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn() if eta else TimeElapsedColumn()]
    # No redirection of stdout: what a command prints there while the bar is drawn stays on stdout (a pipe).
    bar = Progress(*columns, console=console or Console(stderr=True), transient=True, redirect_stdout=False,
                   redirect_stderr=False)
    lock, state = threading.Lock(), {"started": False, "done": False}

    def show() -> None:
        with lock:
            if not state["done"]:
                bar.start()
                state["started"] = True

    timer = threading.Timer(delay, show)
    timer.daemon = True
    timer.start()
    try:
        yield bar
    finally:
        timer.cancel()
        with lock:
            state["done"] = True
            if state["started"]:
                bar.stop()


# What the user reads while `taxer report` works on each of taxer.api.REPORT_STAGES.
REPORT_STAGE_TEXT = {"ledger": "Reading the ledger", "engine": "Computing lots and gains",
                     "view": "Assembling the report", "files": "Writing the CSV and JSON files",
                     "pdf": "Rendering report.pdf (pages)"}


@contextmanager
def report_progress(**options):
    """(on_stage, on_pages) for `taxer.api.report`: the stage under way, and the PDF's pages as a bar; (None,
    None) when not on a terminal."""
    with live_progress(**options) as bar:
        if bar is None:
            yield None, None
            return
        task = bar.add_task("Starting", total=None)

        def on_stage(name: str) -> None:
            bar.reset(task, description=REPORT_STAGE_TEXT.get(name, name), total=None)

        def on_pages(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield on_stage, on_pages


@contextmanager
def prices_progress(**options):
    """on_progress for `taxer.api.fetch_prices`: values needed, candle pages fetched of those planned, and the
    time left; None when not on a terminal."""
    with live_progress(eta=True, **options) as bar:
        if bar is None:
            yield None
            return
        task = bar.add_task("Finding the values the year needs", total=None)

        def update(progress) -> None:
            bar.update(task, description=f"{progress.needed:,} values needed; candle pages",
                       completed=progress.pages, total=progress.planned or None)

        yield update


@contextmanager
def import_progress(**options):
    """on_rows(path, rows read) for `taxer.api.import_csv`; None when not on a terminal."""
    with live_progress(**options) as bar:
        if bar is None:
            yield None
            return
        task = bar.add_task("Reading", total=None)

        def update(path: str, rows: int) -> None:
            bar.update(task, description=f"{path}: {rows:,} rows read")

        yield update


@contextmanager
def sync_status(log, enabled: bool = True):
    """(on_page, log) for a sync: a live status line per page on a terminal, with log lines printed above it.

    Elsewhere (a pipe, a file, --quiet) there is no status line and log lines go to `log` as they are.
    """
    if not enabled or not sys.stderr.isatty():
        yield None, log
        return
    from rich.console import Console

    console = Console(stderr=True, highlight=False)
    with console.status("connecting...") as status:
        def update(account: str, progress) -> None:
            status.update(f"{account}: {progress.stream} page {progress.pages}, {progress.records:,} records, "
                          f"{progress.inserted:,} new")

        yield update, lambda line: console.print(line, markup=False)


def correction_json(c, records: dict | None = None) -> dict:
    """One correction as a JSON-ready dict (who, when, why, what, the ledger ids of its records where they are
    still there, and its revocation if any)."""
    records = records or {}
    ids = {name: records[t].id if t in records else None for name, t in (("transaction_id", c.target),
                                                                          ("other_id", c.other))}
    return {"id": c.id, "kind": c.kind, "target": str(c.target), "other": str(c.other) if c.other else None, **ids,
            "value": dict(c.value), "change": c.describe(), "note": c.note, "by": c.author,
            "created_at": c.created_at.isoformat(),
            "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None, "revoked_by": c.revoked_by,
            "revoke_note": c.revoke_note}


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _item_lines(number: str, item) -> list[str]:
    lines = [f"\n{number} [{item.code}] {item.message}"]
    for s in item.suggestions:
        if s.command:
            lines.append(f"   $ {s.command}")
        lines.append(f"     {s.effect}")
    return lines


def render_review(review, *, each: bool = False, shown: int = 3) -> str:
    """`taxer review` as text. Warnings of one kind and asset come as one group (its count, the commands that
    resolve the whole group, then the first `shown` warnings with their own commands); `each`: every warning."""
    if not review.items:
        return f"Review of {review.year_label}: no open warnings."
    groups = review.groups()
    head = f"Review of {review.year_label}: {_plural(len(review.items), 'open warning')}"
    if not each and any(g.commands for g in groups):
        head += f" in {_plural(len(groups), 'group')} (by kind and asset; --each lists every one)"
    lines = [head]
    n = 0
    for g, group in enumerate(groups, start=1):
        if each or not group.commands:
            for item in group.items:
                n += 1
                lines += _item_lines(f"{n}.", item)
            continue
        n += len(group.items)
        where = f" in {', '.join(group.accounts)}" if group.accounts else ""
        lines.append(f"\n== Group {g}: {_plural(len(group.items), group.code + ' warning')}, "
                     f"{group.asset or 'no asset'}{where}")
        lines += [f"   $ {s.command}\n     {s.effect}" for s in group.commands]
        lines.append(f"   The first {min(shown, len(group.items))} of them, each with its own fix "
                     f"(`taxer review --code {group.code}" + (f" --asset {group.asset}" if group.asset else "")
                     + " --each` lists all):")
        for k, item in enumerate(group.items[:shown], start=1):
            lines += _item_lines(f"  {g}.{k}", item)
    return "\n".join(lines)


def describe_record(target, tx) -> str:
    """A correction's record as a person finds it in `taxer ledger`: id, date, kind and amounts."""
    if tx is None:
        return f"{target} (no longer in the ledger)"
    legs = ", ".join(f"{name} {_leg_text(leg)}" for name, leg in (("sent", tx.sent), ("received", tx.received))
                     if leg is not None)
    return f"#{tx.id} {tx.timestamp:%Y-%m-%d} {tx.kind.value} {legs} ({tx.account})"
