"""A local replica of exchanges' REST APIs, for testing the real ccxt client against a known account history.

    history = generate_history(seed=1, trades=6000)
    with Replica("bitget", history, api_key="k", secret="s", passphrase="p") as rep:
        ...  # point ccxt's urls['api'] at rep.url; every request is in rep.requests

The server does not import ccxt: only the tests and the gateway talk to it through ccxt.
"""

from taxer_replica.base import COMPUTED, KeyFacts, Permissions
from taxer_replica.extras import Conversion, Earning, Extras, FiatMove, OwnMove, with_extras
from taxer_replica.faults import Faults
from taxer_replica.history import History, LedgerEntry, Market, Reward, Trade, Transfer, generate_history
from taxer_replica.prices import Candle
from taxer_replica.server import EXCHANGES, Replica

__all__ = ["COMPUTED", "EXCHANGES", "Candle", "Conversion", "Earning", "Extras", "Faults", "FiatMove", "History",
           "KeyFacts", "LedgerEntry", "Market", "OwnMove", "Permissions", "Replica", "Reward", "Trade", "Transfer",
           "generate_history", "with_extras"]
