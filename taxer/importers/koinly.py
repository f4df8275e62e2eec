"""Koinly's universal CSV format: one row per deposit, withdrawal or trade, with an optional label (the column is
`Label` in older templates, `Tag` in the current one)."""

from __future__ import annotations

from taxer.importers import rows
from taxer.importers.formats import CsvFormat, register
from taxer.importers.rows import RowError
from taxer.model import Kind

COLUMNS = ("Date", "Sent Amount", "Sent Currency", "Received Amount", "Received Currency", "Fee Amount",
           "Fee Currency", "Net Worth Amount", "Net Worth Currency", "Label", "Description", "TxHash")
# Koinly's help calls Net Worth, Label (now "Tag"), Description and TxHash optional: the rest identifies the file.
REQUIRED = COLUMNS[:7]

# Koinly labels (help.koinly.io "What are labels"), lower-cased with '_' read as ' '.
INCOME_LABELS = {
    "reward": "reward", "staking": "staking", "mining": "mining", "airdrop": "airdrop", "fork": "fork",
    "income": "income", "other income": "income", "loan interest": "interest", "lending interest": "interest",
    "interest": "interest",
}
OUTGOING_LABELS = {
    "gift": Kind.GIFT, "donation": Kind.DONATION, "lost": Kind.LOST, "stolen": Kind.LOST,
    "cost": Kind.FEE, "margin fee": Kind.FEE, "interest payment": Kind.FEE, "loan fee": Kind.FEE, "fee": Kind.FEE,
    "spend": Kind.SPEND, "payment": Kind.SPEND,
}
KNOWN = sorted({*INCOME_LABELS, *OUTGOING_LABELS, "ignored"})


def parse_row(row) -> dict:
    timestamp = rows.utc_timestamp(row.get("Date") or "", "Date")
    sent = rows.leg(row, "Sent Amount", "Sent Currency")
    received = rows.leg(row, "Received Amount", "Received Currency")
    fee = rows.leg(row, "Fee Amount", "Fee Currency", allow_zero=True)
    worth = rows.leg(row, "Net Worth Amount", "Net Worth Currency", allow_zero=True)
    raw_label = (row.get("Label") or row.get("Tag") or "").strip()   # Koinly renamed Label to Tag
    label = raw_label.lower().replace("_", " ")
    kind, label_out = _kind(label, raw_label, sent is not None, received is not None, fee is not None)
    if kind is Kind.FEE and sent is None:
        sent, fee = fee, None  # a fee-only row: the fee coins are what was spent
    return dict(
        timestamp=timestamp, kind=kind, sent=sent, received=received, fee=fee,
        fair_value=worth.amount if worth else None, fair_value_currency=worth.asset if worth else None,
        label=label_out, description=(row.get("Description") or "").strip() or None,
        tx_hash=(row.get("TxHash") or "").strip() or None,
    )


def _kind(label: str, raw: str, has_sent: bool, has_received: bool, has_fee: bool) -> tuple[Kind, str | None]:
    if not has_sent and not has_received:
        if has_fee and label in ("", "cost", "fee"):
            return Kind.FEE, "fee"
        raise RowError("Sent Amount", "the row has neither a Sent nor a Received amount; fill in at least one")
    if label == "ignored":
        return Kind.IGNORED, "ignored"
    if not label:
        if has_sent and has_received:
            return Kind.TRADE, None
        return (Kind.WITHDRAWAL if has_sent else Kind.DEPOSIT), None
    if label in INCOME_LABELS:
        if has_sent:
            raise RowError("Label", f"label {raw!r} marks income but the row also has a Sent amount; income rows "
                                    "have only Received")
        return Kind.INCOME, INCOME_LABELS[label]
    if label in OUTGOING_LABELS:
        if label == "gift" and has_received and not has_sent:
            return Kind.DEPOSIT, "gift received"
        if has_received:
            raise RowError("Label", f"label {raw!r} is for withdrawals but the row has a Received amount; "
                                    "clear the label or the Received columns")
        kind = OUTGOING_LABELS[label]
        return kind, label
    raise RowError("Label", f"unknown label {raw!r}; expected one of: {', '.join(KNOWN)} (or empty)")


FORMAT = register(CsvFormat(name="koinly", title="Koinly universal", required=REQUIRED, parse_row=parse_row))
