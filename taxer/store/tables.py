"""The ledger's SQLModel tables. Schema changes go through an Alembic migration in `migrations/versions/`.

Credentials are never a column anywhere: they live in the environment or the OS keyring only.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from taxer.store.types import ExactDecimal, UTCDateTime


class Account(SQLModel, table=True):
    """A place that holds assets: an exchange account (synced through ccxt) or a wallet/file account."""

    __tablename__ = "accounts"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True, max_length=100)
    kind: str = Field(default="file", max_length=20)           # exchange | wallet | file
    exchange_id: str | None = Field(default=None, max_length=50)  # ccxt id, e.g. "bitget"
    api_url: str | None = Field(default=None, max_length=500)      # base-URL override for every API call
    settings: str = Field(default="{}", sa_type=Text)              # JSON object: per-account options
    created_at: datetime = Field(sa_type=UTCDateTime)


class ImportRun(SQLModel, table=True):
    """One import or sync: what was read, how many records, how it ended."""

    __tablename__ = "import_runs"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("accounts.id"), nullable=True))
    kind: str = Field(max_length=20)                # csv | sync
    target: str = Field(sa_type=Text)               # file path (and its sha256) or exchange streams
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rows_read: int = 0
    inserted: int = 0
    duplicates: int = 0
    outcome: str = Field(default="running", max_length=20)  # running | ok | failed
    message: str | None = Field(default=None, sa_type=Text)


class LedgerTransaction(SQLModel, table=True):
    """One normalized transaction (see `taxer.model.Transaction`), unique per account, source and external id."""

    __tablename__ = "transactions"
    __table_args__ = (
        UniqueConstraint("account_id", "source", "external_id", name="uq_transactions_account_source_external"),
        Index("ix_transactions_account_time", "account_id", "timestamp"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(sa_column=Column(Integer, ForeignKey("accounts.id"), nullable=False))
    timestamp: datetime = Field(sa_type=UTCDateTime, index=True)
    kind: str = Field(max_length=20)
    sent_asset: str | None = Field(default=None, max_length=40)
    sent_amount: Decimal | None = Field(default=None, sa_type=ExactDecimal)
    received_asset: str | None = Field(default=None, max_length=40)
    received_amount: Decimal | None = Field(default=None, sa_type=ExactDecimal)
    fee_asset: str | None = Field(default=None, max_length=40)
    fee_amount: Decimal | None = Field(default=None, sa_type=ExactDecimal)
    fair_value: Decimal | None = Field(default=None, sa_type=ExactDecimal)
    fair_value_currency: str | None = Field(default=None, max_length=10)
    label: str | None = Field(default=None, max_length=40)
    description: str | None = Field(default=None, sa_type=Text)
    tx_hash: str | None = Field(default=None, max_length=200)
    source: str = Field(max_length=40)
    external_id: str = Field(max_length=200)
    import_run_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("import_runs.id")))


class RawRecord(SQLModel, table=True):
    """The source record a transaction was made from, verbatim, for the audit trail."""

    __tablename__ = "raw_records"
    __table_args__ = (
        UniqueConstraint("account_id", "source", "external_id", name="uq_raw_records_account_source_external"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(sa_column=Column(Integer, ForeignKey("accounts.id"), nullable=False))
    source: str = Field(max_length=40)
    external_id: str = Field(max_length=200)
    origin: str = Field(sa_type=Text)     # where it was read: "file.csv:12" or "bitget GET /api/v2/spot/trade/fills"
    payload: str = Field(sa_type=Text)    # JSON of the record as the source gave it
    import_run_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("import_runs.id")))


class SyncCursor(SQLModel, table=True):
    """How far an incremental import of one account's stream has got (saved with the data it covers)."""

    __tablename__ = "sync_cursors"
    __table_args__ = (UniqueConstraint("account_id", "stream", name="uq_sync_cursors_account_stream"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(sa_column=Column(Integer, ForeignKey("accounts.id"), nullable=False))
    stream: str = Field(max_length=100)   # e.g. "trades:BTC/USDT", "deposits"
    cursor: str = Field(sa_type=Text)     # JSON: the position to resume from
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Setting(SQLModel, table=True):
    """A workspace setting (taxpayer name, country, method ...), as JSON text."""

    __tablename__ = "settings"

    key: str = Field(primary_key=True, max_length=100)
    value: str = Field(sa_type=Text)


class Price(SQLModel, table=True):
    """A cached or user-supplied price of one asset in a quote currency for a time bucket.

    `resolution` is the bucket's length ("1m", "1h", "1d" for exchange candles, "point" for a user's price at an
    instant); `source` is "user" or the exchange it came from. User prices win over fetched ones. Candles keep
    open, high and low too, so the report's candle price is a setting (`candle_price`).
    """

    __tablename__ = "prices"
    __table_args__ = (
        UniqueConstraint("asset", "quote", "resolution", "bucket_start", "source", name="uq_prices_bucket"),
        Index("ix_prices_lookup", "asset", "quote", "bucket_start"),
    )

    id: int | None = Field(default=None, primary_key=True)
    asset: str = Field(max_length=40)
    quote: str = Field(max_length=40)
    resolution: str = Field(max_length=10)
    bucket_start: datetime = Field(sa_type=UTCDateTime)
    price: Decimal = Field(sa_type=ExactDecimal)          # a candle's close, or the user's price
    source: str = Field(max_length=40)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    open: Decimal | None = Field(default=None, sa_type=ExactDecimal)   # the candle's other prices (None: unknown)
    high: Decimal | None = Field(default=None, sa_type=ExactDecimal)
    low: Decimal | None = Field(default=None, sa_type=ExactDecimal)


class CorrectionRecord(SQLModel, table=True):
    """A user's correction of the imported ledger: who, when, why, what kind, which record(s), the value.

    Targets are (account, source, external id), stable across re-imports and re-syncs, never row ids. A
    revoked correction stays in the table (`revoked_*`) for the audit trail.
    """

    __tablename__ = "corrections"
    __table_args__ = (Index("ix_corrections_target", "account", "source", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)               # relabel | basis | match | unmatch | value | split | merge
    account: str = Field(max_length=100)
    source: str = Field(max_length=40)
    external_id: str = Field(max_length=200)
    other_account: str | None = Field(default=None, max_length=100)   # the second record of match/unmatch/merge
    other_source: str | None = Field(default=None, max_length=40)
    other_external_id: str | None = Field(default=None, max_length=200)
    value: str = Field(default="{}", sa_type=Text)  # JSON object, amounts as decimal strings
    note: str = Field(sa_type=Text)
    author: str = Field(max_length=100)
    created_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by: str | None = Field(default=None, max_length=100)
    revoke_note: str | None = Field(default=None, sa_type=Text)


class ApiKeySeen(SQLModel, table=True):
    """When taxer first saw an account's API key, for exchanges that do not say when a key was made.

    The key is named by the SHA-256 of its public id only: no secret, and not the id itself.
    """

    __tablename__ = "api_keys_seen"
    __table_args__ = (UniqueConstraint("account_id", "fingerprint", name="uq_api_keys_seen_account_fingerprint"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(sa_column=Column(Integer, ForeignKey("accounts.id"), nullable=False))
    fingerprint: str = Field(max_length=64)
    first_seen: datetime = Field(sa_type=UTCDateTime)
