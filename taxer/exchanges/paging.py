"""taxer's own pagination (ccxt's `paginate` silently stops early, see EXCHANGES.md), one function per style.

Each pager yields `Page`s: the records of one request and the position to resume from after them. The sync saves
that position in the same database transaction as the records, so a run killed at any moment resumes exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from taxer.errors import ExchangeError

Fetch = Callable[[int | None, int, dict], list[dict]]  # (since_ms, limit, params) -> unified records


@dataclass(frozen=True)
class Page:
    records: list[dict]
    cursor: dict       # JSON-able position after this page
    done: bool         # True on the stream's last page of this run


def _int_id(record: dict) -> int:
    return int(record["id"])


def id_ascending(fetch: Fetch, cursor: dict | None, *, limit: int, id_param: str) -> Iterator[Page]:
    """Ascending ids from a `fromId` style cursor (binance myTrades); the last short page ends the stream."""
    from_id = int((cursor or {}).get("from_id", 0))
    while True:
        records = fetch(None, limit, {id_param: from_id})
        if records:
            from_id = max(_int_id(r) for r in records) + 1
        done = len(records) < limit
        yield Page(records, {"from_id": from_id}, done)
        if done:
            return


def windows_id_descending(fetch: Fetch, cursor: dict | None, *, limit: int, window_ms: int, start_ms: int,
                          now_ms: int, before_param: str, until_param: str = "until",
                          id_of: Callable[[dict], int] = _int_id) -> Iterator[Page]:
    """Time windows no longer than the exchange allows, each paged newest-first with an `idLessThan` cursor (bitget;
    okx `after`, where `id_of` reads the bill id the exchange pages by rather than the record's own id).

    A window is finished when a page comes back short; the cursor then moves to the next window.
    """
    state = cursor or {}
    start = int(state.get("window_start", start_ms))
    before = state.get("before")
    if start >= now_ms:
        yield Page([], {"window_start": start, "before": None}, True)
        return
    while start < now_ms:
        end = min(start + window_ms, now_ms)
        params: dict[str, Any] = {until_param: end - 1}
        if before is not None:
            params[before_param] = before
        records = fetch(start, limit, params)
        if len(records) < limit:
            start, before = end, None
            yield Page(records, {"window_start": start, "before": None}, start >= now_ms)
        else:
            before = str(min(id_of(r) for r in records))
            yield Page(records, {"window_start": start, "before": before}, False)


def windows_offset(fetch: Fetch, cursor: dict | None, *, limit: int, window_ms: int, start_ms: int, now_ms: int,
                   until_param: str = "until", offset_param: str | None = "offset") -> Iterator[Page]:
    """Time windows paged by offset inside each window (binance deposits, withdrawals).

    Without an offset parameter (binance dividends) a full page means the window may hold more: it is narrowed
    and asked again, so no record is cut off.
    """
    state = cursor or {}
    start = int(state.get("window_start", start_ms))
    offset = int(state.get("offset", 0))
    span = window_ms
    if start >= now_ms:
        yield Page([], {"window_start": start, "offset": 0}, True)
        return
    while start < now_ms:
        end = min(start + span, now_ms)
        params: dict[str, Any] = {until_param: end - 1}
        if offset and offset_param:
            params[offset_param] = offset
        records = fetch(start, limit, params)
        if len(records) >= limit and offset_param:
            offset += len(records)
            yield Page(records, {"window_start": start, "offset": offset}, False)
        elif len(records) >= limit and end - start > 1000:
            span = max((end - start) // 2, 1000)
        else:
            start, offset, span = end, 0, window_ms
            yield Page(records, {"window_start": start, "offset": 0}, start >= now_ms)


class Counted(list):
    """A page of records with the total the exchange counts for the whole query (kraken's `count`)."""

    def __init__(self, records=(), total: int | None = None) -> None:
        super().__init__(records)
        self.total = total


class CountMismatch(ExchangeError):
    """Fewer records arrived than the exchange counted: a page was lost or the offsets moved."""


def offset_counted(fetch: Fetch, cursor: dict | None, *, limit: int, start_ms: int, now_ms: int,
                   offset_param: str = "ofs", until_param: str = "until") -> Iterator[Page]:
    """One time range paged newest-first by offset, checked against the total the exchange counts (kraken).

    The range's end is fixed for the whole walk and saved in the cursor, so records arriving meanwhile do not shift
    the offsets, and a killed run resumes at the same offset of the same range. The next run starts where this
    range ended. The walk ends when `total` records arrived (or, without a total, on a short page).
    """
    state = cursor or {}
    start = int(state.get("start", start_ms))
    end = int(state.get("end", now_ms))
    offset = int(state.get("offset", 0))
    if start >= end:
        yield Page([], {"start": start}, True)
        return
    while True:
        records = fetch(start, limit, {until_param: end, offset_param: offset})
        total = getattr(records, "total", None)
        offset += len(records)
        if total is not None and not records and offset < total:
            raise CountMismatch(f"the exchange counts {total} records in this range but only {offset} arrived; "
                                "run the sync again (it resumes from the last complete page)")
        done = offset >= total if total is not None else len(records) < limit
        if done:
            yield Page(list(records), {"start": end}, True)
            return
        yield Page(list(records), {"start": start, "end": end, "offset": offset}, False)
def _token(records: list[dict], path: str) -> str | None:
    """The next-page token a fetcher left on one of the page's records (at the dotted `path`), if any."""
    for record in records:
        value: Any = record
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value not in (None, ""):
            return str(value)
    return None


def cursor_chain(fetch: Fetch, cursor: dict | None, *, limit: int, cursor_param: str, token_path: str,
                 start_ms: int, now_ms: int | None = None, newest_first: bool = False,
                 until_param: str = "until") -> Iterator[Page]:
    """An opaque token chain (coinbase fills `cursor`, v2 `starting_after`): each page names the next, none ends it.

    Oldest-first chains resume after the last record seen, so the end of one run is where the next run starts.
    Newest-first chains run from the newest record down to a time floor; a finished run raises the floor to the
    newest time it saw, so the next run asks only for what is newer (the record on the floor comes again, deduped).
    """
    state = cursor or {}
    token = state.get("next")
    floor = int(state.get("floor", start_ms))
    top = state.get("top")
    while True:
        params: dict[str, Any] = {cursor_param: token} if token else {}
        if newest_first and now_ms is not None:
            params[until_param] = now_ms
        records = fetch(floor if newest_first else None, limit, params)
        if newest_first and records:
            top = max([int(top or floor)] + [int(r["timestamp"]) for r in records])
        following = _token(records, token_path)
        if following:
            token = following
            yield Page(records, {"next": token, "floor": floor, "top": top}, False)
        elif newest_first:
            yield Page(records, {"next": None, "floor": int(top or floor), "top": None}, True)
            return
        else:
            yield Page(records, {"next": str(records[-1]["id"]) if records else token}, True)
            return
def time_descending(fetch: Fetch, cursor: dict | None, *, limit: int, start_ms: int, now_ms: int,
                    until_param: str = "until") -> Iterator[Page]:
    """Newest first below a moving time bound, when the exchange pages by timestamp only (okx deposit and
    withdrawal history: `after` is a time). A run covers [floor, now); the next run starts at this run's now.

    The next page's bound is just above the oldest time seen, so records sharing that millisecond which did not fit
    come again rather than being skipped (the ledger keeps each once). Only a full page of one millisecond moves
    the bound below it: an exchange gives no way to page inside one.
    """
    state = cursor or {}
    floor = int(state.get("floor", start_ms))
    until = state.get("until")
    if floor >= now_ms:
        yield Page([], {"floor": floor, "until": None}, True)
        return
    while True:
        bound = now_ms if until is None else int(until)
        records = fetch(floor, limit, {until_param: bound})
        if len(records) < limit:
            yield Page(records, {"floor": now_ms, "until": None}, True)
            return
        oldest = min(int(r["timestamp"]) for r in records)
        until = oldest + 1 if oldest + 1 < bound else oldest
        yield Page(records, {"floor": floor, "until": until}, False)
