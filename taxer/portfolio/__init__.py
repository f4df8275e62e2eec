"""`taxer portfolio`: what is held at a moment, what it is worth, what selling it all would realize.

`build` (pure) assembles it from the engine's result and the cached prices; `history` adds the series the page
draws; `load` reads a workspace; `show` renders it for the terminal and as JSON.
"""

from taxer.portfolio.build import (
    AccountHoldings,
    Holding,
    Inputs,
    LotLine,
    Portfolio,
    SellNow,
    apportion,
    build,
    end_of_day,
    holding_period_matters,
)

__all__ = ["AccountHoldings", "Holding", "Inputs", "LotLine", "Portfolio", "SellNow", "apportion", "build",
           "end_of_day", "holding_period_matters"]
