"""The user's corrections of the imported ledger: audited records applied on top of it before the engine runs.

    from taxer.corrections import apply
    transactions, overrides, outcome = apply(ledger_transactions, corrections, currency="USD")
    result = compute(transactions, settings, overrides=overrides)
"""

from taxer.corrections.apply import apply
from taxer.corrections.build import build, from_row
from taxer.corrections.records import KINDS, RELABELS, Correction, CorrectionProblem, Outcome, Target

__all__ = ["KINDS", "RELABELS", "Correction", "CorrectionProblem", "Outcome", "Target", "apply", "build", "from_row"]
