"""candle open, high and low beside the close

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 22:50:00
"""
import sqlalchemy as sa
from alembic import op

import taxer.store.types

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Candles fetched before this revision keep only their close (in `price`): a report set to another candle
    # price finds them incomplete and `taxer prices fetch` asks for them again.
    with op.batch_alter_table('prices', schema=None) as batch_op:
        for name in ('open', 'high', 'low'):
            batch_op.add_column(sa.Column(name, taxer.store.types.ExactDecimal(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('prices', schema=None) as batch_op:
        for name in ('low', 'high', 'open'):
            batch_op.drop_column(name)
