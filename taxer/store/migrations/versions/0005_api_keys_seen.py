"""api_keys_seen: when taxer first saw each account's API key (by the SHA-256 of its public id)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 06:20:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import taxer.store.types

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_keys_seen',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('first_seen', taxer.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'fingerprint', name='uq_api_keys_seen_account_fingerprint')
    )


def downgrade() -> None:
    op.drop_table('api_keys_seen')
