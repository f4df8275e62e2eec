"""The ledger's tables. Schema changes go through an Alembic migration in `migrations/versions/`
(tests/store/test_schema.py fails when these tables and the migrations differ).

SQLAlchemy Core tables, not SQLModel classes: the store only ever queried the classes' `__table__`, and importing
SQLModel (pydantic) to build them cost every command 0.3-0.8 s of start-up (issue 17). The migrations keep their
SQLModel column types, which create the same columns.

Credentials are never a column anywhere: they live in the environment or the OS keyring only.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from taxer.store.types import ExactDecimal, UTCDateTime

METADATA = MetaData()


def _id() -> Column:
    return Column("id", Integer, primary_key=True)


def _account_id(nullable: bool = False) -> Column:
    return Column("account_id", Integer, ForeignKey("accounts.id"), nullable=nullable)


def _import_run_id() -> Column:
    return Column("import_run_id", Integer, ForeignKey("import_runs.id"), nullable=True)


def _required(name: str, type_) -> Column:
    return Column(name, type_, nullable=False)


def _optional(name: str, type_) -> Column:
    return Column(name, type_, nullable=True)


# A place that holds assets: an exchange account (synced through ccxt) or a wallet/file account.
ACCOUNTS = Table(
    "accounts", METADATA,
    _id(),
    Column("name", String(100), nullable=False, unique=True, index=True),
    Column("kind", String(20), nullable=False, default="file"),   # exchange | wallet | file
    _optional("exchange_id", String(50)),                          # ccxt id, e.g. "bitget"
    _optional("api_url", String(500)),                             # base-URL override for every API call
    Column("settings", Text, nullable=False, default="{}"),        # JSON object: per-account options
    _required("created_at", UTCDateTime),
)

# One import or sync: what was read, how many records, how it ended.
IMPORT_RUNS = Table(
    "import_runs", METADATA,
    _id(),
    _account_id(nullable=True),
    _required("kind", String(20)),                  # csv | sync
    _required("target", Text),                      # file path (and its sha256) or exchange streams
    _required("started_at", UTCDateTime),
    _optional("finished_at", UTCDateTime),
    Column("rows_read", Integer, nullable=False, default=0),
    Column("inserted", Integer, nullable=False, default=0),
    Column("duplicates", Integer, nullable=False, default=0),
    Column("outcome", String(20), nullable=False, default="running"),  # running | ok | failed
    _optional("message", Text),
)

# One normalized transaction (see `taxer.model.Transaction`), unique per account, source and external id.
TRANSACTIONS = Table(
    "transactions", METADATA,
    _id(),
    _account_id(),
    Column("timestamp", UTCDateTime, nullable=False, index=True),
    _required("kind", String(20)),
    _optional("sent_asset", String(40)),
    _optional("sent_amount", ExactDecimal),
    _optional("received_asset", String(40)),
    _optional("received_amount", ExactDecimal),
    _optional("fee_asset", String(40)),
    _optional("fee_amount", ExactDecimal),
    _optional("fair_value", ExactDecimal),
    _optional("fair_value_currency", String(10)),
    _optional("label", String(40)),
    _optional("description", Text),
    _optional("tx_hash", String(200)),
    _required("source", String(40)),
    _required("external_id", String(200)),
    _import_run_id(),
    UniqueConstraint("account_id", "source", "external_id", name="uq_transactions_account_source_external"),
    Index("ix_transactions_account_time", "account_id", "timestamp"),
)

# The source record a transaction was made from, verbatim, for the audit trail.
RAW_RECORDS = Table(
    "raw_records", METADATA,
    _id(),
    _account_id(),
    _required("source", String(40)),
    _required("external_id", String(200)),
    _required("origin", Text),     # where it was read: "file.csv:12" or "bitget GET /api/v2/spot/trade/fills"
    _required("payload", Text),    # JSON of the record as the source gave it
    _import_run_id(),
    UniqueConstraint("account_id", "source", "external_id", name="uq_raw_records_account_source_external"),
)

# How far an incremental import of one account's stream has got (saved with the data it covers).
SYNC_CURSORS = Table(
    "sync_cursors", METADATA,
    _id(),
    _account_id(),
    _required("stream", String(100)),   # e.g. "trades:BTC/USDT", "deposits"
    _required("cursor", Text),          # JSON: the position to resume from
    _required("updated_at", UTCDateTime),
    UniqueConstraint("account_id", "stream", name="uq_sync_cursors_account_stream"),
)

# A workspace setting (taxpayer name, country, method ...), as JSON text.
SETTINGS = Table(
    "settings", METADATA,
    Column("key", String(100), primary_key=True),
    _required("value", Text),
)

# A cached or user-supplied price of one asset in a quote currency for a time bucket.
# `resolution` is the bucket's length ("1m", "1h", "1d" for exchange candles, "point" for a user's price at an
# instant); `source` is "user" or the exchange it came from. User prices win over fetched ones. Candles keep
# open, high and low too, so the report's candle price is a setting (`candle_price`).
PRICES = Table(
    "prices", METADATA,
    _id(),
    _required("asset", String(40)),
    _required("quote", String(40)),
    _required("resolution", String(10)),
    _required("bucket_start", UTCDateTime),
    _required("price", ExactDecimal),        # a candle's close, or the user's price
    _required("source", String(40)),
    _required("recorded_at", UTCDateTime),
    _optional("open", ExactDecimal),         # the candle's other prices (None: unknown)
    _optional("high", ExactDecimal),
    _optional("low", ExactDecimal),
    UniqueConstraint("asset", "quote", "resolution", "bucket_start", "source", name="uq_prices_bucket"),
    Index("ix_prices_lookup", "asset", "quote", "bucket_start"),
)

# A user's correction of the imported ledger: who, when, why, what kind, which record(s), the value.
# Targets are (account, source, external id), stable across re-imports and re-syncs, never row ids. A revoked
# correction stays in the table (`revoked_*`) for the audit trail.
CORRECTIONS = Table(
    "corrections", METADATA,
    _id(),
    _required("kind", String(20)),               # relabel | basis | match | unmatch | value | split | merge
    _required("account", String(100)),
    _required("source", String(40)),
    _required("external_id", String(200)),
    _optional("other_account", String(100)),     # the second record of match/unmatch/merge
    _optional("other_source", String(40)),
    _optional("other_external_id", String(200)),
    Column("value", Text, nullable=False, default="{}"),  # JSON object, amounts as decimal strings
    _required("note", Text),
    _required("author", String(100)),
    _required("created_at", UTCDateTime),
    _optional("revoked_at", UTCDateTime),
    _optional("revoked_by", String(100)),
    _optional("revoke_note", Text),
    Index("ix_corrections_target", "account", "source", "external_id"),
)

# When taxer first saw an account's API key, for exchanges that do not say when a key was made.
# The key is named by the SHA-256 of its public id only: no secret, and not the id itself.
API_KEYS_SEEN = Table(
    "api_keys_seen", METADATA,
    _id(),
    _account_id(),
    _required("fingerprint", String(64)),
    _required("first_seen", UTCDateTime),
    UniqueConstraint("account_id", "fingerprint", name="uq_api_keys_seen_account_fingerprint"),
)

# One row of a broker's Form 1099-DA for an account (taxer.model.form1099da.BrokerRow), kept as reported.
# Unique per account and external id (a digest of the row and its occurrence in the file), so importing a file
# again adds nothing twice. `origin` is "file.csv:12"; `payload` the row's cells as JSON.
FORM1099DA_ROWS = Table(
    "form1099da_rows", METADATA,
    _id(),
    _account_id(),
    _required("tax_year", Integer),
    _required("asset", String(40)),
    Column("asset_name", String(200), nullable=False, default=""),
    _required("units", ExactDecimal),
    _optional("date_acquired", String(10)),      # ISO date; None when blank or various
    Column("various", Boolean, nullable=False, default=False),
    _required("date_sold", String(10)),
    _required("proceeds", ExactDecimal),
    _optional("cost_basis", ExactDecimal),
    Column("term", String(10), nullable=False, default=""),
    Column("basis_reported", Boolean, nullable=False, default=False),
    Column("proceeds_type", String(10), nullable=False, default=""),
    Column("noncovered", Boolean, nullable=False, default=False),
    Column("form8949_code", String(2), nullable=False, default=""),
    _optional("market_discount", ExactDecimal),
    _optional("wash_sale_disallowed", ExactDecimal),
    _optional("federal_tax_withheld", ExactDecimal),
    _required("layout", String(40)),
    _required("external_id", String(200)),
    _required("origin", Text),
    _required("payload", Text),
    _import_run_id(),
    UniqueConstraint("account_id", "external_id", name="uq_form1099da_rows_account_external"),
    Index("ix_form1099da_rows_year", "tax_year", "account_id"),
)
