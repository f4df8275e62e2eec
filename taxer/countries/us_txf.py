"""form8949.txf: the year's Form 8949 lines in the Tax Exchange Format, version 042, for desktop tax software.

The layout is Intuit's TXF specification V042 (change date 11/30/2011; its last published version; the copy we read
is kept in hledger's repository as examples/TXF-spec-v042.org, and taxdataexchange.org/docs/txf/v042 describes it):

- a header record `V042`, `A<program>`, `D<export date>`, then `^`;
- each sale one detail record (`TD`) of record format 5: `N<refnumber>`, `C1`, `L1`, `P<security>`,
  `D<date acquired>`, `D<date sold>`, `$<cost basis>`, `$<sales net>`, `$<disallowed wash sale amount>` (empty
  when none), each field on its own line and the record closed by a line holding `^`; dates MM/DD/YYYY;
- refnumbers by Form 8949 copy (box): 321 short-term Copy A, 711 Copy B, 712 Copy C; 323 long-term Copy A,
  713 Copy B, 714 Copy C.

Digital-asset boxes G-L (Form 1099-DA, tax years from 2025): TXF V042 has no refnumber for them, and we found no
later TXF version nor any published refnumber that desktop software accepts for them. Form 8949 pairs them with
A-F by the same reporting facts (G/J basis reported like A/D, H/K basis not reported like B/E, I/L no form like
C/F), so each G-L line is written with the refnumber of its A-F counterpart; after importing, mark those
entries as digital assets (boxes G-L) in the tax software. The third amount of format 5 carries the line's column
(g) adjustment, and an `X` detail line names its adjustment code (TXF has no field for the code).

The file uses ASCII, as the specification asks: other characters in a description become '?'.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from taxer import __version__
from taxer.money import money

# Form 8949 box -> TXF V042 refnumber (short-term 321/711/712, long-term 323/713/714).
REFNUMBERS = {"A": "321", "B": "711", "C": "712", "D": "323", "E": "713", "F": "714"}
# Digital-asset boxes (2025+) -> the A-F box with the same reporting facts, whose refnumber they take.
LEGACY_BOX = {"G": "A", "H": "B", "I": "C", "J": "D", "K": "E", "L": "F"}
BOX_OF_REFNUMBER = {ref: box for box, ref in REFNUMBERS.items()}
FILE = "form8949.txf"


def refnumber(box: str) -> str:
    """The TXF refnumber of a Form 8949 box (G-L take their A-F counterpart's)."""
    return REFNUMBERS[LEGACY_BOX.get(box, box)]


def txf_date(iso: str) -> str:
    """'2024-03-01' -> '03/01/2024'; VARIOUS stays VARIOUS."""
    if iso.upper() == "VARIOUS":
        return "VARIOUS"
    d = date.fromisoformat(iso)
    return f"{d.month:02d}/{d.day:02d}/{d.year:04d}"


def _ascii(text: str) -> str:
    return "".join(c if 32 <= ord(c) < 127 else "?" for c in text).replace("^", "?")


def records(lines: Iterable[Any]) -> list[list[str]]:
    """One format-5 detail record (its field lines, without the closing '^') per Form 8949 line."""
    out = []
    for r in lines:
        fields = ["TD", f"N{refnumber(r.box)}", "C1", "L1"]
        if r.adjustment_code:
            fields.append(_ascii(f"X Form 8949 box {r.box}; adjustment code {r.adjustment_code}"))
        elif r.box in LEGACY_BOX:
            fields.append(f"X Form 8949 box {r.box}")
        fields += [_ascii(f"P{r.description}"), f"D{txf_date(r.date_acquired)}", f"D{txf_date(r.date_sold)}",
                   f"${money(r.cost_basis)}", f"${money(r.proceeds)}",
                   f"${money(r.adjustment)}" if r.adjustment else "$"]
        out.append(fields)
    return out


def txf_bytes(lines: Iterable[Any], exported: date | None = None) -> bytes:
    """The whole TXF file. `exported` is the header's export date: taxer writes the last day of the tax year
    rather than today, so the same ledger gives the same bytes."""
    stamp = txf_date(exported.isoformat()) if exported else ""
    text = ["V042", f"Ataxer {__version__}", f"D{stamp}", "^"]
    for fields in records(lines):
        text += [*fields, "^"]
    return ("\r\n".join(text) + "\r\n").encode("ascii")  # CR LF line ends, as the specification prefers


def files(view: Any) -> dict[str, bytes]:
    """form8949.txf of the view's Form 8949 lines."""
    p = view.params
    return {FILE: txf_bytes(view.form8949, date(p.year, 12, 31))}


def parse(data: bytes) -> list[dict[str, str]]:
    """The detail records of a TXF file as {refnumber, box, description, acquired, sold, cost_basis, proceeds,
    adjustment, detail}; `box` is the Form 8949 box (a G-L line's, from its X detail line). A reader for tests and
    for checking a file before handing it on."""
    out = []
    for chunk in data.decode("ascii").replace("\r\n", "\n").split("^\n")[1:]:
        fields = [f for f in chunk.split("\n") if f]
        if not fields or fields[0] != "TD":
            continue
        dates = [f[1:] for f in fields if f.startswith("D")]
        amounts = [f[1:] for f in fields if f.startswith("$")]
        ref = next(f[1:] for f in fields if f.startswith("N"))
        detail = next((f[1:].strip() for f in fields if f.startswith("X")), "")
        named = re.match(r"Form 8949 box ([A-L])\b", detail)  # a G-L line names its own box
        out.append({"refnumber": ref, "box": named.group(1) if named else BOX_OF_REFNUMBER[ref],
                    "description": next(f[1:] for f in fields if f.startswith("P")),
                    "acquired": dates[0], "sold": dates[1], "cost_basis": amounts[0], "proceeds": amounts[1],
                    "adjustment": amounts[2] if len(amounts) > 2 else "",
                    "detail": detail})
    return out
