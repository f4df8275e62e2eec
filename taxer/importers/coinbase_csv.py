"""Coinbase's "transaction history" CSV (Statements > Generate report > Transaction history, CSV), every generation.

The file opens with a few preamble lines (a tax notice, "Transactions", "User,<name>,<id>") before its header. The
generations, newest first:
- `ID,Timestamp,Transaction Type,Asset,Quantity Transacted,Price Currency,Price at Transaction,Subtotal,
  Total (inclusive of fees and/or spread),Fees and/or Spread,Notes` (since 2024);
- the same without `ID` (2023);
- `Spot Price Currency`/`Spot Price at Transaction` with `Total (inclusive of fees and/or spread)` and `Fees and/or
  Spread`, or earlier `Total (inclusive of fees)` and `Fees` (2020-2022);
- the account currency inside the column names: `USD Spot Price at Transaction,USD Subtotal,USD Total (inclusive
  of fees),USD Fees` (2019).
Money cells may carry a currency sign and thousands separators ("$1,234.56", "-£47.50"); quantities of outflows
may be negative: the type says the direction. Subtotal is the value before fees in the account currency: a
trade's fair value; for an Advanced Trade fill on a market quoted in another currency (a GBP account's BTC-USDC),
the amounts traded come from the Notes ("Bought 0.001 BTC for 60.66 USDC on BTC-USDC at 60500 USDC/BTC").

Records share the API's ledger source ("coinbase") and ids where the file has them: a Send is `withdrawal:<ID>`,
a Receive `deposit:<ID>`, a reward `income:<ID>`, an Advanced Trade fill `trade:<BASE>/<QUOTE>:<ID>` (the ID of
an Advanced Trade row taken to be the fill's trade id), so a file and a sync of one account add nothing twice.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from taxer.importers import rows
from taxer.importers.formats import CsvFormat, register
from taxer.importers.rows import RowError, Skip
from taxer.model import Kind, Leg

# Each generation's column for: the price currency, subtotal, total, fees (the others keep their names).
COLUMNS = ("ID", "Timestamp", "Transaction Type", "Asset", "Quantity Transacted", "Price Currency",
           "Price at Transaction", "Subtotal", "Total (inclusive of fees and/or spread)", "Fees and/or Spread",
           "Notes")
OLD_COLUMNS = ("Timestamp", "Transaction Type", "Asset", "Quantity Transacted", "Spot Price Currency",
               "Spot Price at Transaction", "Subtotal", "Total (inclusive of fees and/or spread)",
               "Fees and/or Spread", "Notes")
TRADES = {"buy": "buy", "advanced trade buy": "buy", "advance trade buy": "buy", "sell": "sell",
          "advanced trade sell": "sell", "advance trade sell": "sell"}
INCOME = {"staking income": "staking", "inflation reward": "staking", "rewards income": "reward",
          "reward income": "reward", "coinbase earn": "reward", "learning reward": "reward",
          "interest income": "interest"}
# Exchange Deposit: coins moved out to Coinbase Exchange (Pro); Exchange Withdrawal: back in from it.
DEPOSITS = {"receive": "deposit", "deposit": "deposit", "exchange withdrawal": "deposit", "pro withdrawal": "deposit",
            "withdrawal": "withdrawal", "send": "withdrawal", "exchange deposit": "withdrawal",
            "pro deposit": "withdrawal"}
OWN_WALLETS = {"retail staking transfer", "retail unstaking transfer"}
KNOWN = sorted({*TRADES, *INCOME, *DEPOSITS, *OWN_WALLETS, "convert"})
# "Bought 0.001 BTC for 60.66 USDC on BTC-USDC at 60500.00 USDC/BTC": what an Advanced Trade fill did
PRODUCT = re.compile(r"\bon ([A-Z0-9]+)-([A-Z0-9]+)\b")
FOR = re.compile(r"\bfor [$€£¥]?([0-9][0-9,]*(?:\.[0-9]+)?) ([A-Z0-9]+)\b")
AT = re.compile(r"\bat ([0-9][0-9,]*(?:\.[0-9]+)?)(?: ([A-Z0-9]+)/([A-Z0-9]+))?")
CONVERTED = re.compile(r"Converted ([0-9][0-9.,]*) ([A-Z0-9]+) to ([0-9][0-9.,]*) ([A-Z0-9]+)")
MONEY_SIGNS = "$€£¥"
QUOTE_STEP = Decimal("1E-8")


def _number(row, column: str, *, allow_zero: bool = True):
    """A cell as a positive Decimal: sign, currency symbol and thousands separators removed; None when empty."""
    raw = (row.get(column) or "").strip()
    text = raw.removeprefix("-")
    text = text[1:] if text[:1] and text[0] in MONEY_SIGNS else text
    text = text.removeprefix("-")
    if raw and not text:
        raise RowError(column, f"{raw!r} is not a number; expected an amount such as $1,234.56 (or an empty cell)")
    return rows.amount(rows.grouped_number(text, column), column, allow_zero=allow_zero)


def _quantity(row):
    qty = _number(row, "Quantity Transacted", allow_zero=False)
    if qty is None:
        raise RowError("Quantity Transacted", "is empty; every Coinbase transaction moves a quantity")
    return qty


def _layout(currency_column: str | None, subtotal: str, total: str, fees: str, currency: str | None = None):
    """A row parser for one generation: its columns mapped onto the current names."""
    columns = {"Subtotal": subtotal, "Fees": fees, "Price Currency": currency_column, "currency": currency}

    def parse(row) -> dict | Skip:
        return parse_row(row, columns)
    return parse


def parse_row(row, columns: dict) -> dict | Skip:
    """One row of any generation; `columns` names this generation's money columns."""
    when = rows.utc_timestamp(row.get("Timestamp") or "", "Timestamp")
    raw_type = (row.get("Transaction Type") or "").strip()
    kind = " ".join(raw_type.lower().split())
    asset = rows.asset(row.get("Asset") or "", "Asset")
    if not asset:
        raise RowError("Asset", "is empty; expected the coin's symbol (e.g. BTC)")
    ident = (row.get("ID") or "").strip()
    notes = (row.get("Notes") or "").strip() or None
    currency = columns["currency"] or (row.get(columns["Price Currency"]) or "").strip().upper()
    out: dict = {"timestamp": when, "description": notes or raw_type}
    if kind in TRADES:
        out.update(_trade(row, columns, TRADES[kind], asset, _quantity(row), ident, notes, currency))
    elif kind in INCOME:
        out.update(kind=Kind.INCOME, received=Leg(asset, _quantity(row)), label=INCOME[kind])
        out.update(_value(row, columns, currency))
        if ident:
            out["external_id"] = f"income:{ident}"
    elif kind in DEPOSITS:
        direction = DEPOSITS[kind]
        leg = Leg(asset, _quantity(row))
        out.update(kind=Kind.DEPOSIT if direction == "deposit" else Kind.WITHDRAWAL,
                   received=leg if direction == "deposit" else None, sent=None if direction == "deposit" else leg)
        if ident:
            out["external_id"] = f"{direction}:{ident}"
    elif kind in OWN_WALLETS:
        _quantity(row)
        return Skip("move between own Coinbase wallets (staking)")
    elif kind == "convert":
        out.update(_convert(notes, Leg(asset, _quantity(row))))
        if ident:
            out["external_id"] = f"convert:{ident}"
    else:
        raise RowError("Transaction Type", f"unknown Coinbase transaction type {raw_type!r}; taxer reads: "
                                           f"{', '.join(KNOWN)}")
    return out


def _value(row, columns: dict, currency: str) -> dict:
    subtotal = _number(row, columns["Subtotal"]) if currency else None
    return {"fair_value": subtotal, "fair_value_currency": currency} if subtotal else {}


def _trade(row, columns: dict, side: str, asset: str, qty: Decimal, ident: str, notes: str | None,
           currency: str) -> dict:
    subtotal_col, fees_col = columns["Subtotal"], columns["Fees"]
    quote = currency
    product = PRODUCT.search(notes or "")
    if product and product.group(1) == asset:
        quote = product.group(2)   # the fill's own market (BTC-USDT), not the user's display currency
    if not quote:
        raise RowError(columns["Price Currency"] or "Price Currency",
                       "is empty; expected the currency the asset was priced in (e.g. USD)")
    subtotal = _number(row, subtotal_col, allow_zero=False)
    if subtotal is None:
        raise RowError(subtotal_col, "is empty; a buy or sell needs its value before fees")
    fee_amount = _number(row, fees_col)
    if quote != currency:
        quoted, fee_amount = _in_quote(notes or "", side, qty, quote, currency, fee_amount, fees_col)
    else:
        quoted = subtotal
    base, quote_leg = Leg(asset, qty), Leg(quote, quoted)
    out = {"kind": Kind.TRADE, "sent": quote_leg if side == "buy" else base,
           "received": base if side == "buy" else quote_leg, "fee": Leg(quote, fee_amount) if fee_amount else None,
           "fair_value": subtotal, "fair_value_currency": currency or None}
    if ident:
        out["external_id"] = f"trade:{asset}/{quote}:{ident}"
    return out


def _in_quote(notes: str, side: str, qty: Decimal, quote: str, currency: str, fee_amount, fees_col: str):
    """An Advanced Trade fill's amount and fee in its market's quote when the account's currency is another:
    the row's money cells are in the account currency, the fill itself only in the Notes."""
    rate = AT.search(notes)
    if rate is None or (rate.group(2) and rate.group(2) != quote):
        raise RowError("Notes", f"the fill is on a {quote} market but the row's money is in {currency or '?'}, and "
                                f"the Notes do not give its rate ('... at 60500.00 {quote}/BASE'); got {notes!r}")
    # the amount that moved is the product to the quote's precision, as exchanges book a fill's cost
    quoted = _plain((qty * Decimal(rows.grouped_number(rate.group(1), "Notes"))).quantize(QUOTE_STEP, ROUND_HALF_UP))
    total = FOR.search(notes)
    if total and total.group(2) == quote:
        fee = _plain(abs(Decimal(rows.grouped_number(total.group(1), "Notes")) - quoted))
        return quoted, fee
    if currency in ("USD", "USDC") and quote in ("USD", "USDC"):
        return quoted, fee_amount   # Coinbase values USDC at one dollar: the fee cell holds it
    raise RowError(fees_col, f"the fee is in {currency} but the fill is on a {quote} market, and the Notes do not "
                             f"give the {quote} total ('for 60.66 {quote}'); taxer cannot state the fee exactly")


def _plain(number: Decimal) -> Decimal:
    """A product without the trailing zeros multiplication adds (2160.5060 -> 2160.506), never in exponent form."""
    return number.quantize(Decimal(1)) if number == number.to_integral() else number.normalize()


def _convert(notes: str | None, quantity: Leg) -> dict:
    """A Convert: what was given is the row's Asset and Quantity; what came back only the Notes say."""
    match = CONVERTED.search(notes or "")
    if not match:
        raise RowError("Notes", f"a Convert row needs Notes like 'Converted 0.5 ETH to 800 USDC'; got {notes!r}")
    sent = rows.amount(rows.grouped_number(match.group(1), "Notes"), "Notes")
    received = rows.amount(rows.grouped_number(match.group(3), "Notes"), "Notes")
    if (match.group(2), sent) != (quantity.asset, quantity.amount):
        raise RowError("Quantity Transacted", f"the row converts {quantity.amount} {quantity.asset} but its Notes say "
                                              f"{sent} {match.group(2)}; check that the row was not edited")
    return {"kind": Kind.TRADE, "sent": quantity, "received": Leg(match.group(4), received)}


FORMAT = register(CsvFormat(name="coinbase", title="Coinbase transaction history", required=COLUMNS,
                            parse_row=_layout("Price Currency", "Subtotal", "Total (inclusive of fees and/or spread)",
                                              "Fees and/or Spread"), source="coinbase"))
NO_ID_FORMAT = register(CsvFormat(
    name="coinbase_2023", title="Coinbase transaction history (2023, no ID)", required=COLUMNS[1:],
    parse_row=_layout("Price Currency", "Subtotal", "Total (inclusive of fees and/or spread)", "Fees and/or Spread"),
    source="coinbase"))
OLD_FORMAT = register(CsvFormat(
    name="coinbase_2022", title="Coinbase transaction history (before 2023, spot price)", required=OLD_COLUMNS,
    parse_row=_layout("Spot Price Currency", "Subtotal", "Total (inclusive of fees and/or spread)",
                      "Fees and/or Spread"), source="coinbase"))
FEES_FORMAT = register(CsvFormat(
    name="coinbase_2021", title="Coinbase transaction history (before 2022, 'Fees')",
    required=("Timestamp", "Transaction Type", "Asset", "Quantity Transacted", "Spot Price Currency",
              "Spot Price at Transaction", "Subtotal", "Total (inclusive of fees)", "Fees", "Notes"),
    parse_row=_layout("Spot Price Currency", "Subtotal", "Total (inclusive of fees)", "Fees"), source="coinbase"))
# The first reports named the account currency in the columns ("USD Subtotal"): one layout per currency.
CURRENCY_FORMATS = tuple(register(CsvFormat(
    name=f"coinbase_2019_{ccy.lower()}", title=f"Coinbase transaction history (2019, {ccy} columns)",
    required=("Timestamp", "Transaction Type", "Asset", "Quantity Transacted", f"{ccy} Spot Price at Transaction",
              f"{ccy} Subtotal", f"{ccy} Total (inclusive of fees)", f"{ccy} Fees", "Notes"),
    parse_row=_layout(None, f"{ccy} Subtotal", f"{ccy} Total (inclusive of fees)", f"{ccy} Fees", ccy),
    source="coinbase")) for ccy in ("USD", "EUR", "GBP", "CAD", "AUD", "CHF", "SGD", "JPY"))
