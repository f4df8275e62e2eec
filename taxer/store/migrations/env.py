"""Alembic environment: taxer passes its own connection in (see taxer/store/db.py); no alembic.ini needed."""

from alembic import context

from taxer.store.tables import METADATA

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=METADATA,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
