"""Plain views of ledger records for the terminal and for JSON output (amounts as decimal strings)."""

from __future__ import annotations

from taxer.model import Leg, Transaction
from taxer.store.ledger import AccountInfo


def _amount(leg: Leg | None) -> str | None:
    return format(leg.amount, "f") if leg else None


def transaction_json(tx: Transaction) -> dict:
    """One transaction as a JSON-ready dict: amounts as exact decimal strings, time ISO 8601 UTC."""
    return {
        "id": tx.id, "timestamp": tx.timestamp.isoformat(), "account": tx.account, "kind": tx.kind.value,
        "sent_amount": _amount(tx.sent), "sent_asset": tx.sent.asset if tx.sent else None,
        "received_amount": _amount(tx.received), "received_asset": tx.received.asset if tx.received else None,
        "fee_amount": _amount(tx.fee), "fee_asset": tx.fee.asset if tx.fee else None,
        "fair_value": format(tx.fair_value, "f") if tx.fair_value is not None else None,
        "fair_value_currency": tx.fair_value_currency, "label": tx.label, "description": tx.description,
        "tx_hash": tx.tx_hash, "source": tx.source, "external_id": tx.external_id,
    }


def _leg_text(leg: Leg | None) -> str:
    return f"{leg.amount:f} {leg.asset}" if leg else ""


LEDGER_HEADER = f"{'id':>7}  {'time (UTC)':19}  {'account':12}  {'kind':10}  {'sent':>22}  {'received':>22}  " \
                f"{'fee':>16}  label"


def transaction_line(tx: Transaction) -> str:
    return (f"{tx.id:>7}  {tx.timestamp:%Y-%m-%d %H:%M:%S}  {tx.account[:12]:12}  {tx.kind.value:10}  "
            f"{_leg_text(tx.sent):>22}  {_leg_text(tx.received):>22}  {_leg_text(tx.fee):>16}  {tx.label or ''}")


def account_json(acct: AccountInfo) -> dict:
    return {"name": acct.name, "kind": acct.kind, "exchange": acct.exchange_id, "api_url": acct.api_url,
            "transactions": acct.transactions, "created_at": acct.created_at.isoformat()}
