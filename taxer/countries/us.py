"""United States (IRS): the engine's defaults. The PDF's methodology page has the US rules built in."""

from taxer.countries import losses
from taxer.countries.base import Country

US = Country(
    code="us", name="United States", currency="USD", zone=None, year_start=(1, 1),
    methods=("fifo", "lifo", "hifo"), pool="auto", carryover=losses.us, loss_totals=losses.us_totals,
    nonstandard=(("average", "average cost is allowed only for regulated investment company shares and dividend "
                  "reinvestment plans (Treas. Reg. 1.1012-1(e)), not for digital assets"),),
    refused_pools=(("universal", "from 2025 basis is tracked per wallet or account (Treas. Reg. 1.1012-1(j), "
                    "Rev. Proc. 2024-28); --pool auto uses the universal pool before 2025 and per-account pools "
                    "after"),),
    holding="Long-term when sold after the anniversary of the acquisition date (held more than one year).",
    methodology=(),
)
