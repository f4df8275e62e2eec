"""What an asset code and an account name may be: letters, digits and a few separators, starting with a letter
or digit.

Both land in every report CSV; a name starting with `=`, `+`, `-` or `@` (`=HYPERLINK(...)`, `@SUM(...)`, `-2+3`)
is a formula to a spreadsheet, and one with control characters breaks the ledger's text. They are checked where
they enter: importers (through their row helper), account creation, the store's insert path, price files.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Asset codes as exchanges and wallets spell them: BTC, 1INCH, ETH2.S, XBT.M, USDC.e, BNB-BEP20, WETH_ARB,
# LP/USDT-ETH, NFT:0xabc#12.
_ASSET = re.compile(r"[^\W_][\w.\-/:#]{0,63}")
# Account names as people write them: coinbase, Ledger Nano (old), kraken-main, bitget_2, me@exchange.
_ACCOUNT = re.compile(r"[^\W_][\w .\-()#@&'+]{0,99}")


class NameProblem(ValueError):
    """An asset code or account name taxer refuses; the message says what is allowed."""


@lru_cache(maxsize=4096)
def check_asset(code: str) -> str:
    """`code` if it is a valid asset code, else NameProblem (cached: a ledger has few distinct assets)."""
    if not isinstance(code, str) or not _ASSET.fullmatch(code):
        raise NameProblem(f"{code!r} is not an asset code: use letters and digits, optionally with . - _ / : # "
                          "inside (such as BTC, ETH2.S, USDC.e), at most 64 characters, starting with a letter or "
                          "digit")
    return code


@lru_cache(maxsize=1024)
def check_account(name: str) -> str:
    """`name` if it is a valid account name, else NameProblem."""
    if not isinstance(name, str) or not _ACCOUNT.fullmatch(name) or name != name.strip():
        raise NameProblem(f"{name!r} is not an account name: use letters and digits, optionally with spaces and "
                          ". - _ ( ) # @ & ' + inside (such as coinbase, kraken-main, Ledger Nano), at most 100 "
                          "characters, starting with a letter or digit")
    return name
