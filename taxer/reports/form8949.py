"""The printed sale lines as the reports use them; they live with the countries (taxer.countries.lines), whose
form rules box them and whose 1099-DA reconciliation re-boxes them."""

from taxer.countries.lines import (  # noqa: F401
    Form8949Line,
    Totals,
    acquired_date,
    line,
    lines,
    sort_lines,
    totals,
    totals_by_box,
)
