"""one-time links for a person's own password and second-factor reset (issue 16)

``account_link`` holds the SHA-256 of each e-mailed token, what it is for (``password``,
``mfa_reset``), its state (open, used, approved, replaced), when it expires, who asked for
it and, for an approved second-factor reset, the second administrator.

Revision ID: 1010
Revises: 1000
Create Date: 2026-12-04 03:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '1010'
down_revision = '1000'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'account_link',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.String(length=20), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ended_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("purpose IN ('password', 'mfa_reset')", name=op.f('ck_account_link_purpose')),
        sa.CheckConstraint("state IN ('open', 'used', 'approved', 'replaced')", name=op.f('ck_account_link_state')),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_account_link_user_id_user_account')),
        sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'], name=op.f('fk_account_link_requested_by_id_user_account')),
        sa.ForeignKeyConstraint(['ended_by_id'], ['user_account.id'], name=op.f('fk_account_link_ended_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_account_link')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_account_link_token_hash')),
    )
    op.create_index('ix_account_link_user_purpose_state', 'account_link', ['user_id', 'purpose', 'state'], unique=False)


def downgrade():
    op.drop_index('ix_account_link_user_purpose_state', table_name='account_link')
    op.drop_table('account_link')
