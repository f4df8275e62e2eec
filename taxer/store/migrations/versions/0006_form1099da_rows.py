"""form1099da_rows: the rows of brokers' Forms 1099-DA, kept as reported

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 07:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import taxer.store.types

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    exact = taxer.store.types.ExactDecimal
    op.create_table('form1099da_rows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('tax_year', sa.Integer(), nullable=False),
    sa.Column('asset', text(length=40), nullable=False),
    sa.Column('asset_name', text(length=200), nullable=False),
    sa.Column('units', exact(), nullable=False),
    sa.Column('date_acquired', text(length=10), nullable=True),
    sa.Column('various', sa.Boolean(), nullable=False),
    sa.Column('date_sold', text(length=10), nullable=False),
    sa.Column('proceeds', exact(), nullable=False),
    sa.Column('cost_basis', exact(), nullable=True),
    sa.Column('term', text(length=10), nullable=False),
    sa.Column('basis_reported', sa.Boolean(), nullable=False),
    sa.Column('proceeds_type', text(length=10), nullable=False),
    sa.Column('noncovered', sa.Boolean(), nullable=False),
    sa.Column('form8949_code', text(length=2), nullable=False),
    sa.Column('market_discount', exact(), nullable=True),
    sa.Column('wash_sale_disallowed', exact(), nullable=True),
    sa.Column('federal_tax_withheld', exact(), nullable=True),
    sa.Column('layout', text(length=40), nullable=False),
    sa.Column('external_id', text(length=200), nullable=False),
    sa.Column('origin', sa.Text(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('import_run_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ),
    sa.ForeignKeyConstraint(['import_run_id'], ['import_runs.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'external_id', name='uq_form1099da_rows_account_external')
    )
    with op.batch_alter_table('form1099da_rows', schema=None) as batch_op:
        batch_op.create_index('ix_form1099da_rows_year', ['tax_year', 'account_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('form1099da_rows', schema=None) as batch_op:
        batch_op.drop_index('ix_form1099da_rows_year')
    op.drop_table('form1099da_rows')
