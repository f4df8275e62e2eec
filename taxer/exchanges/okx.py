"""okx spot (v5 API): fills newest-first by bill id (`after`); deposits, withdrawals and funding-account bills
(staking, earn and mining yield, airdrops) newest-first by time.

What the real API still has (okx docs): fills-history the last 3 months, bills-archive the last 3 months, deposit
and withdrawal history without a documented limit. Older fills and bills cannot be read through the API at all:
they are in okx's web exports (see `taxer/importers/okx_csv.py`), which land on the same ids.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

from taxer.exchanges import keyfacts, normalize
from taxer.exchanges.normalize import RawFields
from taxer.exchanges.spec import ExchangeSpec, KeyHelp, KeyPermissions, StreamSpec, unified
from taxer.model import Leg

RAW = RawFields(trade_amount=("fillSz",), trade_fee=("fee",), transfer_amount=("amt",), transfer_fee=("fee",))
# okx fills carry no quote amount: the quote that moved is fillPx x fillSz, booked at 8 decimals (assumption:
# what the replica's bills show; check a real account's bills `balChg` if a cent-fraction ever matters).
QUOTE_STEP = Decimal("1E-8")
# Funding-account bill types that are income (tests/real/api/okx/asset-bills--staking-yield.meta.json: okx's asset
# bill table). The trading account has no documented income bill type: yield lands in the funding account.
INCOME_BILLS = {"48": "reward",     # received from activities
                "77": "airdrop",    # distribute
                "83": "staking",    # staking yield
                "85": "mining",     # PoW mining yield
                "87": "mining",     # cloud mining yield
                "88": "reward"}     # subsidy
# GET /api/v5/account/config `perm` (okx docs, "Get account configuration", https://www.okx.com/docs-v5/en/
# #trading-account-rest-api-get-account-configuration): one comma-separated string of read_only, trade, withdraw
# ("read_only,withdraw,trade" in the docs' example); `ip` the bound addresses, comma-separated, "" when none.
PERM_WORDS = {"read_only", "trade", "withdraw"}
KEY_HELP = KeyHelp(
    steps=("OKX > Profile > API keys > Create API key > 'API trading'; name it e.g. 'taxer' and set a passphrase.",
           "Permissions: tick only 'Read'. Leave 'Trade' and 'Withdraw' unticked.",
           "Add this computer's public IP address under 'IP address' (okx deletes keys with trade or withdraw "
           "rights and no IP after 14 days unused; a bound read-only key is the safe kind)."),
    allowlist="OKX > API keys > Edit > IP address",
    docs="https://www.okx.com/help/how-do-i-create-an-api-key")
# One window from the history's start to now: okx has no window limit, only retention.
NO_WINDOW_DAYS = 365 * 40


def quote_amount(price: Decimal, size: Decimal) -> Decimal:
    """The quote a spot fill moved: price x size at okx's 8 decimals (the API and the CSV export both use this)."""
    return (price * size).quantize(QUOTE_STEP, ROUND_HALF_UP)


def _fill(record, account, source):
    tx = normalize.trade(record, account=account, source=source, raw=RAW)
    info = record.get("info") or {}
    if info.get("fillPx") in (None, "") or info.get("fillSz") in (None, ""):
        return tx
    cost = quote_amount(Decimal(info["fillPx"]), Decimal(info["fillSz"]))
    quote = record["symbol"].split("/")[1].split(":")[0]
    if record["side"] == "buy":
        return replace(tx, sent=Leg(quote, cost))
    return replace(tx, received=Leg(quote, cost))


def _fetch_asset_bills(gw, symbol, since, limit, params):
    # tests/real/api/okx/asset-bills--*.json: {"code": "0", "data": [{billId, ccy, balChg, bal, type, ts}]};
    # `after`/`before` are times here (records earlier / later than them), as on the deposit history. Every type:
    # one request per type would cost more than the deposit and withdrawal bills it also brings.
    request = {"after": params["until"], "limit": limit}
    if since:
        request["before"] = since - 1
    response = gw.call("private_get_asset_bills", request) or {}
    return [dict(row, id=row["billId"], timestamp=int(row["ts"])) for row in response.get("data") or []]


def _bill_income(bill, account, source):
    label = INCOME_BILLS.get(str(bill.get("type")))
    amount = Decimal(str(bill.get("balChg") or 0))
    if label is None or amount <= 0:
        return None  # deposits, withdrawals and moves between own accounts come from their own streams
    return normalize.income(account=account, source=source, when_ms=int(bill["ts"]), asset=bill["ccy"],
                            amount=amount, label=label, record_id=str(bill["billId"]),
                            description=f"okx funding bill type {bill.get('type')}")


def parse_permissions(response: object) -> KeyPermissions:
    """account/config's `perm` word by word; a list, another separator or an unknown word refuses the key."""
    data = response.get("data") if isinstance(response, dict) else None
    if not isinstance(data, list) or len(data) != 1 or not isinstance(data[0], dict):
        return keyfacts.unreadable("account config data is not one configuration", data)
    config = data[0]
    perm = config.get("perm")
    if not isinstance(perm, str) or not perm.strip():
        return keyfacts.unreadable("perm is not a comma-separated string", perm)
    r = keyfacts.Reading()
    words = [w.strip() for w in perm.split(",")]
    unknown = [w for w in words if w not in PERM_WORDS]
    for word in unknown:
        r.unknown(f"unknown perm word {word!r}")
    moves = "withdraw" in words or any(keyfacts.says_moves_funds(w) for w in unknown)
    return r.done(read="read_only" in words or (None if unknown else False),
                  trade="trade" in words or (None if unknown else False),
                  withdraw=moves or (None if unknown else False), detail=f"perm: {perm}",
                  ip_restricted=keyfacts.ip_list(config.get("ip")))


def permissions(gw) -> KeyPermissions:
    return parse_permissions(gw.call("private_get_account_config"))


def _assets(record) -> set[str]:
    asset = record.get("currency") or record.get("ccy")  # unified records, or raw bills
    return {asset} if asset else set()


_by_bill = {"paging": "windows_id_descending", "limit": 100, "window_days": NO_WINDOW_DAYS, "id_param": "after"}
_by_time = {"paging": "time_descending", "limit": 100, "until_param": "until", "assets": _assets}
SPEC = ExchangeSpec(
    id="okx",
    title="OKX",
    summary="spot fills (the API keeps 3 months), deposits, withdrawals, funding bills (staking, earn, mining)",
    candle_limit=100,  # candles per OHLCV request (EXCHANGES.md)
    options={"fetchMarkets": {"types": ["spot"]}, "defaultType": "spot"},
    history_start="2017-01-01",
    raw=RAW,
    streams=(
        StreamSpec("deposits", unified("fetch_deposits"), normalize.as_transfer(RAW, "deposit"), **_by_time),
        StreamSpec("withdrawals", unified("fetch_withdrawals"), normalize.as_transfer(RAW, "withdrawal"),
                   **_by_time),
        StreamSpec("funding-bills", _fetch_asset_bills, _bill_income,
                   advice="import OKX's funding account statement (Assets > Bills > Funding account) with `taxer "
                          "import csv`", **_by_time),
        # every spot fill in one stream (instType=SPOT, no symbol needed); okx pages fills by their bill id
        StreamSpec("trades", unified("fetch_my_trades"), _fill, cursor_id=lambda r: int(r["info"]["billId"]),
                   **_by_bill),
    ),
    permissions=permissions,
    key_help=KEY_HELP,
    needs_password=True,
    # tests/real/api/okx/error--invalid-key.json (50111), error--passphrase.json (50105) and error--invalid-ip.json
    # (50110), all HTTP 401
    key_errors={'"code":"50110"': "the key is bound to IP addresses and this computer's IP address is not one of "
                                  "them: add it to the key's IP list",
                '"code":"50111"': "OKX does not know this API key: it was deleted or mistyped, or it is a demo "
                                  "trading key (those work only in OKX's demo environment)",
                '"code":"50105"': "the passphrase is wrong: OKX accepted the key but not the passphrase you chose "
                                  "when you made it (it is not your login password)"},
)
