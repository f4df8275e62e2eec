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
