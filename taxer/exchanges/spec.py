"""What differs between exchanges, as data: streams, paging style, page sizes, windows, raw fields, permissions.

A new exchange is one module in `taxer/exchanges/` defining an `ExchangeSpec`, plus a line in `SPECS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from taxer.exchanges.normalize import RawFields
from taxer.model import Transaction

if TYPE_CHECKING:
    from taxer.exchanges.gateway import Gateway

DAY_MS = 86_400_000


@dataclass(frozen=True)
class KeyPermissions:
    """What an API key may do and how it is protected, as the exchange's answer says it.

    `read`, `trade`, `withdraw` (withdraw or transfer funds out): True or False where the answer says so, None where
    it does not. `unreadable` names each part of the answer taxer could not read (missing, malformed, unknown names):
    a key is used only when it is empty and the answer positively says the key cannot trade or move funds.
    """

    read: bool | None = None
    trade: bool | None = None
    withdraw: bool | None = None
    unreadable: tuple[str, ...] = ()
    detail: str = ""                        # what the exchange said, in its own words
    ip_restricted: bool | None = None       # bound to an IP allow-list; None: the answer does not say
    created: datetime | None = None         # when the key was made, where the exchange says
    expires: datetime | None = None         # when the key stops working, where the exchange says
    query_from: datetime | None = None      # kraken: the only history the key can see
    query_to: datetime | None = None

    @property
    def known(self) -> bool:
        return not self.unreadable and None not in (self.read, self.trade, self.withdraw)


@dataclass(frozen=True)
class KeyHelp:
    """Plain words for a user: how to make a read-only key on this exchange, and where its IP allow-list is."""

    steps: tuple[str, ...]
    allowlist: str                          # where to bind the key to an IP address
    docs: str                               # the exchange's own page on API keys


# fetch(gw, symbol, since_ms, limit, params) -> list of records with at least 'id' (unified or raw)
Fetcher = Callable[["Gateway", "str | None", "int | None", int, dict], list]
# to_transaction(record, account, source) -> Transaction, or None to skip (e.g. a ledger entry another stream has)
Converter = Callable[[dict, str, str], "Transaction | None"]


def unified(method: str, *, with_symbol: bool = False) -> Fetcher:
    """A fetcher for ccxt's unified `method(symbol_or_code, since, limit, params)`: trades take the market's
    symbol, deposits/withdrawals/ledger None (all currencies)."""
    def fetch(gw, symbol, since, limit, params):
        return gw.call(method, symbol if with_symbol else None, since, limit, params)
    return fetch


@dataclass(frozen=True)
class StreamSpec:
    name: str                       # "trades", "deposits", "withdrawals", "income"
    fetch: Fetcher
    convert: Converter
    paging: str                     # "id_ascending" | "windows_id_descending" | "windows_offset" |
                                    # "offset_counted" | "cursor_chain" | "time_descending"
    limit: int
    window_days: int | None = None
    per_symbol: bool = False
    id_param: str | None = None     # fromId (ascending) or idLessThan (descending)
    until_param: str = "until"
    offset_param: str | None = None
    assets: Callable[[dict], set[str]] = field(default=lambda r: set())  # assets a record shows the account held
    token_path: str = ""            # cursor_chain: where a page's next token sits on a record ("info.cursor")
    newest_first: bool = False      # cursor_chain: the chain runs newest to oldest (a time floor bounds it)
    # partitions(gw) -> ids the stream is paged separately for (coinbase: one transaction list per v2 account);
    # each gets its own cursor, and the id is passed where a symbol would be
    partitions: Callable[[Gateway], list[str]] | None = None
    cursor_id: Callable[[dict], int] = field(default=lambda r: int(r["id"]))  # the id the exchange pages by
    # what the user can do when the exchange refuses this stream for good (unknown endpoint, key not authorized,
    # not offered in the account's region): the sync names the stream and says this
    starts: str | None = None       # ISO date the endpoint's history starts, when it starts after the exchange's
    advice: str = "import the exchange's CSV export of it with `taxer import csv`"
    # pairs(record) -> a key joining records that are halves of one transaction (coinbase converts: two legs in
    # two accounts), else None; halves wait (saved with the cursors) until the other arrives, then
    # `convert_pair(first, second, account, source)` makes the one transaction
    pairs: Callable[[dict], str | None] | None = None
    convert_pair: Callable[[dict, dict, str, str], Transaction | None] | None = None


@dataclass(frozen=True)
class ExchangeSpec:
    id: str                         # the ccxt id
    title: str                      # how people write its name: "Kraken", "OKX"
    summary: str                    # what a sync reads, for help texts and the README
    options: dict
    history_start: str              # ISO date: where a first sync starts without --since
    raw: RawFields
    streams: tuple[StreamSpec, ...]  # non-symbol streams first: they tell which assets to look for trades in
    permissions: Callable[[Gateway], KeyPermissions]
    key_help: KeyHelp | None = None
    markets_of: str = "either"      # candidate markets: "both" assets seen, or "either" (base or quote seen)
    needs_password: bool = False
    candle_limit: int = 100         # candles per OHLCV request, for `taxer prices fetch`
    # documented answers that refuse one endpoint for good: a token of the body -> the reason (see gateway.py)
    endpoint_errors: dict[str, str] = field(default_factory=dict)
    # documented key refusals: a token of the body -> what is wrong with the key, in the user's words (gateway.py)
    key_errors: dict[str, str] = field(default_factory=dict)
    # documented lockouts a retry would extend: a token of the body -> what the user must do (gateway.py)
    lockouts: dict[str, str] = field(default_factory=dict)
