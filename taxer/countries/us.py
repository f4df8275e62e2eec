"""United States (IRS): the engine's defaults. The PDF's methodology page has the US rules built in."""

from taxer.countries.base import Country

US = Country(
    code="us", name="United States", currency="USD", zone=None, year_start=(1, 1),
    methods=("fifo", "lifo", "hifo", "average"), pool="auto",
    holding="Long-term when sold after the anniversary of the acquisition date (held more than one year).",
    methodology=(),
)
