"""The ledger store: tables, the database connection and migrations, and the queries over them."""
