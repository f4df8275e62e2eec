"""Bitget spot (classic v2 API): 90-day windows paged newest-first with `idLessThan`; fills need a symbol."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from taxer.exchanges import normalize
from taxer.exchanges.normalize import RawFields
from taxer.exchanges.spec import ExchangeSpec, KeyPermissions, StreamSpec
from taxer.model import Leg

RAW = RawFields(trade_amount=("size",), trade_cost=("amount",), trade_fee=("feeDetail.totalFee",),
                transfer_amount=("size",), transfer_fee=("fee",))
# A withdrawal's `size` includes its fee: what left the address book is size - |fee|, then the fee on top.
WITHDRAWAL_RAW = RawFields(transfer_fee=("fee",))
# Bills that are income: the "financial" group (earn/staking interest) and airdrop/reward business types.
INCOME_GROUPS = {"financial": "staking"}
INCOME_WORDS = (("airdrop", "airdrop"), ("rebate", "reward"), ("reward", "reward"), ("interest", "interest"))
# API key authorities (bitget docs): codes ending in "r" read, in "w" read-write; "wwow" withdraws.
# Older keys list words ("readonly", "trade", "withdraw", "transfer").
WITHDRAW_SCOPES = {"wwow", "withdraw", "transfer"}
READ_SCOPES = {"readonly", "read", "read_only"}


def _fetch_trades(gw, symbol, since, limit, params):
    return gw.call("fetch_my_trades", symbol, since, limit, params)


def _fetch_deposits(gw, symbol, since, limit, params):
    return gw.call("fetch_deposits", None, since, limit, params)


def _fetch_withdrawals(gw, symbol, since, limit, params):
    return gw.call("fetch_withdrawals", None, since, limit, params)


def _fetch_bills(gw, symbol, since, limit, params):
    return gw.call("fetch_ledger", None, since, limit, params)


def _income_label(info: dict) -> str | None:
    group, business = str(info.get("groupType", "")).lower(), str(info.get("businessType", "")).lower()
    if group in INCOME_GROUPS:
        return INCOME_GROUPS[group]
    for word, label in INCOME_WORDS:
        if word in business:
            return label
    return None


def _bill_income(record, account, source):
    info = record.get("info") or {}
    label = _income_label(info)
    if label is None or Decimal(str(info.get("size", record.get("amount") or 0))) <= 0:
        return None  # trades, deposits and withdrawals come from their own streams
    return normalize.income(account=account, source=source, when_ms=int(record["timestamp"]),
                            asset=record["currency"], amount=abs(Decimal(str(info.get("size", record["amount"])))),
                            label=label, record_id=str(record["id"]), description=f"bitget {info.get('businessType')}")


def permissions(gw) -> KeyPermissions:
    response = gw.call("private_spot_get_v2_spot_account_info")
    scopes = {str(s).lower() for s in ((response or {}).get("data") or {}).get("authorities") or []}
    if not scopes:
        return KeyPermissions(known=False, detail="no authorities listed")
    writes = {s for s in scopes if (len(s) == 4 and s.endswith("w")) or s == "trade"} - WITHDRAW_SCOPES
    return KeyPermissions(read=True, trade=bool(writes), withdraw=bool(scopes & WITHDRAW_SCOPES),
                          detail="authorities: " + ", ".join(sorted(scopes)))


def _withdrawal(record, account, source):
    tx = normalize.transfer(record, account=account, source=source, raw=WITHDRAWAL_RAW, direction="withdrawal")
    info = record.get("info") or {}
    if info.get("size") not in (None, "") and tx.fee is not None and tx.sent is not None:
        net = abs(Decimal(str(info["size"]))) - tx.fee.amount  # exact, from bitget's own strings
        tx = replace(tx, sent=Leg(tx.sent.asset, net))
    return tx


def _assets(record) -> set[str]:
    return {record["currency"]} if record.get("currency") else set()


_windowed = dict(paging="windows_id_descending", limit=100, window_days=90, id_param="idLessThan")
SPEC = ExchangeSpec(
    id="bitget",
    options={"uta": False, "fetchMarkets": {"types": ["spot"]}, "defaultType": "spot"},
    history_start="2018-07-01",
    raw=RAW,
    streams=(
        StreamSpec("deposits", _fetch_deposits, lambda r, a, s: normalize.transfer(r, account=a, source=s, raw=RAW,
                                                                                   direction="deposit"),
                   assets=_assets, **_windowed),
        StreamSpec("withdrawals", _fetch_withdrawals, _withdrawal, assets=_assets, **_windowed),
        StreamSpec("ledger", _fetch_bills, _bill_income, assets=_assets,
                   **dict(_windowed, limit=500)),
        StreamSpec("trades", _fetch_trades, lambda r, a, s: normalize.trade(r, account=a, source=s, raw=RAW),
                   per_symbol=True, **_windowed),
    ),
    permissions=permissions,
    markets_of="both",   # every spot fill moves both coins, and the bills list every coin that moved
    needs_password=True,
)
