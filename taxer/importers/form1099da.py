"""Reading a broker's Form 1099-DA rows from CSV (`taxer import 1099da`): not ledger transactions, so not a ledger
CSV format; each layout is detected by its header like those are.

taxer's own layout (README, "Form 1099-DA"): `Asset,Units,Date Acquired,Date Sold,Proceeds,Cost Basis,Term,Basis
Reported` and optional columns for the form's other boxes. Brokers' own layouts register here from their modules
(form1099da_taxbit). Every row keeps its file:line and its cells; its id is a digest of what it reports plus its
occurrence in the file, so importing the same file again adds nothing twice and two identical sales both stay.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from taxer.errors import InputError
from taxer.importers import rows
from taxer.importers.rows import RowError
from taxer.model.form1099da import BrokerRow

# A row parser gets {column: cell} and returns BrokerRow's fields except account, layout, ids and origin.
RowParser = Callable[[Mapping[str, str]], dict]


@dataclass(frozen=True)
class Layout:
    name: str
    title: str
    required: tuple[str, ...]
    parse_row: RowParser


_LAYOUTS: dict[str, Layout] = {}


def register(layout: Layout) -> Layout:
    _LAYOUTS[layout.name] = layout
    return layout


def layouts() -> tuple[Layout, ...]:
    if "taxbit" not in _LAYOUTS:
        import taxer.importers.form1099da_taxbit  # noqa: F401  (registers itself)
    return tuple(_LAYOUTS.values())


def detect(header: list[str]) -> Layout | None:
    present = {h.strip() for h in header}
    matches = [f for f in layouts() if set(f.required) <= present]
    return max(matches, key=lambda f: len(f.required)) if matches else None


# --- field parsers ---------------------------------------------------------------------------------------------

def money(value: str | None, column: str, *, required: bool = False) -> Decimal | None:
    """A USD amount as forms print it: 1234.56, $1,234.56, (12.00) for a negative; None when empty."""
    text = (value or "").strip().replace("$", "").replace(",", "").replace(" ", "")
    if text.startswith("(") and text.endswith(")"):
        text = "-" + text[1:-1]
    if not text:
        if required:
            raise RowError(column, "is empty; expected an amount in USD such as 1234.56")
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise RowError(column, f"{value!r} is not an amount; expected USD such as 1234.56") from None
    if not number.is_finite():
        raise RowError(column, f"{value!r} is not a finite amount")
    return number


def units(value: str | None, column: str) -> Decimal:
    text = (value or "").strip().replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise RowError(column, f"{value!r} is not a number of units; expected a decimal such as 0.5") from None
    if not number.is_finite() or number <= 0:
        raise RowError(column, f"{value!r}: the number of units must be positive")
    return number


_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def day(value: str | None, column: str, *, various_ok: bool = False) -> tuple[date | None, bool]:
    """(date, various) from YYYY-MM-DD (or M/D/YYYY); empty or VARIOUS where allowed."""
    text = (value or "").strip()
    if not text or text.upper() == "VARIOUS":
        if various_ok:
            return None, text.upper() == "VARIOUS"
        raise RowError(column, "is empty; expected a date such as 2025-03-01")
    found = _US_DATE.match(text)
    try:
        if found:
            month, dom, year = map(int, found.groups())
            return date(year, month, dom), False
        return datetime.strptime(text[:10], "%Y-%m-%d").date(), False
    except ValueError:
        raise RowError(column, f"{text!r} is not a date; expected YYYY-MM-DD such as 2025-03-01") from None


_TERMS = {"short": "short", "s": "short", "short-term": "short", "short term": "short", "long": "long",
          "l": "long", "long-term": "long", "long term": "long", "ordinary": "ordinary", "o": "ordinary", "": ""}
_YES = {"yes", "y", "true", "x", "1", "checked"}
_NO = {"no", "n", "false", "", "0", "unchecked"}


def term(value: str | None, column: str) -> str:
    text = (value or "").strip().lower()
    if text not in _TERMS:
        raise RowError(column, f"{value!r} is not a term; expected short, long or ordinary (box 6)")
    return _TERMS[text]


def flag(value: str | None, column: str) -> bool:
    text = (value or "").strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise RowError(column, f"{value!r} is not yes or no")


def proceeds_type(value: str | None, column: str) -> str:
    text = (value or "").strip().lower().replace(" proceeds", "")
    if text not in ("gross", "net", ""):
        raise RowError(column, f"{value!r}: expected gross or net (box 3a)")
    return text


def form8949_code(value: str | None, column: str) -> str:
    text = (value or "").strip().upper()
    if text not in ("", "G", "H", "J", "K"):
        raise RowError(column, f"{value!r}: expected the Form 8949 checkbox the 1099-DA prints, G, H, J or K")
    return text


# --- taxer's own layout ----------------------------------------------------------------------------------------

def _taxer_row(row: Mapping[str, str]) -> dict:
    acquired, various = day(row.get("Date Acquired"), "Date Acquired", various_ok=True)
    sold, _ = day(row.get("Date Sold"), "Date Sold")
    asset = rows.asset(row.get("Asset") or "", "Asset")
    if not asset:
        raise RowError("Asset", "is empty; expected the asset's code (box 1a), e.g. BTC")
    return dict(
        asset=asset, asset_name=(row.get("Asset Name") or "").strip(), units=units(row.get("Units"), "Units"),
        date_acquired=acquired, various=various, date_sold=sold,
        proceeds=money(row.get("Proceeds"), "Proceeds", required=True),
        cost_basis=money(row.get("Cost Basis"), "Cost Basis"), term=term(row.get("Term"), "Term"),
        basis_reported=flag(row.get("Basis Reported"), "Basis Reported"),
        proceeds_type=proceeds_type(row.get("Proceeds Type"), "Proceeds Type"),
        noncovered=flag(row.get("Noncovered"), "Noncovered"),
        form8949_code=form8949_code(row.get("Form 8949 Code"), "Form 8949 Code"),
        market_discount=money(row.get("Accrued Market Discount"), "Accrued Market Discount"),
        wash_sale_disallowed=money(row.get("Wash Sale Loss Disallowed"), "Wash Sale Loss Disallowed"),
        federal_tax_withheld=money(row.get("Federal Tax Withheld"), "Federal Tax Withheld"),
    )


TAXER = register(Layout("taxer", "taxer 1099-DA",
                        ("Asset", "Units", "Date Acquired", "Date Sold", "Proceeds", "Cost Basis", "Term",
                         "Basis Reported"), _taxer_row))


# --- reading a file --------------------------------------------------------------------------------------------

def _digest(fields: dict) -> str:
    text = json.dumps({k: (str(v) if v is not None else None) for k, v in sorted(fields.items())}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def read(path: str | Path, account: str) -> tuple[Layout, list[BrokerRow]]:
    """Every row of a 1099-DA CSV file for `account`; InputError (file, line, column) on the first bad one."""
    path = Path(path)
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("file not found; check the path", file=str(path)) from None
    except (IsADirectoryError, PermissionError) as exc:
        raise InputError(f"cannot be read ({exc.strerror})", file=str(path)) from None
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
            layout = detect(header or [])
            if layout is None:
                known = "; ".join(f"{f.title}: {','.join(f.required)}" for f in layouts())
                raise InputError(f"the header is not a Form 1099-DA layout taxer knows ({known})", file=str(path),
                                 line=1, hint="See the README section \"Form 1099-DA\" for the columns.")
            names = [h.strip() for h in header]
            out: list[BrokerRow] = []
            seen: dict[str, int] = {}
            for cells in reader:
                line = reader.line_num
                if not any(c.strip() for c in cells):
                    continue
                row = dict(zip(names, cells, strict=False))
                try:
                    fields = layout.parse_row(row)
                except RowError as exc:
                    raise InputError(exc.message, file=str(path), line=line, column=exc.column,
                                     hint="Nothing from this file was imported.") from None
                key = _digest(fields)
                seen[key] = seen.get(key, 0) + 1
                out.append(BrokerRow(account=account, layout=layout.name, external_id=f"{key}#{seen[key]}",
                                     origin=f"{path.name}:{line}", payload=json.dumps(row, sort_keys=True),
                                     **fields))
        except (UnicodeDecodeError, csv.Error) as exc:
            raise InputError(f"cannot be read as a UTF-8 CSV file ({exc})", file=str(path)) from None
    if not out:
        raise InputError("has a header but no rows", file=str(path))
    return layout, out
