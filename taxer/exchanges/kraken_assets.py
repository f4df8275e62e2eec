"""kraken's asset ids as unified coins, one function for the API sync and the CSV exports alike.

kraken names a coin in three ways: a legacy X/Z-prefixed id (XXBT, ZUSD), an altname (XBT, XDG) and the code of a
wallet that holds the coin apart, a suffix after a dot. Kraken's support article "What is Asset.S and Asset.M?"
(https://support.kraken.com/hc/en-us/articles/360039879471-What-is-Asset-S-and-Asset-M-): `.S` is an on-chain
staked balance (XTZ.S), `.M` an opt-in rewards balance (BTC.M), `.P` a parachain-bonded balance (DOT.P); since
2023-11-15 kraken migrates them to the plain code (a ledger "migration"). Its BalanceEx reference
(https://docs.kraken.com/api/docs/rest-api/get-extended-balance) adds `.B` (yield-bearing products, like .S and
.M) and `.F` (earning automatically in Kraken Rewards), and says these balances are "read-only" views of the base
asset. They are the same coin for taxes: moving coins into or out of them is no disposal. `.T` (tokenized assets)
is another asset, and keeps its code. ETH2 (ETH2.S) is kraken's staked ether: its ledger moves XETH into ETH2.S as
a move between the user's own wallets (tests/real/api/kraken/ledgers--income-and-transfers.json, entries 5 and 6),
so it is ETH too (ccxt does not map it).
"""

from __future__ import annotations

# Balances kraken keeps apart for staked/earning coins (DOT.S, ETH.F, XBT.M, ...): the coin itself.
WALLET_SUFFIXES = frozenset({"S", "M", "F", "B", "P"})
# ccxt's own mapping of kraken's legacy X/Z asset ids (its `commonCurrencies`), for where ccxt is not at hand (CSV).
LEGACY = {"XXBT": "BTC", "XBT": "BTC", "XXDG": "DOGE", "XDG": "DOGE", "XETH": "ETH", "XETC": "ETC", "XLTC": "LTC",
          "XMLN": "MLN", "XREP": "REP", "XXLM": "XLM", "XXMR": "XMR", "XXRP": "XRP", "XZEC": "ZEC", "ZAUD": "AUD",
          "ZCAD": "CAD", "ZEUR": "EUR", "ZGBP": "GBP", "ZJPY": "JPY", "ZUSD": "USD", "ZCHF": "CHF"}
STAKED = {"ETH2": "ETH"}   # a staked coin kraken lists under its own code


def asset_code(kraken_id: str) -> str:
    """The unified code of a kraken asset id without a wallet suffix, as ccxt maps it: XXBT -> BTC, ZUSD -> USD."""
    return LEGACY.get(kraken_id, kraken_id)


def held_asset(code: str) -> str:
    """A staking/earn wallet's code as the coin's id: DOT.S -> DOT, XBT.M -> XBT (not yet BTC: see `coin`)."""
    base, dot, suffix = code.rpartition(".")
    return base if dot and base and suffix.upper() in WALLET_SUFFIXES else code


def coin(kraken_id: str) -> str:
    """The unified coin of a kraken asset id, wallet suffix stripped first: XBT.M -> BTC, DOT.S -> DOT, XXBT -> BTC,
    ETH2.S -> ETH. The order matters: XBT.M is no legacy id, XBT is."""
    code = asset_code(held_asset(kraken_id.strip()))
    return STAKED.get(code, code)
