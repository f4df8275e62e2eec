"""Coinbase (Advanced Trade with CDP keys): fills by `cursor`, newest first; deposits, withdrawals and income from
the v2 transactions of every account (one per currency), oldest first by `starting_after`.

A CDP key is a key name ("organizations/.../apiKeys/...") and an EC private key in PEM form; ccxt signs every
request with a short-lived ES256 JWT, so the PEM never travels.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from taxer.errors import ExchangeAuthError
from taxer.exchanges import keyfacts, normalize, paging
from taxer.exchanges.normalize import RawFields
from taxer.exchanges.spec import ExchangeSpec, KeyHelp, KeyPermissions, StreamSpec, unified
from taxer.model import Kind, Leg, Transaction

RAW = RawFields(trade_amount=("size",), trade_fee=("commission",))
# Coinbase gives a fill's price and size, not its quote amount: what moved is price x size in the quote
# currency's smallest unit (8 decimals for crypto; exact for fiat pairs, whose products have fewer digits).
QUOTE_STEP = Decimal("1E-8")
# v2 transaction types that are income, and their ledger labels
INCOME_TYPES = {"staking_reward": "staking", "inflation_reward": "staking", "interest": "interest",
                "lending_interest": "interest", "earn_payout": "reward", "incentives_rewards_payout": "airdrop",
                "coinbase_one_reward": "reward"}
# Transfers in and out. Advanced Trade fills also appear here ("advanced_trade_fill"): they come from the fills
# stream, so they are skipped, as are internal moves between the user's own wallets and portfolios.
FAILED = {"canceled", "cancelled", "failed", "expired", "declined"}
# pro_deposit / pro_withdrawal (and the older exchange_*) move coins to and from the user's own Coinbase Pro
# account: a withdrawal and a deposit here (tests/real/api/coinbase/v2-transactions--pro-deposit.json).
TRANSFER_TYPES = {"send", "receive", "fiat_deposit", "fiat_withdrawal", "exchange_deposit", "exchange_withdrawal",
                  "pro_deposit", "pro_withdrawal"}
# Types that are deliberately not booked from this stream, and why. Any other type (Coinbase's uncategorized `tx`,
# a type added after this list) is booked as a deposit or withdrawal of unknown purpose, never dropped and never
# guessed to be income, so the ledger's review shows it (tests/real/api/coinbase/v2-transactions--unknown-type-tx.json).
SKIPPED_TYPES = {
    # tests/real/api/coinbase/v2-transactions--advanced-trade-fill.json: the fill as the account sees it; the fills
    # stream books it, so booking it here too would count it twice
    "advanced_trade_fill": "an Advanced Trade fill: the trades stream has it",
    # tests/real/api/coinbase/v2-transactions--staking-transfer.json: +x in one account, -x in the other
    "staking_transfer": "the user's own coins moved into or out of the staked account: not income, not a disposal",
    "trade": "one leg of a convert: the stream pairs the two legs into one trade",
}
# A `send` credited from Coinbase Earn is a payout, not a deposit (tests/real/api/coinbase/
# v2-transactions--send-receive-rewards-buy-sell.json: off_blockchain, details.subtitle "From Coinbase Earn").
EARN_SUBTITLE = "From Coinbase Earn"


def _fetch_accounts(gw, _symbol, _since, limit, params):
    response = gw.call("v2PrivateGetAccounts", {"limit": limit, **params}) or {}
    rows = list(response.get("data") or [])
    following = (response.get("pagination") or {}).get("next_starting_after")
    if rows and following:
        rows[-1] = dict(rows[-1], next_starting_after=following)
    return rows


def accounts(gw) -> list[str]:
    """The ids of every v2 account (wallet) of the user: the partitions of the transactions stream."""
    pages = paging.cursor_chain(lambda s, n, p: _fetch_accounts(gw, None, s, n, p), None, limit=100,
                                cursor_param="starting_after", token_path="next_starting_after", start_ms=0)
    return [str(row["id"]) for page in pages for row in page.records]


def _fetch_transactions(gw, account_id, _since, limit, params):
    # The raw v2 list, oldest first: the last id seen is where the next sync starts. (ccxt's fetch_ledger
    # would parse and drop the pagination; the trade legs, most of the list, are skipped anyway.)
    request = {"account_id": account_id, "limit": limit, "order": "asc", **params}
    response = gw.call("v2PrivateGetAccountsAccountIdTransactions", request) or {}
    rows = list(response.get("data") or [])
    following = (response.get("pagination") or {}).get("next_starting_after")
    if rows and following:
        rows[-1] = dict(rows[-1], next_starting_after=following)
    return rows


def _money(value: dict | None) -> tuple[Decimal, str] | None:
    if not value or value.get("amount") in (None, ""):
        return None
    return Decimal(str(value["amount"])), str(value["currency"])


def _when(row: dict) -> datetime:
    return datetime.fromisoformat(str(row["created_at"]))


def convert_leg(row: dict) -> str | None:
    """The convert a v2 `trade` row is one leg of (its `trade.id`; the other leg is in the other coin's account)."""
    if row.get("type") != "trade" or row.get("status") in FAILED:
        return None
    return str((row.get("trade") or {}).get("id") or row["id"])


def convert(first: dict, second: dict, account: str, source: str) -> Transaction | None:
    """The two legs of one convert (tests/real/api/coinbase/v2-transactions--trade-convert.json) -> one trade;
    a fee, when the answer has one, is in `trade.fee` (v2-transactions--send-receive-rewards-buy-sell.json)."""
    legs = sorted((first, second), key=lambda r: Decimal(str(r["amount"]["amount"])))
    (out, out_ccy), (got, got_ccy) = _money(legs[0]["amount"]), _money(legs[1]["amount"])
    if out >= 0 or got <= 0:
        return None   # not a debit and a credit: nothing taxer can book as one trade
    fee = next((_money(r["trade"]["fee"]) for r in legs if (r.get("trade") or {}).get("fee")), None)
    # the debit includes a fee charged in the sold coin; taxer's trades pay the fee beside what they sent
    sent = -out - (fee[0] if fee and fee[1] == out_ccy else 0)
    return Transaction(account=account, timestamp=min(_when(r) for r in legs), kind=Kind.TRADE,
                       sent=Leg(out_ccy, sent), received=Leg(got_ccy, got),
                       fee=Leg(fee[1], fee[0]) if fee and fee[0] else None,
                       description=f"convert {out_ccy} -> {got_ccy}", source=source,
                       external_id=f"convert:{convert_leg(legs[0])}")


def _retail(row: dict, kind: str, amount: Decimal, currency: str, account: str, source: str) -> Transaction | None:
    """A retail buy or sell: the coin moved is `amount`; the fiat side is `native_amount`, Coinbase's value of it
    (the v2 row carries no payment or fee: the documented answer has only a reference to the buy)."""
    fiat = _money(row.get("native_amount"))
    if fiat is None or amount == 0:
        return None
    coin_leg, fiat_leg = Leg(currency, abs(amount)), Leg(fiat[1], abs(fiat[0]))
    buy = kind == "buy"
    return Transaction(account=account, timestamp=_when(row), kind=Kind.TRADE, sent=fiat_leg if buy else coin_leg,
                       received=coin_leg if buy else fiat_leg,
                       description=f"coinbase {kind} {currency} (fiat side: Coinbase's native value)",
                       source=source, external_id=f"{kind}:{row['id']}")


def transaction(row: dict, account: str, source: str) -> Transaction | None:
    """A v2 transaction -> a deposit, withdrawal, income or retail trade; None for what other streams (fills,
    convert legs) or nothing carry."""
    kind, (amount, currency) = row.get("type"), _money(row.get("amount"))
    if row.get("status") in FAILED:
        return None   # it moved nothing
    when_ms = int(_when(row).timestamp()) * 1000
    if kind in INCOME_TYPES and amount > 0:
        return normalize.income(account=account, source=source, when_ms=when_ms, asset=currency, amount=amount,
                                label=INCOME_TYPES[kind], record_id=str(row["id"]),
                                description=f"coinbase {kind}")
    if kind == "send" and amount > 0 and (row.get("details") or {}).get("subtitle") == EARN_SUBTITLE:
        return normalize.income(account=account, source=source, when_ms=when_ms, asset=currency, amount=amount,
                                label="reward", record_id=str(row["id"]), description="coinbase earn payout")
    if kind in ("buy", "sell"):
        return _retail(row, kind, amount, currency, account, source)
    if kind in SKIPPED_TYPES or kind in INCOME_TYPES or amount == 0:
        return None   # other streams book it, it moved nothing taxable, or (income types) it is not a credit
    if kind not in TRANSFER_TYPES:
        return _unknown(row, kind, amount, currency, account, source)
    network = row.get("network") or {}
    tx_hash = network.get("hash") or None
    if amount > 0:
        return Transaction(account=account, timestamp=_when(row), kind=Kind.DEPOSIT, received=Leg(currency, amount),
                           tx_hash=tx_hash, description="deposit", source=source, external_id=f"deposit:{row['id']}")
    fee = _money(network.get("transaction_fee"))
    arrived = _money(network.get("transaction_amount"))
    fee_amount = fee[0] if fee else Decimal(0)
    sent = arrived[0] if arrived else -amount - fee_amount   # the debit is what arrived plus the network fee
    return Transaction(account=account, timestamp=_when(row), kind=Kind.WITHDRAWAL, sent=Leg(currency, sent),
                       fee=Leg(fee[1], fee_amount) if fee and fee_amount else None, tx_hash=tx_hash,
                       description="withdrawal", source=source, external_id=f"withdrawal:{row['id']}")


def _unknown(row: dict, kind: object, amount: Decimal, currency: str, account: str, source: str) -> Transaction:
    """A type taxer does not know: what moved, as a deposit or withdrawal whose purpose the user must review."""
    incoming = amount > 0
    what = "deposit" if incoming else "withdrawal"
    leg = Leg(currency, abs(amount))
    return Transaction(account=account, timestamp=_when(row), kind=Kind.DEPOSIT if incoming else Kind.WITHDRAWAL,
                       received=leg if incoming else None, sent=None if incoming else leg,
                       description=f"coinbase transaction of type {kind!r}, which taxer does not know: booked as a "
                                   f"{what} of unknown purpose; review what it was",
                       source=source, external_id=f"{what}:{row['id']}")


def trade(record: dict, account: str, source: str) -> Transaction:
    """A fill; its quote amount is price x size from Coinbase's own strings (see QUOTE_STEP)."""
    tx = normalize.trade(record, account=account, source=source, raw=RAW)
    info = record.get("info") or {}
    if info.get("size_in_quote") is True:
        cost = Decimal(str(info["size"]))
    else:
        cost = (Decimal(str(info["price"])) * Decimal(str(info["size"]))).quantize(QUOTE_STEP, ROUND_HALF_UP)
    quote = record["symbol"].split("/")[1].split(":")[0]
    if record["side"] == "buy":
        return replace(tx, sent=Leg(quote, cost))
    return replace(tx, received=Leg(quote, cost))


def _check_secret(gw) -> None:
    # ccxt turns a malformed secret into a bare ValueError while signing: say what a CDP secret looks like instead
    # (never echoing it). Ed25519 CDP secrets (base64, no PEM armour) are ccxt's too and pass through.
    secret = (gw.creds.secret if gw.creds else "") or ""
    if "-----BEGIN" not in secret:
        if len(secret) == 88 or secret.endswith("="):
            return
        problem = "is not a PEM private key"
    elif "\\n" in secret:
        problem = "holds the two characters \\n where the PEM needs line breaks"
    else:
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        try:
            load_pem_private_key(secret.encode(), None)
            return
        except (ValueError, TypeError):
            problem = "is a PEM block that does not hold a readable, unencrypted private key"
    raise ExchangeAuthError(
        f"account {gw.account!r} (coinbase): taxer refused the API key before sending it: its secret {problem}. "
        "Use the CDP key's name (organizations/.../apiKeys/...) as the API key and its privateKey, the whole "
        "-----BEGIN EC PRIVATE KEY----- block with its line breaks, as the secret.")


# GET /api/v3/brokerage/key_permissions (Coinbase docs, "Get API Key Permissions", https://docs.cdp.coinbase.com/
# api-reference/advanced-trade-api/rest-api/data-api/get-api-key-permissions): can_view, can_trade, can_transfer as
# JSON booleans, with portfolio_uuid and portfolio_type. Any other boolean that is not false is a right taxer does
# not know (the docs describe one more, for receiving payments, without showing its name): it refuses the key.
PERMISSION_FLAGS = ("can_view", "can_trade", "can_transfer")
OTHER_FIELDS = {"portfolio_uuid", "portfolio_type"}
KEY_HELP = KeyHelp(
    steps=("Coinbase Developer Platform (portal.cdp.coinbase.com) > API keys > Create API key; choose the portfolio "
           "whose history you file (a key sees only its own portfolio).",
           "API restrictions: tick only 'View'. Leave 'Trade' and 'Transfer' unticked.",
           "Under 'Advanced settings' choose the ECDSA signature algorithm and add this computer's public IP "
           "address to the IP allowlist. Download the key: its name (organizations/.../apiKeys/...) is the API key, "
           "its privateKey block the secret."),
    allowlist="Coinbase Developer Platform > API keys > the key > IP allowlist",
    docs="https://docs.cdp.coinbase.com/coinbase-app/authentication-authorization/api-key-authentication")


def parse_permissions(answer: object) -> KeyPermissions:
    """key_permissions' three booleans, strictly; a missing, non-boolean or unknown right refuses the key."""
    if not isinstance(answer, dict) or not answer:
        return keyfacts.unreadable("key_permissions is not an object of rights", answer)
    r = keyfacts.Reading()
    view, trade_, transfer = (r.flag(answer, name) for name in PERMISSION_FLAGS)
    for name, value in answer.items():
        if name not in PERMISSION_FLAGS and name not in OTHER_FIELDS and value not in (False, None, ""):
            r.unknown(f"unknown field {name}={value!r}")
            if keyfacts.says_moves_funds(name) and keyfacts.looks_true(value):
                transfer = True
    on = [name for name, flag in zip(PERMISSION_FLAGS[1:], (trade_, transfer)) if flag]
    # the CDP key's allow-list is not in this answer (it is set on the key in the developer portal)
    return r.done(read=view, trade=trade_, withdraw=transfer,
                  detail=("enabled: " + ", ".join(on)) if on else "can_view only")


def permissions(gw) -> KeyPermissions:
    _check_secret(gw)
    return parse_permissions(gw.call("v3PrivateGetBrokerageKeyPermissions"))


def _assets(record) -> set[str]:
    money = record.get("amount") if isinstance(record.get("amount"), dict) else None
    return {money["currency"]} if money and money.get("currency") else set()


SPEC = ExchangeSpec(
    id="coinbase",
    title="Coinbase",
    summary="Advanced Trade fills, v2 transactions (moves, rewards, retail buys and sells, converts)",
    candle_limit=299,  # candles per OHLCV request (EXCHANGES.md)
    options={},
    history_start="2012-01-01",
    raw=RAW,
    streams=(
        StreamSpec("transactions", _fetch_transactions, transaction, paging="cursor_chain", limit=100,
                   id_param="starting_after", token_path="next_starting_after", partitions=accounts,
                   assets=_assets, pairs=convert_leg, convert_pair=convert,
                   advice="import Coinbase's transaction history export (Reports > Transaction history) with "
                          "`taxer import csv`"),
        # ccxt leaves the fills cursor on the raw fill it read first, which its sort may move anywhere in the page
        StreamSpec("trades", unified("fetch_my_trades"), trade, paging="cursor_chain", limit=250,
                   id_param="cursor", token_path="info.cursor", newest_first=True),
    ),
    permissions=permissions,
    key_help=KEY_HELP,
    # tests/real/api/coinbase/error--v2-invalid-scope.json (403 invalid_scope), error--v3-permission-denied.json
    # (403 PERMISSION_DENIED), error--v2-not-found.json (404 not_found)
    endpoint_errors={'"id":"invalid_scope"': "not authorized", '"PERMISSION_DENIED"': "not authorized",
                     '"id":"not_found"': "unknown endpoint"},
)
