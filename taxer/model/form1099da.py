"""One row of a broker's Form 1099-DA (Digital Asset Proceeds From Broker Transactions), as the broker reported it.

Boxes of the final 2025 form (IRS Form 1099-DA and its Instructions for Recipient; box list as mapped by the
Financial Data Exchange, taxdataexchange.org/1099-da/mapping.html): 1a code of the digital asset, 1b its name,
1c number of units, 1d date acquired, 1e date sold or disposed, 1f proceeds, 1g cost or other basis, 1h accrued
market discount, 1i wash sale loss disallowed, 2 basis reported to the IRS, 3a gross or net proceeds, 3b QOF,
4 federal income tax withheld, 5 loss not allowed, 6 short-term / long-term / ordinary, 7 cash-only proceeds,
8 customer-provided acquisition information, 9 noncovered security, plus the "applicable checkbox on Form 8949"
(G, H, J, K). For 2025 brokers must report gross proceeds and may report basis (transitional penalty relief,
Notice 2024-56); basis reporting is required for covered units, acquired in the customer's account with a
custodial broker on or after 2026-01-01 (Treas. Reg. 1.6045-1 as amended by T.D. 10000).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class BrokerRow:
    """A 1099-DA line for one account; money in USD as the form prints it, None where the box is blank."""

    account: str
    asset: str                          # box 1a (the code, e.g. BTC)
    units: Decimal                      # box 1c
    date_sold: date                     # box 1e
    proceeds: Decimal                   # box 1f
    cost_basis: Decimal | None = None   # box 1g; None when not shown
    date_acquired: date | None = None   # box 1d; None when blank or "Various"
    various: bool = False               # box 1d says VARIOUS
    term: str = ""                      # box 6: short | long | ordinary | "" (not shown)
    basis_reported: bool = False        # box 2
    proceeds_type: str = ""             # box 3a: gross | net | ""
    noncovered: bool = False            # box 9
    form8949_code: str = ""             # applicable checkbox on Form 8949 (G, H, J, K) as the form prints it
    market_discount: Decimal | None = None        # box 1h
    wash_sale_disallowed: Decimal | None = None   # box 1i
    federal_tax_withheld: Decimal | None = None   # box 4
    asset_name: str = ""                # box 1b
    layout: str = "taxer"               # which file layout it was read from
    external_id: str = ""               # stable per account: re-imports add nothing twice
    origin: str = ""                    # "file.csv:12"
    payload: str = "{}"                 # the row as the file gave it (JSON)
    id: int | None = None

    @property
    def year(self) -> int:
        """The tax year the row belongs to: the calendar year of the sale."""
        return self.date_sold.year
