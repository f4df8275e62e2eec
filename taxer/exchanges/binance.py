"""Binance spot: trades per symbol by ascending `fromId`; deposits, withdrawals, dividends, converts, dust, fiat
orders and card payments, Simple Earn rewards in time windows (each as its endpoint documents it).

None of converts, dust conversions, fiat/card buys or Simple Earn rewards appear in `myTrades` or the deposit
history (EXCHANGES.md); each is its own stream. The answer shapes are the documented ones in `tests/real/api/binance/`.
"""

from __future__ import annotations

from decimal import Decimal

from taxer.exchanges import keyfacts, normalize
from taxer.exchanges.normalize import RawFields
from taxer.exchanges.spec import ExchangeSpec, KeyHelp, KeyPermissions, StreamSpec, unified
from taxer.model import Kind, Leg, Transaction

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


def _when(ms) -> object:
    return normalize.from_ms(int(ms))


def _dec(value) -> Decimal:
    return Decimal(str(value))


def _window(since, params, limit_name: str | None, limit: int, begin: str = "startTime") -> dict:
    request = {begin: since, "endTime": params["until"]}
    if limit_name:
        request[limit_name] = limit
    return request


# --- Convert: tests/real/api/binance/convert-trade-flow.json (developers.binance.com Get-Convert-Trade-History):
# {"list": [...], "moreData": bool}; startTime..endTime at most 30 days; orderId a number above 2**53.
def _fetch_converts(gw, symbol, since, limit, params):
    response = gw.call("sapi_get_convert_tradeflow", _window(since, params, "limit", limit)) or {}
    return [dict(row, id=str(row["orderId"])) for row in response.get("list") or []]


def _convert(row, account, source) -> Transaction | None:
    if row.get("orderStatus") != "SUCCESS":
        return None   # only SUCCESS moved funds (the other statuses are undocumented)
    return Transaction(account=account, timestamp=_when(row["createTime"]), kind=Kind.TRADE,
                       sent=Leg(row["fromAsset"], _dec(row["fromAmount"])),
                       received=Leg(row["toAsset"], _dec(row["toAmount"])),
                       description=f"convert {row['fromAsset']} -> {row['toAsset']}", source=source,
                       external_id=f"convert:{row['orderId']}")


# --- Dust: tests/real/api/binance/dribblet.json (developers.binance.com dust-log): groups of details, each a small
# balance swapped for BNB; `transferedAmount` is the BNB received net of `serviceChargeAmount` (the BNB fee).
# Times and ids are numbers in the docs' example and strings in ccxt's comment: both are read.
DUST_SINCE = "2020-12-01"   # the docs: only records after 2020-12-01 are served


def _fetch_dust(gw, symbol, since, limit, params):
    response = gw.call("sapi_get_asset_dribblet", _window(since, params, None, limit)) or {}
    return [dict(detail, id=f"{detail['transId']}:{detail['fromAsset']}",
                 operateTime=detail.get("operateTime") or group.get("operateTime"))
            for group in response.get("userAssetDribblets") or []
            for detail in group.get("userAssetDribbletDetails") or []]


def _dust(row, account, source) -> Transaction:
    fee = _dec(row.get("serviceChargeAmount") or 0)
    # taxer's trades receive the gross amount and pay the fee out of it
    return Transaction(account=account, timestamp=_when(row["operateTime"]), kind=Kind.TRADE,
                       sent=Leg(row["fromAsset"], _dec(row["amount"])),
                       received=Leg("BNB", _dec(row["transferedAmount"]) + fee), fee=Leg("BNB", fee) if fee else None,
                       description=f"dust {row['fromAsset']} -> BNB", source=source, external_id=f"dust:{row['id']}")


# --- Fiat: tests/real/api/binance/fiat-orders--deposit.json, fiat-payments--buy.json (developers.binance.com fiat
# rest-api): {"code": "000000", "data": [...], "total"}, paged by `page`/`rows` (500) in beginTime..endTime.
# The fiat endpoints weigh 90000 per call against the account's per-minute budget (fiat-orders--deposit.meta.json)
# and document no longest range: one window over the whole history, narrowed only when a page comes back full.
FIAT_WINDOW_DAYS = 365 * 40
FIAT_ORDER_DONE = {"Successful", "Finished"}   # the other documented statuses moved nothing (or not yet)
FIAT_PAYMENT_DONE = {"Completed"}


def _fiat(method: str, transaction_type: str):
    def fetch(gw, symbol, since, limit, params):
        request = dict(_window(since, params, "rows", limit, begin="beginTime"), transactionType=transaction_type)
        response = gw.call(method, request) or {}
        return [dict(row, id=row["orderNo"]) for row in response.get("data") or []]
    return fetch


def _fiat_order(direction: str):
    def convert(row, account, source) -> Transaction | None:
        if row.get("status") not in FIAT_ORDER_DONE:
            return None
        leg = Leg(row["fiatCurrency"], _dec(row["amount"]))
        fee = _dec(row.get("totalFee") or 0)
        deposit = direction == "deposit"
        return Transaction(account=account, timestamp=_when(row["createTime"]),
                           kind=Kind.DEPOSIT if deposit else Kind.WITHDRAWAL, sent=None if deposit else leg,
                           received=leg if deposit else None, fee=Leg(row["fiatCurrency"], fee) if fee else None,
                           description=f"fiat {direction} ({row.get('method') or 'bank'})", source=source,
                           external_id=f"{direction}:fiat:{row['orderNo']}")
    return convert


def _card_payment(side: str):
    def convert(row, account, source) -> Transaction | None:
        if row.get("status") not in FIAT_PAYMENT_DONE:
            return None
        fiat, crypto = row["fiatCurrency"], row["cryptoCurrency"]
        fee = _dec(row.get("totalFee") or 0)
        # a buy: sourceAmount is the fiat paid including the fee; a sell: the fiat received before it (assumption)
        fiat_leg = Leg(fiat, _dec(row["sourceAmount"]) - (fee if side == "buy" else 0))
        crypto_leg = Leg(crypto, _dec(row["obtainAmount"]))
        return Transaction(account=account, timestamp=_when(row["createTime"]), kind=Kind.TRADE,
                           sent=fiat_leg if side == "buy" else crypto_leg,
                           received=crypto_leg if side == "buy" else fiat_leg,
                           fee=Leg(fiat, fee) if fee else None,
                           description=f"card {side} {crypto} ({row.get('paymentMethod') or 'card'})",
                           source=source, external_id=f"fiat-{side}:{row['orderNo']}")
    return convert


# --- Simple Earn: tests/real/api/binance/simple-earn-flexible-rewards.json and -locked-rewards.json
# (developers.binance.com simple_earn history): {"rows": [...], "total"} (total is not to be trusted), paged by
# `current`/`size` (100) in startTime..endTime of at most 3 months. Rows carry no id: the id is made of what the
# row holds. Flexible rewards are `rewards`, locked ones `amount`.
def _fetch_earn(method: str, extra: dict):
    def fetch(gw, symbol, since, limit, params):
        response = gw.call(method, dict(_window(since, params, "size", limit), **extra)) or {}
        return [dict(row, id=":".join(str(row.get(k, "")) for k in ("projectId", "positionId", "asset", "type",
                                                                      "time")))
                for row in response.get("rows") or []]
    return fetch


def _earn(product: str, label: str):
    def convert(row, account, source) -> Transaction | None:
        amount = _dec(row.get("rewards") or row.get("amount") or 0)
        if amount <= 0:
            return None
        return normalize.income(account=account, source=source, when_ms=int(row["time"]), asset=row["asset"],
                                amount=amount, label=label, record_id=f"earn-{product}:{row['id']}",
                                description=f"binance simple earn {product} {row.get('type') or ''}".strip())
    return convert


def permissions(gw) -> KeyPermissions:
    return parse_permissions(gw.call("sapi_get_account_apirestrictions"))


def _assets(record) -> set[str]:
    return {record.get("currency") or record.get("asset")} - {None}


def _pair_assets(*fields: str):
    return lambda record: {record.get(f) for f in fields} - {None, ""}


_FIAT_ADVICE = {"advice": "import Binance's Transaction History statement (its 'Fiat Deposit' and 'Buy Crypto' "
                          "rows) with `taxer import csv`"}
_EARN_ADVICE = {"advice": "give the key the 'Enable Reading' permission for Simple Earn, or import Binance's "
                          "Transaction History statement (its 'Simple Earn' rows) with `taxer import csv`"}


SPEC = ExchangeSpec(
    id="binance",
    title="Binance",
    summary="spot trades (by fromId), deposits, withdrawals, distributions, converts, dust, fiat and card "
            "payments, Simple Earn rewards",
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
        # The streams below page by window and are narrowed on a full page (their pages are numbered, not offset).
        StreamSpec("converts", _fetch_converts, _convert, paging="windows_offset", limit=1000, window_days=30,
                   offset_param=None, assets=_pair_assets("fromAsset", "toAsset"),
                   advice="import Binance's Convert history export (Orders > Convert History) with `taxer import "
                          "csv`"),
        StreamSpec("dust", _fetch_dust, _dust, paging="windows_offset", limit=100, window_days=365,
                   offset_param=None, starts=DUST_SINCE, assets=_pair_assets("fromAsset"),
                   advice="import Binance's Transaction History statement (its 'Small assets exchange BNB' rows)"),
        StreamSpec("fiat-deposits", _fiat("sapi_get_fiat_orders", "0"), _fiat_order("deposit"),
                   paging="windows_offset", limit=500, window_days=FIAT_WINDOW_DAYS, offset_param=None, **_FIAT_ADVICE),
        StreamSpec("fiat-withdrawals", _fiat("sapi_get_fiat_orders", "1"), _fiat_order("withdrawal"),
                   paging="windows_offset", limit=500, window_days=FIAT_WINDOW_DAYS, offset_param=None, **_FIAT_ADVICE),
        StreamSpec("card-buys", _fiat("sapi_get_fiat_payments", "0"), _card_payment("buy"),
                   paging="windows_offset", limit=500, window_days=FIAT_WINDOW_DAYS, offset_param=None,
                   assets=_pair_assets("cryptoCurrency"), **_FIAT_ADVICE),
        StreamSpec("card-sells", _fiat("sapi_get_fiat_payments", "1"), _card_payment("sell"),
                   paging="windows_offset", limit=500, window_days=FIAT_WINDOW_DAYS, offset_param=None,
                   assets=_pair_assets("cryptoCurrency"), **_FIAT_ADVICE),
        StreamSpec("earn-flexible", _fetch_earn("sapi_get_simple_earn_flexible_history_rewardsrecord",
                                                {"type": "ALL"}), _earn("flexible", "interest"),
                   paging="windows_offset", limit=100, window_days=90, offset_param=None, assets=_assets,
                   **_EARN_ADVICE),
        StreamSpec("earn-locked", _fetch_earn("sapi_get_simple_earn_locked_history_rewardsrecord", {}),
                   _earn("locked", "staking"), paging="windows_offset", limit=100, window_days=90,
                   offset_param=None, assets=_assets, **_EARN_ADVICE),
        StreamSpec("trades", unified("fetch_my_trades", with_symbol=True), normalize.as_trade(RAW),
                   paging="id_ascending", limit=1000, id_param="fromId", per_symbol=True),
    ),
    permissions=permissions,
    key_help=KEY_HELP,


    # tests/real/api/binance/error--unauthorized.json (binance spot errors.md -1002 UNAUTHORIZED, HTTP 401); an
    # unknown path is a bare 404 (its body is not documented)
    endpoint_errors={'"code":-1002': "not authorized"},
    # tests/real/api/binance/error--invalid-key-ip-or-permission.json (-2015 REJECTED_MBX_KEY, HTTP 401): one answer
    # for three causes, so the message names all three. ccxt calls it a DDoSProtection once a call has succeeded.
    key_errors={'"code":-2015': "Binance gives this one answer for three causes: the API key is unknown (deleted "
                                "or mistyped), this computer's IP address is not on the key's list of trusted IPs, "
                                "or the key lacks the permission this call needs ('Enable Reading')"},
    markets_of="either",  # no spot ledger: a coin bought and sold back shows only through its quote asset
)
