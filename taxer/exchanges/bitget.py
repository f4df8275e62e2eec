"""Bitget spot (classic v2 API): 90-day windows paged newest-first with `idLessThan`; fills need a symbol."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from taxer.exchanges import keyfacts, normalize
from taxer.exchanges.normalize import RawFields
from taxer.exchanges.spec import ExchangeSpec, KeyHelp, KeyPermissions, StreamSpec, unified
from taxer.model import Kind, Leg, Transaction

RAW = RawFields(trade_amount=("size",), trade_cost=("amount",), trade_fee=("feeDetail.totalFee",),
                transfer_amount=("size",), transfer_fee=("fee",))
# A withdrawal's `size` includes its fee: what left the address book is size - |fee|, then the fee on top.
WITHDRAWAL_RAW = RawFields(transfer_fee=("fee",))
# Bills that are income: the "financial" group (earn/staking interest) and airdrop/reward business types.
INCOME_GROUPS = {"financial": "staking"}
INCOME_WORDS = (("airdrop", "airdrop"), ("rebate", "reward"), ("reward", "reward"), ("interest", "interest"))
# API key authorities of GET /api/v2/spot/account/info (bitget docs, "Get Account Information": the fullest table is
# the edition at https://www.bitget.live/api-doc/spot/account/Get-Account-Info; the Chinese edition at
# https://bitget.fit/zh-CN/api-doc/spot/account/Get-Account-Info writes the P2P read-write code "p2pw"). Codes ending
# in "r" read; write codes are split by what they can do: trade, or move funds (withdraw, wallet transfer, P2P,
# sub-account management). "taxw" (tax read and write) can do neither. The documented example lists the older words
# "readonly" and "trade". Any other code is unknown and refuses the key.
READ_CODES = {"coor", "cpor", "stor", "smor", "ttor", "wtor", "taxr", "chor", "p2pr", "pllr", "readonly"}
HARMLESS_WRITE_CODES = {"taxw"}
TRADE_CODES = {"coow", "cpow", "stow", "smow", "ttow", "pllw", "trade"}
MOVES_FUNDS_CODES = {"wwow", "wtow", "chow", "p2p", "p2pw"}
KEY_HELP = KeyHelp(
    steps=("Bitget > Profile > API Keys > Create API Key > System-generated API Key; set a passphrase and note it.",
           "Permissions: choose 'Read-only' for every area (Spot, Futures, Margin, Wallet, Tax). Do not tick "
           "'Read and write', 'Withdraw' or 'Transfer'.",
           "Bind the key to this computer's public IP address in the 'Bind IP address' field."),
    allowlist="Bitget > API Keys > Edit > Bind IP address",
    docs="https://www.bitget.com/support/articles/360038968251-API-Creation-Guide")


def income_label(info: dict) -> str | None:
    group, business = str(info.get("groupType", "")).lower(), str(info.get("businessType", "")).lower()
    if group in INCOME_GROUPS:
        return INCOME_GROUPS[group]
    for word, label in INCOME_WORDS:
        if word in business:
            return label
    return None


def _fetch_bills(gw, symbol, since, limit, params):
    # The raw bills endpoint, not ccxt's fetch_ledger: an account has ~3 bills per trade and only income is
    # kept, so ccxt's per-entry parsing was half of a sync's time.
    request = {"startTime": since, "endTime": params["until"], "limit": limit}
    if params.get("idLessThan"):
        request["idLessThan"] = params["idLessThan"]
    response = gw.call("private_spot_get_v2_spot_account_bills", request) or {}
    return [dict(row, id=row["billId"]) for row in response.get("data") or []]


def bill_time_ms(value) -> int:
    """A bill's `cTime`: ms in the parameter text, seconds in the documented example
    (tests/real/api/bitget/account-bills.json): 10 digits or fewer are seconds."""
    number = int(str(value))
    return number * 1000 if number < 10**11 else number


def _bill_income(bill, account, source):
    label = income_label(bill)
    amount = Decimal(str(bill.get("size") or 0))
    if label is None or amount <= 0:
        return None  # trades, deposits and withdrawals come from their own streams
    # the documented example writes coins in lower case ("usdt")
    return normalize.income(account=account, source=source, when_ms=bill_time_ms(bill["cTime"]),
                            asset=str(bill["coin"]).upper(),
                            amount=amount, label=label, record_id=str(bill["billId"]),
                            description=f"bitget {bill.get('businessType')}")


def parse_permissions(response: object) -> KeyPermissions:
    """account/info's `authorities` read against bitget's code table; an unknown code or shape refuses the key."""
    data = response.get("data") if isinstance(response, dict) else None
    if not isinstance(data, dict):
        return keyfacts.unreadable("account info has no data object", response)
    codes = data.get("authorities")
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
        return keyfacts.unreadable("authorities is not a list of codes", codes)
    r = keyfacts.Reading()
    known = READ_CODES | HARMLESS_WRITE_CODES | TRADE_CODES | MOVES_FUNDS_CODES
    unknown = [c for c in codes if c.strip().lower() not in known]
    for code in unknown:
        r.unknown(f"unknown authority {code!r}")
    scopes = {c.strip().lower() for c in codes}
    moves = bool(scopes & MOVES_FUNDS_CODES) or any(keyfacts.says_moves_funds(c) for c in unknown)
    ips = data.get("ips", data.get("ipWhiteList"))
    return r.done(read=bool(scopes & READ_CODES) or bool(scopes & (TRADE_CODES | MOVES_FUNDS_CODES)),
                  trade=bool(scopes & TRADE_CODES) or (None if unknown else False),
                  withdraw=moves or (None if unknown else False),
                  detail="authorities: " + ", ".join(codes), ip_restricted=keyfacts.ip_list(ips))


def _fetch_converts(gw, symbol, since, limit, params):
    # tests/real/api/bitget/convert-record.json: data.dataList, 90-day windows, idLessThan (the answer's endId is
    # the smallest id of the page, which the pager takes from the rows)
    request = {"startTime": since, "endTime": params["until"], "limit": limit}
    if params.get("idLessThan"):
        request["idLessThan"] = params["idLessThan"]
    response = gw.call("private_convert_get_v2_convert_convert_record", request) or {}
    return list(((response.get("data") or {}).get("dataList")) or [])


def _convert(row, account, source) -> Transaction:
    fee = Decimal(str(row.get("fee") or 0))
    # fromCoinSize is a JSON number in the documented answer: its shortest repr is the exact decimal
    return Transaction(account=account, timestamp=normalize.from_ms(int(row["ts"])), kind=Kind.TRADE,
                       sent=Leg(row["fromCoin"].upper(), Decimal(str(row["fromCoinSize"]))),
                       received=Leg(row["toCoin"].upper(), Decimal(str(row["toCoinSize"]))),
                       fee=Leg(row["toCoin"].upper(), fee) if fee else None,
                       description=f"convert {row['fromCoin']} -> {row['toCoin']}", source=source,
                       external_id=f"convert:{row['id']}")


def _fetch_bgb(gw, symbol, since, limit, params):
    # tests/real/api/bitget/bgb-convert-records.json: a bare list, `ctime`, no documented cursor (the window is
    # narrowed on a full page)
    request = {"startTime": since, "endTime": params["until"], "limit": limit}
    response = gw.call("private_convert_get_v2_convert_bgb_convert_records", request) or {}
    return [dict(row, id=row["orderId"]) for row in response.get("data") or []]


def _bgb(row, account, source) -> Transaction | None:
    if str(row.get("status", "success")).lower() != "success":
        return None
    fees = [(f["feeCoin"], Decimal(str(f["fee"]))) for f in row.get("feeDetail") or [] if f.get("fee")]
    fee = fees[0] if fees else None
    # toAmount taken as what arrived, net of the fee in BGB (the docs do not say; as binance's dust log)
    received = Decimal(str(row["toAmount"])) + (fee[1] if fee and fee[0] == row["toCoin"] else 0)
    return Transaction(account=account, timestamp=normalize.from_ms(int(row["ctime"])), kind=Kind.TRADE,
                       sent=Leg(row["fromCoin"], Decimal(str(row["fromAmount"]))),
                       received=Leg(row["toCoin"], received), fee=Leg(*fee) if fee else None,
                       description=f"small balance {row['fromCoin']} -> {row['toCoin']}", source=source,
                       external_id=f"bgb-convert:{row['orderId']}")


def permissions(gw) -> KeyPermissions:
    return parse_permissions(gw.call("private_spot_get_v2_spot_account_info"))


def _withdrawal(record, account, source):
    tx = normalize.transfer(record, account=account, source=source, raw=WITHDRAWAL_RAW, direction="withdrawal")
    info = record.get("info") or {}
    if info.get("size") not in (None, "") and tx.fee is not None and tx.sent is not None:
        net = abs(Decimal(str(info["size"]))) - tx.fee.amount  # exact, from bitget's own strings
        tx = replace(tx, sent=Leg(tx.sent.asset, net))
    return tx


def _assets(record) -> set[str]:
    asset = record.get("currency") or record.get("coin")  # unified records, or raw bills (lower case)
    return {str(asset).upper()} if asset else set()


def _convert_assets(row) -> set[str]:
    return {str(row.get(k)).upper() for k in ("fromCoin", "toCoin") if row.get(k)}


_windowed = dict(paging="windows_id_descending", limit=100, window_days=90, id_param="idLessThan")
SPEC = ExchangeSpec(
    id="bitget",
    title="Bitget",
    summary="spot fills, deposits, withdrawals, bills (staking and earn income), converts, small-balance swaps",
    candle_limit=1000,  # candles per OHLCV request (EXCHANGES.md)
    options={"uta": False, "fetchMarkets": {"types": ["spot"]}, "defaultType": "spot"},
    history_start="2018-07-01",
    raw=RAW,
    streams=(
        StreamSpec("deposits", unified("fetch_deposits"), normalize.as_transfer(RAW, "deposit"), assets=_assets,
                   **_windowed),
        StreamSpec("withdrawals", unified("fetch_withdrawals"), _withdrawal, assets=_assets, **_windowed),
        StreamSpec("ledger", _fetch_bills, _bill_income, assets=_assets, **dict(_windowed, limit=500),
                   advice="import Bitget's spot financial record export (Assets > Spot > Financial records) with "
                          "`taxer import csv`"),
        StreamSpec("converts", _fetch_converts, _convert, assets=_convert_assets, **_windowed,
                   advice="import Bitget's convert history export with `taxer import csv`"),
        StreamSpec("bgb-converts", _fetch_bgb, _bgb, paging="windows_offset", limit=100, window_days=90,
                   offset_param=None, assets=_convert_assets,
                   advice="import Bitget's spot financial record export (its small-balance rows) with `taxer "
                          "import csv`"),
        StreamSpec("trades", unified("fetch_my_trades", with_symbol=True), normalize.as_trade(RAW), per_symbol=True,
                   **_windowed),
    ),
    permissions=permissions,
    key_help=KEY_HELP,
    # tests/real/api/bitget/error--incorrect-permissions.json (40014); an unknown path answers a web framework's
    # 404 (error--unknown-endpoint.json), taken by its status
    endpoint_errors={'"code":"40014"': "not authorized"},
    # tests/real/api/bitget/error--invalid-key.json (40006), error--apikey-password-incorrect.json (40012) and
    # error--invalid-ip.json (40018)
    key_errors={'"code":"40006"': "Bitget does not know this API key: it was deleted, or mistyped",
                '"code":"40018"': "the key is bound to IP addresses and this computer's IP address is not one of "
                                  "them: add it to the key's IP list",
                '"code":"40012"': "the API key or its passphrase is wrong (Bitget does not say which): check the "
                                  "passphrase you chose when you made the key first"},
    markets_of="both",   # every spot fill moves both coins, and the bills list every coin that moved
    needs_password=True,
)
