"""Syncing an exchange account's full history into the ledger, incrementally and resumably.

Per account: check the key is read-only, load markets, then page every stream (deposits, withdrawals, income,
then trades per candidate market). Each page's records and the stream's new cursor are written in one database
transaction, so a run killed at any moment resumes where it stopped, with nothing missing and nothing twice.

A stream the exchange refuses for good (unknown endpoint, key not authorized for it, not offered in the account's
region, or any other error a retry cannot fix) fails alone: the other streams still run, and the report names the
incomplete stream and what the user can do. Only an exchange that stays down stops the whole account.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine

from taxer import keys
from taxer.errors import (
    EndpointUnavailable,
    ExchangeAuthError,
    ExchangeError,
    ExchangeUnavailable,
    KeyPermissionError,
    TaxerError,
)
from taxer.exchanges import credentials, paging
from taxer.exchanges.normalize import payload
from taxer.exchanges.registry import spec_for
from taxer.exchanges.spec import DAY_MS, ExchangeSpec, KeyPermissions, StreamSpec
from taxer.model import UTC
from taxer.store import ledger, matching

Log = Callable[[str], None]


@dataclass
class StreamProgress:
    stream: str
    pages: int = 0
    records: int = 0
    inserted: int = 0


@dataclass(frozen=True)
class IncompleteStream:
    """A stream the exchange refused for good in this run: what it is, why, and what the user can do."""

    stream: str
    reason: str
    detail: str
    advice: str

    def __str__(self) -> str:
        return f"{self.stream} is incomplete ({self.reason}: {self.detail}); {self.advice}"


def _reason(exc: ExchangeError) -> str:
    if isinstance(exc, EndpointUnavailable):
        return exc.reason
    if isinstance(exc, ExchangeAuthError):
        return "the key is not authorized for it"
    return "the exchange rejected it"


@dataclass
class SyncReport:
    account: str
    exchange: str
    streams: list[StreamProgress] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    warnings: list[str] = field(default_factory=list)
    incomplete: list[IncompleteStream] = field(default_factory=list)
    error: str | None = None
    key_health: str = ""          # the one-line summary of the key's health (`taxer account check`)

    @property
    def inserted(self) -> int:
        return sum(s.inserted for s in self.streams)

    @property
    def records(self) -> int:
        return sum(s.records for s in self.streams)


def check_permissions(spec: ExchangeSpec, gateway, *, allow_trading: bool, account: str,
                      allow_unknown: bool = False) -> list[str]:
    """Use the key only when the exchange says it cannot trade or move funds (see `taxer.keys.decide`); raises
    KeyPermissionError naming what the exchange said otherwise. Returns warnings."""
    return list(key_decision(spec, spec.permissions(gateway), allow_trading=allow_trading, account=account,
                             allow_unknown=allow_unknown).warnings)


def key_decision(spec: ExchangeSpec, perms: KeyPermissions, *, allow_trading: bool, account: str,
                 allow_unknown: bool = False):
    decision = keys.decide(spec, account, perms, allow_trading=allow_trading, allow_unknown=allow_unknown)
    if not decision.use:
        raise KeyPermissionError(decision.refusal)
    return decision


def _start_ms(spec: ExchangeSpec, since: datetime | None) -> int:
    return _start_ms_of(since or spec.history_start)


def _start_ms_of(start: datetime | str) -> int:
    if isinstance(start, str):
        start = datetime.fromisoformat(start).replace(tzinfo=UTC)
    return int(start.timestamp()) * 1000 + start.microsecond // 1000


def _pages(stream: StreamSpec, gateway, symbol: str | None, cursor: dict | None, start_ms: int, now_ms: int):
    if stream.starts:   # no request for years the endpoint cannot have
        start_ms = max(start_ms, _start_ms_of(stream.starts))
    def fetch(since, limit, params):
        return stream.fetch(gateway, symbol, since, limit, params)

    if stream.paging == "id_ascending":
        return paging.id_ascending(fetch, cursor, limit=stream.limit, id_param=stream.id_param)
    if stream.paging == "offset_counted":
        return paging.offset_counted(fetch, cursor, limit=stream.limit, start_ms=start_ms, now_ms=now_ms,
                                     offset_param=stream.offset_param or "ofs", until_param=stream.until_param)
    if stream.paging == "cursor_chain":
        return paging.cursor_chain(fetch, cursor, limit=stream.limit, cursor_param=stream.id_param,
                                   token_path=stream.token_path, start_ms=start_ms, now_ms=now_ms,
                                   newest_first=stream.newest_first, until_param=stream.until_param)
    if stream.paging == "time_descending":
        return paging.time_descending(fetch, cursor, limit=stream.limit, start_ms=start_ms, now_ms=now_ms,
                                      until_param=stream.until_param)
    window = (stream.window_days or 90) * DAY_MS
    if stream.paging == "windows_id_descending":
        return paging.windows_id_descending(fetch, cursor, limit=stream.limit, window_ms=window, start_ms=start_ms,
                                            now_ms=now_ms, before_param=stream.id_param,
                                            until_param=stream.until_param, id_of=stream.cursor_id)
    return paging.windows_offset(fetch, cursor, limit=stream.limit, window_ms=window, start_ms=start_ms,
                                 now_ms=now_ms, until_param=stream.until_param, offset_param=stream.offset_param)


def _parts(stream: StreamSpec, gateway) -> list:
    """The partitions a stream is paged in (coinbase: one per v2 account), or one unnamed one."""
    return stream.partitions(gateway) if stream.partitions else [None]


def candidate_symbols(spec: ExchangeSpec, markets: dict, assets: set[str], known: set[str] = frozenset()
                      ) -> list[str]:
    """Markets the account could have traded: by the assets seen, plus every market an earlier sync already
    followed (its coins may be gone from balances and this run's pages, but new trades there must not be missed)."""
    out = [symbol for symbol in known if symbol in markets]
    for symbol, market in markets.items():
        if not market.get("spot"):
            continue
        base, quote = market.get("base"), market.get("quote")
        hit = (base in assets and quote in assets) if spec.markets_of == "both" else (base in assets or quote in assets)
        if hit:
            out.append(symbol)
    return sorted(set(out))


class AccountSync:
    """One account's sync run."""

    def __init__(self, engine: Engine, account: ledger.AccountInfo, *, since: datetime | None = None,
                 until: datetime | None = None, allow_trading_key: bool = False, allow_unknown_key: bool = False,
                 log: Log = lambda s: None,
                 on_page: Callable[[str, StreamProgress], None] | None = None, gateway_factory=None,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        if not account.exchange_id:
            raise TaxerError(f"account {account.name!r} is not an exchange account; add one with `taxer account add "
                             "NAME --exchange ID`")
        self.engine, self.account, self.since, self.until, self.log = engine, account, since, until, log
        self.allow_trading_key, self.allow_unknown_key = allow_trading_key, allow_unknown_key
        self.on_page = on_page or (lambda account, progress: None)
        self.spec = spec_for(account.exchange_id)
        self.now = now
        self.gateway_factory = gateway_factory
        self.report = SyncReport(account.name, account.exchange_id)

    def _gateway(self):
        from taxer.exchanges.gateway import Gateway, is_loopback

        creds = credentials.load(self.account.name)
        if self.spec.needs_password and not creds.password:
            raise TaxerError(f"account {self.account.name!r}: {self.spec.id} keys have a passphrase; set "
                             f"{credentials.env_prefix(self.account.name)}PASSWORD too.")
        factory = self.gateway_factory or Gateway
        # ccxt's rate limiter protects real exchanges; a replica or proxy on this machine does not need it.
        return factory(self.spec.id, creds, account=self.account.name, api_url=self.account.api_url,
                       options=self.spec.options, rate_limit=not is_loopback(self.account.api_url),
                       endpoint_errors=self.spec.endpoint_errors, key_errors=self.spec.key_errors,
                       lockouts=self.spec.lockouts)

    def run(self) -> SyncReport:
        with self.engine.begin() as conn:
            run_id = ledger.start_run(conn, kind="sync", target=f"{self.spec.id} {self.account.api_url or ''}".strip(),
                                      account_id=self.account.id)
        self.run_id = run_id
        with self.engine.connect() as conn:
            self.file_rows = matching.has_file_rows(conn, self.account.id, self.spec.id)
        gateway = None
        try:
            gateway = self._gateway()
            perms = self.spec.permissions(gateway)
            decision = keys.decide(self.spec, self.account.name, perms, allow_trading=self.allow_trading_key,
                                   allow_unknown=self.allow_unknown_key)
            health = keys.account_health(self.engine, self.account, self.spec, gateway, perms, decision,
                                         now=self.now())
            self.report.key_health = health.summary()
            self.log(self.report.key_health)
            if not decision.use:
                raise KeyPermissionError(decision.refusal)
            self.report.warnings += decision.warnings
            for w in self.report.warnings:
                self.log(f"WARNING {w}")
            markets = gateway.markets()
            end = min(self.now(), self.until) if self.until else self.now()
            now_ms = int(end.timestamp() * 1000)  # ms; the float is exact enough at ms resolution
            start_ms = _start_ms(self.spec, self.since)
            assets: set[str] = set()
            for stream in self.spec.streams:
                if stream.per_symbol:
                    continue
                parts = self._alone(stream.name, stream.advice, _parts, stream, gateway)
                for part in parts or []:
                    key = stream.name if part is None else f"{stream.name}:{part}"
                    assets |= self._alone(key, stream.advice, self._sync_stream, gateway, stream, part, start_ms,
                                          now_ms) or set()
            assets |= self._alone("balance", "the markets to read trades in are then guessed from the other streams",
                                  self._balance_assets, gateway) or set()
            for stream in self.spec.streams:
                if not stream.per_symbol:
                    continue
                with self.engine.connect() as conn:
                    followed = ledger.cursor_streams(conn, self.account.id, f"{stream.name}:")
                known = {k.split(":", 1)[1] for k in followed}
                for symbol in candidate_symbols(self.spec, markets, assets, known):
                    self._alone(f"{stream.name}:{symbol}", stream.advice, self._sync_stream, gateway, stream, symbol,
                                start_ms, now_ms)
            self._unpaired()
            if self.report.incomplete:
                self.report.error = (f"account {self.account.name!r}: "
                                     + "; ".join(str(i) for i in self.report.incomplete)
                                     + ". The other streams are complete.")
        except (TaxerError, ExchangeError) as exc:
            self.report.error = str(exc)
        finally:
            if gateway is not None:
                self.report.requests, self.report.retries = gateway.requests, gateway.retries
                gateway.close()
            with self.engine.begin() as conn:
                ledger.finish_run(conn, run_id, outcome="failed" if self.report.error else "ok",
                                  rows_read=self.report.records, inserted=self.report.inserted,
                                  message=self.report.error)
        return self.report

    def _alone(self, stream: str, advice: str, work: Callable, *args):
        """Run one stream's work; a refusal a retry cannot fix marks that stream incomplete and lets the others run.
        An exchange that stays down (ExchangeUnavailable) still stops the account: every other stream would fail."""
        try:
            return work(*args)
        except ExchangeUnavailable:
            raise
        except ExchangeError as exc:
            self.report.incomplete.append(IncompleteStream(stream, _reason(exc), str(exc), advice))
            self.log(f"{self.account.name}: {stream}: INCOMPLETE ({_reason(exc)}); the other streams go on")
            return None

    def _unpaired(self) -> None:
        for name, pending in getattr(self, "_pending", {}).items():
            if pending:
                self.report.warnings.append(
                    f"account {self.account.name!r}: {len(pending)} {name} records wait for their other half "
                    f"(e.g. a convert's second leg, {sorted(pending)[0]}); the next sync completes them")

    def _pending_of(self, stream: StreamSpec) -> dict:
        """Halves of paired records (coinbase convert legs) still waiting for their other half, per stream."""
        pending = getattr(self, "_pending", None)
        if pending is None:
            pending = self._pending = {}
        if stream.name not in pending:
            with self.engine.connect() as conn:
                pending[stream.name] = dict((ledger.get_cursor(conn, self.account.id, f"{stream.name}#pairs")
                                             or {}).get("pending") or {})
        return pending[stream.name]

    def _convert(self, stream: StreamSpec, raw: dict, pending: dict | None):
        """The transaction of one raw record (or of the pair it completes), its payload; None for nothing yet."""
        key = stream.pairs(raw) if stream.pairs else None
        if key is None or pending is None:
            tx = stream.convert(raw, self.account.name, self.spec.id)
            return (tx, payload(raw)) if tx is not None else None
        first = pending.pop(key, None)
        if first is None:
            pending[key] = raw
            return None
        tx = stream.convert_pair(first, raw, self.account.name, self.spec.id)
        return (tx, payload({"info": [first, raw]})) if tx is not None else None

    def _balance_assets(self, gateway) -> set[str]:
        balance = gateway.call("fetch_balance")
        return {asset for asset, amount in (balance.get("total") or {}).items() if amount}

    def _sync_stream(self, gateway, stream: StreamSpec, symbol: str | None, start_ms: int, now_ms: int) -> set[str]:
        key = stream.name if symbol is None else f"{stream.name}:{symbol}"
        progress = StreamProgress(key)
        self.report.streams.append(progress)
        with self.engine.connect() as conn:
            cursor = ledger.get_cursor(conn, self.account.id, key)
        assets: set[str] = set()
        started = time.monotonic()
        pending = self._pending_of(stream) if stream.pairs else None
        for page in _pages(stream, gateway, symbol, cursor, start_ms, now_ms):
            records = []
            for raw in page.records:
                assets |= stream.assets(raw)
                converted = self._convert(stream, raw, pending)
                if converted is not None:
                    records.append((converted[0], f"{self.spec.id} {key}", converted[1]))
            fetched = len(records)
            with self.engine.begin() as conn:
                if self.file_rows:  # records a file without ids already gave are not added twice
                    records = matching.adopt_file_rows(conn, self.account.id, self.spec.id, records)
                _read, inserted = ledger.insert_records(conn, self.account.id, self.run_id, records)
                ledger.set_cursor(conn, self.account.id, key, page.cursor)
                if pending is not None:   # the waiting halves move with the cursor, so a kill loses none
                    ledger.set_cursor(conn, self.account.id, f"{stream.name}#pairs", {"pending": pending})
            progress.pages += 1
            progress.records += fetched
            progress.inserted += inserted
            self.on_page(self.account.name, progress)
        if progress.records or progress.pages > 1:
            self.log(f"{self.account.name}: {key}: {progress.records} records, {progress.inserted} new, "
                     f"{progress.pages} pages, {time.monotonic() - started:.1f} s")
        return assets

