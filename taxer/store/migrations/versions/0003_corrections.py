"""corrections: the user's audited overrides of the imported ledger

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 22:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import taxer.store.types

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('account', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('other_account', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('other_source', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('other_external_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('author', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('created_at', taxer.store.types.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', taxer.store.types.UTCDateTime(), nullable=True),
    sa.Column('revoked_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('revoke_note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('corrections', schema=None) as batch_op:
        batch_op.create_index('ix_corrections_target', ['account', 'source', 'external_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('corrections', schema=None) as batch_op:
        batch_op.drop_index('ix_corrections_target')
    op.drop_table('corrections')
