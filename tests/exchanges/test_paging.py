"""The pagers against an in-memory record source (the HTTP path is tested against the replica elsewhere)."""

from taxer.exchanges import paging

RECORDS = [{"id": str(i), "t": i * 10} for i in range(1, 251)]  # ids 1..250 at t = 10..2500


def ascending(records):
    def fetch(since, limit, params):
        return [r for r in records if int(r["id"]) >= params["fromId"]][:limit]
    return fetch


def descending_windows(records, calls):
    def fetch(since, limit, params):
        calls.append((since, params.get("until"), params.get("idLessThan")))
        assert params["until"] - since < 1000, "window wider than the exchange allows"
        inside = [r for r in records if since <= r["t"] <= params["until"]
                  and ("idLessThan" not in params or int(r["id"]) < int(params["idLessThan"]))]
        return sorted(inside, key=lambda r: -int(r["id"]))[:limit]
    return fetch


def collect(pages):
    out = []
    for page in pages:
        out += [r["id"] for r in page.records]
    return out


def test_id_ascending_reads_everything_once_and_resumes():
    pages = list(paging.id_ascending(ascending(RECORDS), None, limit=100, id_param="fromId"))
    assert [len(p.records) for p in pages] == [100, 100, 50] and pages[-1].done
    assert collect(pages) == [str(i) for i in range(1, 251)]
    # resume after the first page: only the rest comes back
    rest = list(paging.id_ascending(ascending(RECORDS), pages[0].cursor, limit=100, id_param="fromId"))
    assert collect(rest) == [str(i) for i in range(101, 251)]
    # a later run with nothing new costs one request
    again = list(paging.id_ascending(ascending(RECORDS), pages[-1].cursor, limit=100, id_param="fromId"))
    assert [len(p.records) for p in again] == [0]


def test_windows_id_descending_crosses_windows_and_pages():
    calls = []
    pages = list(paging.windows_id_descending(descending_windows(RECORDS, calls), None, limit=40, window_ms=1000,
                                              start_ms=0, now_ms=3000, before_param="idLessThan"))
    assert sorted(collect(pages), key=int) == [str(i) for i in range(1, 251)]
    assert len(collect(pages)) == 250 and pages[-1].done
    assert len(calls) == 3 + 3 + 2  # windows hold 99, 100 and 51 records; 40 per page, a short page ends each
    # killed after page 2: resuming from its cursor yields exactly the rest
    resumed = list(paging.windows_id_descending(descending_windows(RECORDS, []), pages[1].cursor, limit=40,
                                                window_ms=1000, start_ms=0, now_ms=3000, before_param="idLessThan"))
    assert sorted(collect(pages[:2]) + collect(resumed), key=int) == [str(i) for i in range(1, 251)]


def test_windows_offset_narrows_a_full_window_without_an_offset_parameter():
    def fetch(since, limit, params):
        return [r for r in RECORDS if since <= r["t"] <= params["until"]][:limit]
    pages = list(paging.windows_offset(fetch, None, limit=100, window_ms=100_000, start_ms=0, now_ms=3000,
                                       offset_param=None))
    assert sorted(collect(pages), key=int) == [str(i) for i in range(1, 251)]


def counted_newest_first(records, calls, *, lose_page_at=None):
    """kraken's ofs paging: (since, until] newest first, 50 a page, with the total `count`."""
    def fetch(since, limit, params):
        calls.append((since, params["until"], params["ofs"]))
        inside = [r for r in records if since < r["t"] <= params["until"]][::-1]
        page = [] if params["ofs"] == lose_page_at else inside[params["ofs"]:params["ofs"] + 50]
        return paging.Counted(page, total=len(inside))
    return fetch


def test_offset_counted_walks_one_fixed_range_and_resumes_at_the_offset():
    calls = []
    pages = list(paging.offset_counted(counted_newest_first(RECORDS, calls), None, limit=50, start_ms=0,
                                       now_ms=2000))
    assert collect(pages) == [str(i) for i in range(200, 0, -1)]   # t <= 2000: ids 200..1, newest first
    assert [c[2] for c in calls] == [0, 50, 100, 150]                # the last page completes the count
    assert all(c[:2] == (0, 2000) for c in calls)
    assert [p.done for p in pages] == [False, False, False, True] and pages[-1].cursor == {"start": 2000}
    assert pages[1].cursor == {"start": 0, "end": 2000, "offset": 100}
    # a run killed after page 2 resumes at offset 100 of the same range, though newer records exist now
    calls.clear()
    rest = list(paging.offset_counted(counted_newest_first(RECORDS, calls), pages[1].cursor, limit=50,
                                      start_ms=0, now_ms=2500))
    assert collect(rest) == [str(i) for i in range(100, 0, -1)] and calls[0] == (0, 2000, 100)
    # the next run asks only for what is newer than the range already walked
    calls.clear()
    new = list(paging.offset_counted(counted_newest_first(RECORDS, calls), rest[-1].cursor, limit=50,
                                     start_ms=0, now_ms=2500))
    assert collect(new) == [str(i) for i in range(250, 200, -1)] and calls == [(2000, 2500, 0)]


def test_offset_counted_refuses_to_finish_short_of_the_count():
    import pytest

    pages = paging.offset_counted(counted_newest_first(RECORDS, [], lose_page_at=100), None, limit=50,
                                  start_ms=0, now_ms=2000)
    with pytest.raises(paging.CountMismatch, match="counts 200 records in this range but only 100 arrived"):
        list(pages)
def oldest_first_tokens(records, calls):
    """A v2-style list: `starting_after` an id, the next token on the page's last record while more remain."""
    def fetch(since, limit, params):
        calls.append(params.get("starting_after"))
        after = params.get("starting_after")
        start = 0 if after is None else [r["id"] for r in records].index(after) + 1
        page = [dict(r) for r in records[start:start + limit]]
        if page and start + limit < len(records):
            page[-1]["next"] = page[-1]["id"]
        return page
    return fetch


def newest_first_tokens(records, calls):
    """A fills-style list: newest first above a time floor, an opaque cursor on the first record of a page."""
    def fetch(since, limit, params):
        calls.append((since, params.get("cursor")))
        below = int(params["cursor"][1:]) if params.get("cursor") else len(records)
        inside = [(i, r) for i, r in enumerate(records[:below]) if r["timestamp"] >= since]
        chosen = inside[::-1][:limit]
        page = [dict(r, info={}) for _, r in chosen]
        if page and len(inside) > limit:
            page[0]["info"]["cursor"] = f"c{chosen[-1][0]}"
        return page
    return fetch


def test_cursor_chain_oldest_first_reads_once_and_resumes_after_the_last_record():
    calls = []
    pages = list(paging.cursor_chain(oldest_first_tokens(RECORDS, calls), None, limit=100,
                                     cursor_param="starting_after", token_path="next", start_ms=0))
    assert collect(pages) == [str(i) for i in range(1, 251)] and pages[-1].done
    assert calls == [None, "100", "200"]
    resumed = list(paging.cursor_chain(oldest_first_tokens(RECORDS, []), pages[0].cursor, limit=100,
                                       cursor_param="starting_after", token_path="next", start_ms=0))
    assert collect(resumed) == [str(i) for i in range(101, 251)]
    # the next run asks once, after record 250, and learns nothing is new; with one more record it gets that one
    again, more = [], RECORDS + [{"id": "251", "t": 2510}]
    assert collect(paging.cursor_chain(oldest_first_tokens(more, again), pages[-1].cursor, limit=100,
                                       cursor_param="starting_after", token_path="next", start_ms=0)) == ["251"]
    assert again == ["250"]


def test_cursor_chain_newest_first_stops_at_the_floor_and_raises_it():
    timed = [dict(r, timestamp=r["t"]) for r in RECORDS]
    calls = []
    pages = list(paging.cursor_chain(newest_first_tokens(timed, calls), None, limit=100, cursor_param="cursor",
                                     token_path="info.cursor", start_ms=0, newest_first=True))
    assert sorted(collect(pages), key=int) == [str(i) for i in range(1, 251)]
    assert [len(p.records) for p in pages] == [100, 100, 50] and pages[-1].done
    assert pages[-1].cursor == {"next": None, "floor": 2500, "top": None}
    # killed after the first page: the resumed chain keeps the run's floor and finds the rest
    resumed = list(paging.cursor_chain(newest_first_tokens(timed, []), pages[0].cursor, limit=100,
                                       cursor_param="cursor", token_path="info.cursor", start_ms=0,
                                       newest_first=True))
    assert sorted(collect(pages[:1]) + collect(resumed), key=int) == [str(i) for i in range(1, 251)]
    assert resumed[-1].cursor["floor"] == 2500
    # the next run starts at the floor: one request, the newest record again (the ledger skips it)
    again = []
    later = list(paging.cursor_chain(newest_first_tokens(timed, again), pages[-1].cursor, limit=100,
                                     cursor_param="cursor", token_path="info.cursor", start_ms=0, newest_first=True))
    assert collect(later) == ["250"] and again == [(2500, None)]
def by_time(records, calls):
    """okx deposit history: records with since <= t < until, newest first, at most `limit`."""
    def fetch(since, limit, params):
        calls.append(params["until"])
        inside = [r for r in records if since <= r["timestamp"] < params["until"]]
        return sorted(inside, key=lambda r: -r["timestamp"])[:limit]
    return fetch


def test_time_descending_reads_everything_even_when_a_page_splits_one_millisecond():
    # ids 1..250 at t = 10 * id, except ids 140..160 which all share t=1500: the first page (250..161, then ten of
    # the 21 at t=1500) cuts that millisecond in two
    records = [{"id": str(i), "timestamp": 1500 if 140 <= i <= 160 else i * 10} for i in range(1, 251)]
    calls = []
    pages = list(paging.time_descending(by_time(records, calls), None, limit=100, start_ms=0, now_ms=3000))
    assert sorted(set(collect(pages)), key=int) == [str(i) for i in range(1, 251)]
    assert calls == [3000, 1501, 611] and pages[-1].done and pages[-1].cursor == {"floor": 3000, "until": None}
    # killed after page 1: resuming yields the rest
    rest = list(paging.time_descending(by_time(records, []), pages[0].cursor, limit=100, start_ms=0, now_ms=3000))
    assert sorted(set(collect(pages[:1]) + collect(rest)), key=int) == [str(i) for i in range(1, 251)]
    # the next run starts where this one ended: one request, nothing old again
    later = list(paging.time_descending(by_time(records + [{"id": "251", "timestamp": 3100}], []),
                                        pages[-1].cursor, limit=100, start_ms=0, now_ms=4000))
    assert collect(later) == ["251"]


def test_windows_id_descending_pages_by_the_field_the_exchange_names():
    # okx fills: the record id is the trade id, the cursor the bill id (here: 1000 + id)
    records = [{"id": str(i), "bill": 1000 + i, "t": i * 10} for i in range(1, 251)]
    seen = []

    def fetch(since, limit, params):
        seen.append(params.get("after"))
        below = int(params.get("after") or 10**9)
        return sorted((r for r in records if r["bill"] < below), key=lambda r: -r["bill"])[:limit]

    pages = list(paging.windows_id_descending(fetch, None, limit=100, window_ms=10**6, start_ms=0, now_ms=3000,
                                              before_param="after", id_of=lambda r: r["bill"]))
    assert sorted(collect(pages), key=int) == [str(i) for i in range(1, 251)]
    assert seen == [None, "1151", "1051"]
