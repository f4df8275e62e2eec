"""Binance spot: trades per symbol by ascending `fromId`; deposits, withdrawals and dividends in time windows."""

from __future__ import annotations

from decimal import Decimal

from taxer.exchanges import keyfacts, normalize
from taxer.exchanges.normalize import RawFields
from taxer.exchanges.spec import ExchangeSpec, KeyHelp, KeyPermissions, StreamSpec, unified

RAW = RawFields(trade_amount=("qty",), trade_cost=("quoteQty",), trade_fee=("commission",),
                transfer_amount=("amount",), transfer_fee=("transactionFee",))
# GET /sapi/v1/account/apiRestrictions (Binance docs, "Get API Key Permission (USER_DATA)",
# https://developers.binance.com/docs/wallet/account/api-key-permission): one JSON boolean per right.
TRADE_FLAGS = ("enableSpotAndMarginTrading", "enableMargin", "enableFutures", "enableVanillaOptions",
               "enablePortfolioMarginTrading")
MOVES_FUNDS = ("enableWithdrawals", "enableInternalTransfer", "permitsUniversalTransfer")
# Only in the Chinese edition's example (https://developers.binance.com/docs/zh-CN/wallet/account/api-key-permission):
# read when present.
OPTIONAL_FLAGS = {"enableFixApiTrade": "trade", "enableFixReadOnly": "read"}
KEY_HELP = KeyHelp(
    steps=("Binance > Account > API Management > Create API > System generated; name it e.g. 'taxer'.",
           "Tick only 'Enable Reading'. Leave 'Enable Spot & Margin Trading', 'Enable Withdrawals', 'Enable "
           "Internal Transfer', 'Enable Margin', 'Enable Futures', 'Permits Universal Transfer' and 'Enable "
           "European Options' unticked.",
           "Under 'IP access restrictions' choose 'Restrict access to trusted IPs only' and add this computer's "
           "public IP address."),
    allowlist="Binance > API Management > Edit restrictions > Restrict access to trusted IPs only",
    docs="https://www.binance.com/en/support/faq/how-to-create-api-keys-on-binance-360002502072")


def _fetch_dividends(gw, symbol, since, limit, params):
    request = {"startTime": since, "endTime": params["until"], "limit": limit}  # the pager's window
    response = gw.call("sapi_get_asset_assetdividend", request)
    return [dict(row, id=str(row.get("id") or row.get("tranId"))) for row in (response or {}).get("rows") or []]


def _dividend_label(text: str) -> str:
    text = text.lower()
    for word, label in (("airdrop", "airdrop"), ("staking", "staking"), ("savings", "interest"),
                        ("interest", "interest"), ("mining", "mining")):
        if word in text:
            return label
    return "reward"


def _dividend(row, account, source):
    info = row.get("enInfo") or "binance distribution"
    return normalize.income(account=account, source=source, when_ms=int(row["divTime"]), asset=row["asset"],
                            amount=abs(Decimal(str(row["amount"]))), label=_dividend_label(info),
                            record_id=row["id"], description=info)


def parse_permissions(answer: object) -> KeyPermissions:
    """apiRestrictions as taxer reads it: every documented flag a JSON boolean, or the key is not used."""
    if not isinstance(answer, dict) or not answer:
        return keyfacts.unreadable("apiRestrictions is not an object of flags", answer)
    r = keyfacts.Reading()
    read = r.flag(answer, "enableReading")
    trades = {k: r.flag(answer, k) for k in TRADE_FLAGS}
    moves = {k: r.flag(answer, k) for k in MOVES_FUNDS}
    for name, kind in OPTIONAL_FLAGS.items():
        if name in answer and kind == "trade":
            trades[name] = r.flag(answer, name)
        elif name in answer:
            r.flag(answer, name)
    for name, value in answer.items():
        if name.startswith(("enable", "permits")) and name not in ("enableReading", *trades, *moves, *OPTIONAL_FLAGS):
            if value is not False:   # a right taxer does not know, switched on (or not plainly off)
                r.unknown(f"unknown right {name}={value!r}")
                (moves if keyfacts.says_moves_funds(name) else trades)[name] = True if keyfacts.looks_true(value) \
                    else None
    on = [k for k, v in {**trades, **moves}.items() if v]
    ip = answer.get("ipRestrict")
    return r.done(read=read, trade=keyfacts.any_of(list(trades.values())),
                  withdraw=keyfacts.any_of(list(moves.values())),
                  detail=("enabled: " + ", ".join(on)) if on else "enableReading only",
                  ip_restricted=ip if isinstance(ip, bool) else None,
                  created=keyfacts.from_ms(answer.get("createTime")))


def permissions(gw) -> KeyPermissions:
    return parse_permissions(gw.call("sapi_get_account_apirestrictions"))


def _assets(record) -> set[str]:
    return {record.get("currency") or record.get("asset")} - {None}


SPEC = ExchangeSpec(
    id="binance",
    title="Binance",
    summary="spot trades (by fromId), deposits, withdrawals, distributions",
    candle_limit=1000,  # candles per OHLCV request (EXCHANGES.md)
    options={"fetchMarkets": {"types": ["spot"]}, "defaultType": "spot", "fetchMargins": False},
    history_start="2017-07-01",
    raw=RAW,
    streams=(
        StreamSpec("deposits", unified("fetch_deposits"), normalize.as_transfer(RAW, "deposit"),
                   paging="windows_offset", limit=1000, window_days=90, offset_param="offset", assets=_assets),
        # ccxt ignores `until` for withdrawals when `since` is given: the window end goes in as endTime
        StreamSpec("withdrawals", unified("fetch_withdrawals"), normalize.as_transfer(RAW, "withdrawal"),
                   paging="windows_offset", limit=1000, window_days=90, offset_param="offset", assets=_assets,
                   until_param="endTime"),
        StreamSpec("dividends", _fetch_dividends, _dividend, paging="windows_offset", limit=500, window_days=180,
                   offset_param=None, assets=_assets),
        StreamSpec("trades", unified("fetch_my_trades", with_symbol=True), normalize.as_trade(RAW),
                   paging="id_ascending", limit=1000, id_param="fromId", per_symbol=True),
    ),
    permissions=permissions,
    key_help=KEY_HELP,
    markets_of="either",  # no spot ledger: a coin bought and sold back shows only through its quote asset
)
