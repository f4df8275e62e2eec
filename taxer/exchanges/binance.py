"""Binance spot: trades per symbol by ascending `fromId`; deposits, withdrawals and dividends in time windows."""

from __future__ import annotations

from decimal import Decimal

from taxer.exchanges import normalize
from taxer.exchanges.normalize import RawFields
from taxer.exchanges.spec import ExchangeSpec, KeyPermissions, StreamSpec, unified

RAW = RawFields(trade_amount=("qty",), trade_cost=("quoteQty",), trade_fee=("commission",),
                transfer_amount=("amount",), transfer_fee=("transactionFee",))
RISKY = ("enableSpotAndMarginTrading", "enableMargin", "enableFutures", "enableVanillaOptions",
         "enablePortfolioMarginTrading")
MOVES_FUNDS = ("enableWithdrawals", "enableInternalTransfer", "permitsUniversalTransfer")


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


def permissions(gw) -> KeyPermissions:
    r = gw.call("sapi_get_account_apirestrictions") or {}
    on = [k for k in (*RISKY, *MOVES_FUNDS) if r.get(k) is True]
    return KeyPermissions(read=bool(r.get("enableReading", True)), trade=any(k in on for k in RISKY),
                          withdraw=any(k in on for k in MOVES_FUNDS),
                          detail=("enabled: " + ", ".join(on)) if on else "reading only")


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
    markets_of="either",  # no spot ledger: a coin bought and sold back shows only through its quote asset
)
