"""kraken spot: TradesHistory and Ledgers paged newest-first by `ofs` against kraken's `count`.

A read-only key (Query Funds, Query Ledger Entries, Query Orders & Trades) reads the whole history: deposits and
withdrawals come from the Ledgers stream (its `deposit`/`withdrawal` entries, with their fee and refid), since
kraken's DepositStatus/WithdrawStatus need the Deposit Funds/Withdraw Funds permissions (kraken's API key guide;
tests/real/api/PERMISSIONS.md) and answer such a key `EGeneral:Permission denied`. The refid is the id ccxt gave
those endpoints' rows and ledgers.csv gives its rows, so earlier syncs and file imports keep their ids
(`deposit:<refid>`, `withdrawal:<refid>`). The ledger entries give no blockchain tx hash.

Trades come from TradesHistory only; the Ledgers stream keeps funding and income (staking, Earn rewards, airdrops),
so the trade entries it also holds are not counted twice. A TradesHistory `fee` is stated in the quote
currency even when kraken charged the base coin (orders with `fcib`), so each trade's ledger entries give the fee
in the coin that was actually charged: the Ledgers stream, read first in a sync, keeps them aside; only entries it
did not see (a sync resumed after its ledger stream finished) are asked for with QueryLedgers, 20 ids a call.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from weakref import WeakKeyDictionary

from taxer.exchanges import keyfacts, normalize
from taxer.exchanges.kraken_assets import coin
from taxer.exchanges.kraken_ledger import funding, income_label
from taxer.exchanges.normalize import RawFields
from taxer.exchanges.paging import Counted
from taxer.exchanges.spec import ExchangeSpec, KeyHelp, KeyPermissions, StreamSpec
from taxer.model import Kind, Leg, Transaction

RAW = RawFields(trade_amount=("vol",), trade_cost=("cost",), trade_fee=("fee",), transfer_amount=("amount",),
                transfer_fee=("fee",))
PAGE = 50          # kraken's fixed TradesHistory/Ledgers page
KFEE = "KFEE"      # kraken fee credits: trade fees can be paid with them
QUERY_IDS = 20     # ledger ids per QueryLedgers call
# POST /0/private/GetApiKeyInfo (kraken docs, "Get API Key Info", https://docs.kraken.com/api-reference/account-data/
# get-api-key-info): `permissions` is a list of strings. The docs' example shows four: query-funds,
# query-open-trades (read), modify-trades (trade), withdraw-funds. The others below are inferred from the key
# settings page's names ("Query Closed Orders & Trades", "Query Ledger Entries", "Export Data", "Deposit Funds",
# "Cancel/Close Orders", "Earn Funds", https://docs.kraken.com/exchange/guides/rest/api-keys) written the same way:
# an inference that fails closed, since a string that is not in these lists refuses the key.
READ_PERMISSIONS = {"query-funds", "query-open-trades", "query-closed-trades", "query-ledger", "export-data",
                    "deposit-funds"}   # deposit-funds: deposit methods and addresses; nothing leaves the account
TRADE_PERMISSIONS = {"modify-trades", "cancel-trades", "close-trades", "earn-funds"}
MOVE_PERMISSIONS = {"withdraw-funds"}
KEY_HELP = KeyHelp(
    steps=("Kraken > Settings > API > Create API key; name it e.g. 'taxer'.",
           "Funds permissions: tick only 'Query'. Orders and trades: tick only 'Query open orders & trades' and "
           "'Query closed orders & trades'. Data: tick 'Query ledger entries' and 'Export data'. Leave 'Deposit', "
           "'Withdraw', 'Earn', 'Create & modify orders' and 'Cancel & close orders' unticked.",
           "Under 'Key restrictions' add this computer's public IP address; set 'Query start/end date' to the years "
           "you file for, and an expiry date ('Key expiration') for when you are done."),
    allowlist="Kraken > Settings > API > the key > Key restrictions > IP allowlist",
    docs="https://support.kraken.com/articles/360000919966-how-to-create-an-api-key")
def time_ms(value) -> int:
    """kraken's seconds (a float in JSON, a string in files) as exact milliseconds (ccxt's product truncates)."""
    return int(Decimal(str(value)).scaleb(3))


def _range(since: int | None, params: dict) -> dict:
    # the same conversion ccxt makes: start is exclusive, end inclusive, in whole seconds
    request = {"ofs": params.get("ofs", 0)}
    if since is not None:
        request["start"] = since // 1000
    if params.get("until") is not None:
        request["end"] = int(params["until"]) // 1000 + 1
    return request


# Trade entries the Ledgers stream saw in this sync, per gateway: {ledger id: entry}.
_TRADE_ENTRIES: WeakKeyDictionary = WeakKeyDictionary()
_ENTRY_FIELDS = ("refid", "time", "type", "subtype", "asset", "amount", "fee")


def _fetch_trades(gw, symbol, since, limit, params):
    result = (gw.call("private_post_tradeshistory", dict(_range(since, params), ledgers="true")) or {})["result"]
    rows = result.get("trades") or {}
    seen = _TRADE_ENTRIES.get(gw, {})
    entries: dict = {}
    ids = []
    for i in (i for row in rows.values() for i in row.get("ledgers") or []):
        if i in seen:
            entries[i] = seen[i]
        else:
            ids.append(i)
    for n in range(0, len(ids), QUERY_IDS):
        entries.update((gw.call("private_post_queryledgers", {"id": ",".join(ids[n:n + QUERY_IDS])}) or {})
                       .get("result") or {})
    records = []
    for key, row in rows.items():
        # the ledger entries go into `info`, so the stored payload shows where the fee came from
        legs = [dict(entries[i], id=i) for i in row.get("ledgers") or [] if i in entries]
        records.append(gw.call("parse_trade", dict(row, id=key, ledger_entries=legs)))
    return Counted(records, total=int(result.get("count") or 0))


def _charged_fee(record: dict) -> tuple[Leg | None, Decimal]:
    """The fee in the coin charged, and the KFEE fee credits spent. A fee paid with credits is a KFEE entry of
    amount 0 (tests/real/api/kraken/ledgers--income-and-transfers.json): the credits are a discount with no market
    value, so they are named in the description, not booked as a fee in some coin."""
    fee_leg, credits = None, Decimal(0)
    for entry in record["info"].get("ledger_entries") or []:
        fee = abs(Decimal(str(entry.get("fee") or 0)))
        if entry.get("asset") == KFEE:
            credits += fee
        elif fee and fee_leg is None:
            fee_leg = Leg(coin(entry["asset"]), fee)
    return fee_leg, credits


def _trade(record, account, source) -> Transaction:
    tx = normalize.trade(record, account=account, source=source, raw=RAW)
    fee, credits = _charged_fee(record) if record["info"].get("ledger_entries") else (tx.fee, Decimal(0))
    description = tx.description + (f" (fee paid with {credits} KFEE fee credits)" if credits else "")
    return replace(tx, timestamp=normalize.from_ms(time_ms(record["info"]["time"])), fee=fee,
                   description=description)


def _fetch_ledger(gw, symbol, since, limit, params):
    # raw entries, not ccxt's fetch_ledger: kraken's own types decide what an entry is, and `count` is in the raw
    # answer
    result = (gw.call("private_post_ledgers", _range(since, params)) or {})["result"]
    rows = [dict(row, id=key) for key, row in (result.get("ledger") or {}).items()]
    kept = _TRADE_ENTRIES.setdefault(gw, {})
    for row in rows:
        if row.get("type") == "trade":  # the trades stream's fees, saved a QueryLedgers call each
            kept[row["id"]] = {k: row[k] for k in _ENTRY_FIELDS if k in row}
    return Counted(rows, total=int(result.get("count") or 0))


def _ledger_record(entry, account, source) -> Transaction | None:
    """Income, a deposit or a withdrawal, as ledgers.csv reads the same entry (taxer.exchanges.kraken_ledger); None
    for trades (their own stream) and moves between the user's own kraken wallets."""
    kind, subtype = entry.get("type") or "", entry.get("subtype") or ""
    amount = Decimal(str(entry["amount"]))
    fee = abs(Decimal(str(entry.get("fee") or 0)))
    asset = coin(entry["asset"])
    when_ms = time_ms(entry["time"])
    label = income_label(kind, subtype, entry["asset"], amount)
    if label is not None:
        if amount - fee <= 0:
            return None
        return normalize.income(account=account, source=source, when_ms=when_ms, asset=asset, amount=amount - fee,
                                label=label, record_id=entry["id"],
                                description=f"kraken {kind} {subtype}".strip())
    move = funding(kind, amount)
    if move is None or not entry.get("refid"):
        return None
    direction, reversed_ = move
    leg = Leg(asset, abs(amount))
    incoming = direction == "deposit"
    return Transaction(account=account, timestamp=normalize.from_ms(when_ms),
                       kind=Kind.DEPOSIT if incoming else Kind.WITHDRAWAL, sent=None if incoming else leg,
                       received=leg if incoming else None, fee=Leg(asset, fee) if fee else None,
                       description=f"{kind.strip().lower()} reversed" if reversed_ else kind.strip().lower(),
                       source=source, external_id=f"{direction}:{entry['refid']}")


def _field(result: dict, camel: str, snake: str):
    # the docs' example spells fields in camelCase (validUntil); kraken's key pages and Fast API keys in snake_case
    return result.get(camel, result.get(snake))


def parse_permissions(response: object) -> KeyPermissions:
    """GetApiKeyInfo's permission strings, allow-list, query window and expiry; an unknown string refuses the key."""
    result = response.get("result") if isinstance(response, dict) else None
    if not isinstance(result, dict):
        return keyfacts.unreadable("GetApiKeyInfo has no result object", response)
    names = result.get("permissions")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        return keyfacts.unreadable("permissions is not a list of permission names", names)
    r = keyfacts.Reading()
    unknown = [n for n in names if n not in READ_PERMISSIONS | TRADE_PERMISSIONS | MOVE_PERMISSIONS]
    for name in unknown:
        r.unknown(f"unknown permission {name!r}")
    moves = bool(set(names) & MOVE_PERMISSIONS) or any(keyfacts.says_moves_funds(n) for n in unknown)
    return r.done(read=bool(set(names) & READ_PERMISSIONS), withdraw=moves or (None if unknown else False),
                  trade=bool(set(names) & TRADE_PERMISSIONS) or (None if unknown else False),
                  detail="permissions: " + ", ".join(names),
                  ip_restricted=keyfacts.ip_list(_field(result, "ipAllowlist", "ip_allowlist")),
                  created=keyfacts.from_seconds(_field(result, "createdTime", "created_time")),
                  expires=keyfacts.from_seconds(_field(result, "validUntil", "valid_until")),
                  query_from=keyfacts.from_seconds(_field(result, "queryFrom", "query_from")),
                  query_to=keyfacts.from_seconds(_field(result, "queryTo", "query_to")))


def permissions(gw) -> KeyPermissions:
    return parse_permissions(gw.call("private_post_getapikeyinfo"))


def _assets(entry) -> set[str]:
    return {coin(entry["asset"])} if entry.get("asset") else set()


SPEC = ExchangeSpec(
    id="kraken",
    title="Kraken",
    summary="trades; ledgers: deposits, withdrawals, staking, earn, airdrops",
    candle_limit=720,  # candles per OHLCV request (EXCHANGES.md)
    options={},
    history_start="2013-09-01",   # kraken opened in September 2013
    raw=RAW,
    streams=(
        # "ledgers", not the "ledger" of syncs before deposits and withdrawals came from it: their cursor is past
        # entries they dropped, so the stream starts over once (nothing is added twice)
        StreamSpec("ledgers", _fetch_ledger, _ledger_record, paging="offset_counted", limit=PAGE, offset_param="ofs",
                   assets=_assets,
                   advice="give the key the 'Query Ledger Entries' permission, or import Kraken's ledgers export "
                          "(History > Export > Ledgers) with `taxer import csv`"),
        StreamSpec("trades", _fetch_trades, _trade, paging="offset_counted", limit=PAGE, offset_param="ofs"),
    ),
    permissions=permissions,
    key_help=KEY_HELP,
    # tests/real/api/kraken/error--unknown-method.json and error--permission-denied.json (HTTP 200 both); what a
    # key without a stream's permission gets (e.g. Ledgers without Query Ledger Entries)
    endpoint_errors={"EGeneral:Unknown method": "unknown endpoint", "EGeneral:Permission denied": "not authorized"},
    # tests/real/api/kraken/error--invalid-key.json: kraken answers an unknown key and a wrong signature alike
    key_errors={"EAPI:Invalid key": "Kraken does not know this API key or the secret does not belong to it (Kraken "
                                    "answers both alike): the key was revoked or mistyped, or its secret was not "
                                    "copied whole"},
    # tests/real/api/kraken/error--temporary-lockout.json (support.kraken.com "API error messages"): too many failed
    # calls; every call before the lockout ends extends it
    lockouts={"EGeneral:Temporary lockout": "Kraken has locked this key out for a while after too many failed "
                                            "calls (bad nonce or signature, e.g. two programs sharing one key): "
                                            "wait about 15 minutes before the next sync, since every call sooner "
                                            "extends the lockout, and give each program its own key"},
)
