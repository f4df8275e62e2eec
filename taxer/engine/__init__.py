"""The cost-basis engine: pure functions from ledger transactions to lots, disposals, income and warnings.

    from taxer.engine import compute, EngineSettings
    result = compute(transactions, EngineSettings(method="hifo"), until=end_of_year, price=price_source)

No I/O of any kind happens here; a missing price or an unmatched transfer comes back as a `LedgerWarning` in the
result.
"""

from taxer.engine.allocation import SafeHarbor, SpecificUnits, snapshot_rows
from taxer.engine.core import compute
from taxer.engine.methods import METHODS
from taxer.engine.overrides import Overrides, SuppliedBasis
from taxer.engine.records import (
    CATEGORIES,
    Disposal,
    EarlierRows,
    IncomeEvent,
    LedgerWarning,
    Lot,
    Result,
    Transfer,
)
from taxer.engine.settings import POOLS, EngineSettings
from taxer.engine.taxyear import anniversary, is_long_term

METHOD_NAMES = tuple(METHODS)

__all__ = [
    "CATEGORIES", "METHOD_NAMES", "POOLS", "Disposal", "EarlierRows", "EngineSettings", "IncomeEvent", "Lot",
    "Overrides", "Result", "SafeHarbor", "SpecificUnits", "SuppliedBasis", "Transfer", "LedgerWarning", "anniversary",
    "compute", "is_long_term", "snapshot_rows",
]
