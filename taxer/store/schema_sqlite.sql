-- taxer ledger schema on SQLite at revision 0006
-- written by `python -m taxer.store.snapshot` from the migrations; do not edit
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
)
;
CREATE TABLE accounts (
	id INTEGER NOT NULL, 
	name VARCHAR(100) NOT NULL, 
	kind VARCHAR(20) NOT NULL, 
	exchange_id VARCHAR(50), 
	api_url VARCHAR(500), 
	settings TEXT NOT NULL, 
	created_at VARCHAR(32) NOT NULL, 
	PRIMARY KEY (id)
)
;
CREATE UNIQUE INDEX ix_accounts_name ON accounts (name)
;
CREATE TABLE settings (
	"key" VARCHAR(100) NOT NULL, 
	value TEXT NOT NULL, 
	PRIMARY KEY ("key")
)
;
CREATE TABLE import_runs (
	id INTEGER NOT NULL, 
	account_id INTEGER, 
	kind VARCHAR(20) NOT NULL, 
	target TEXT NOT NULL, 
	started_at VARCHAR(32) NOT NULL, 
	finished_at VARCHAR(32), 
	rows_read INTEGER NOT NULL, 
	inserted INTEGER NOT NULL, 
	duplicates INTEGER NOT NULL, 
	outcome VARCHAR(20) NOT NULL, 
	message TEXT, 
	PRIMARY KEY (id), 
	FOREIGN KEY(account_id) REFERENCES accounts (id)
)
;
CREATE TABLE sync_cursors (
	id INTEGER NOT NULL, 
	account_id INTEGER NOT NULL, 
	stream VARCHAR(100) NOT NULL, 
	cursor TEXT NOT NULL, 
	updated_at VARCHAR(32) NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(account_id) REFERENCES accounts (id), 
	CONSTRAINT uq_sync_cursors_account_stream UNIQUE (account_id, stream)
)
;
CREATE TABLE raw_records (
	id INTEGER NOT NULL, 
	account_id INTEGER NOT NULL, 
	source VARCHAR(40) NOT NULL, 
	external_id VARCHAR(200) NOT NULL, 
	origin TEXT NOT NULL, 
	payload TEXT NOT NULL, 
	import_run_id INTEGER, 
	PRIMARY KEY (id), 
	FOREIGN KEY(account_id) REFERENCES accounts (id), 
	FOREIGN KEY(import_run_id) REFERENCES import_runs (id), 
	CONSTRAINT uq_raw_records_account_source_external UNIQUE (account_id, source, external_id)
)
;
CREATE TABLE transactions (
	id INTEGER NOT NULL, 
	account_id INTEGER NOT NULL, 
	timestamp VARCHAR(32) NOT NULL, 
	kind VARCHAR(20) NOT NULL, 
	sent_asset VARCHAR(40), 
	sent_amount VARCHAR(80), 
	received_asset VARCHAR(40), 
	received_amount VARCHAR(80), 
	fee_asset VARCHAR(40), 
	fee_amount VARCHAR(80), 
	fair_value VARCHAR(80), 
	fair_value_currency VARCHAR(10), 
	label VARCHAR(40), 
	description TEXT, 
	tx_hash VARCHAR(200), 
	source VARCHAR(40) NOT NULL, 
	external_id VARCHAR(200) NOT NULL, 
	import_run_id INTEGER, 
	PRIMARY KEY (id), 
	FOREIGN KEY(account_id) REFERENCES accounts (id), 
	FOREIGN KEY(import_run_id) REFERENCES import_runs (id), 
	CONSTRAINT uq_transactions_account_source_external UNIQUE (account_id, source, external_id)
)
;
CREATE INDEX ix_transactions_account_time ON transactions (account_id, timestamp)
;
CREATE INDEX ix_transactions_timestamp ON transactions (timestamp)
;
CREATE TABLE prices (
	id INTEGER NOT NULL, 
	asset VARCHAR(40) NOT NULL, 
	quote VARCHAR(40) NOT NULL, 
	resolution VARCHAR(10) NOT NULL, 
	bucket_start VARCHAR(32) NOT NULL, 
	price VARCHAR(80) NOT NULL, 
	source VARCHAR(40) NOT NULL, 
	recorded_at VARCHAR(32) NOT NULL, open VARCHAR(80), high VARCHAR(80), low VARCHAR(80), 
	PRIMARY KEY (id), 
	CONSTRAINT uq_prices_bucket UNIQUE (asset, quote, resolution, bucket_start, source)
)
;
CREATE INDEX ix_prices_lookup ON prices (asset, quote, bucket_start)
;
CREATE TABLE corrections (
	id INTEGER NOT NULL, 
	kind VARCHAR(20) NOT NULL, 
	account VARCHAR(100) NOT NULL, 
	source VARCHAR(40) NOT NULL, 
	external_id VARCHAR(200) NOT NULL, 
	other_account VARCHAR(100), 
	other_source VARCHAR(40), 
	other_external_id VARCHAR(200), 
	value TEXT NOT NULL, 
	note TEXT NOT NULL, 
	author VARCHAR(100) NOT NULL, 
	created_at VARCHAR(32) NOT NULL, 
	revoked_at VARCHAR(32), 
	revoked_by VARCHAR(100), 
	revoke_note TEXT, 
	PRIMARY KEY (id)
)
;
CREATE INDEX ix_corrections_target ON corrections (account, source, external_id)
;
CREATE TABLE api_keys_seen (
	id INTEGER NOT NULL, 
	account_id INTEGER NOT NULL, 
	fingerprint VARCHAR(64) NOT NULL, 
	first_seen VARCHAR(32) NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(account_id) REFERENCES accounts (id), 
	CONSTRAINT uq_api_keys_seen_account_fingerprint UNIQUE (account_id, fingerprint)
)
;
CREATE TABLE form1099da_rows (
	id INTEGER NOT NULL, 
	account_id INTEGER NOT NULL, 
	tax_year INTEGER NOT NULL, 
	asset VARCHAR(40) NOT NULL, 
	asset_name VARCHAR(200) NOT NULL, 
	units VARCHAR(80) NOT NULL, 
	date_acquired VARCHAR(10), 
	various BOOLEAN NOT NULL, 
	date_sold VARCHAR(10) NOT NULL, 
	proceeds VARCHAR(80) NOT NULL, 
	cost_basis VARCHAR(80), 
	term VARCHAR(10) NOT NULL, 
	basis_reported BOOLEAN NOT NULL, 
	proceeds_type VARCHAR(10) NOT NULL, 
	noncovered BOOLEAN NOT NULL, 
	form8949_code VARCHAR(2) NOT NULL, 
	market_discount VARCHAR(80), 
	wash_sale_disallowed VARCHAR(80), 
	federal_tax_withheld VARCHAR(80), 
	layout VARCHAR(40) NOT NULL, 
	external_id VARCHAR(200) NOT NULL, 
	origin TEXT NOT NULL, 
	payload TEXT NOT NULL, 
	import_run_id INTEGER, 
	PRIMARY KEY (id), 
	FOREIGN KEY(account_id) REFERENCES accounts (id), 
	FOREIGN KEY(import_run_id) REFERENCES import_runs (id), 
	CONSTRAINT uq_form1099da_rows_account_external UNIQUE (account_id, external_id)
)
;
CREATE INDEX ix_form1099da_rows_year ON form1099da_rows (tax_year, account_id)
;
