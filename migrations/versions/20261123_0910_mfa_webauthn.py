"""second factor: encrypted TOTP secrets (wider column) and WebAuthn security keys

``user_account.mfa_secret`` grows to hold a Fernet token (about 140 characters for a
32-character base32 secret). Secrets stored in clear are left as they are: the application
encrypts each at its next use, and ``casetrack rotate-attachment-key`` encrypts them all
(the key is not available to migrations). ``webauthn_credential`` holds admins' security
keys; ``webauthn_challenge_hash``/``_at`` the one open WebAuthn challenge per account.

Revision ID: 0910
Revises: 0900
Create Date: 2026-11-23 21:58:50

"""
from alembic import op
import sqlalchemy as sa


revision = '0910'
down_revision = '0900'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('webauthn_credential',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('credential_id', sa.LargeBinary(), nullable=False),
    sa.Column('public_key', sa.LargeBinary(), nullable=False),
    sa.Column('sign_count', sa.BigInteger(), nullable=False),
    sa.Column('transports', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_webauthn_credential_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webauthn_credential')),
    sa.UniqueConstraint('credential_id', name=op.f('uq_webauthn_credential_credential_id'))
    )
    with op.batch_alter_table('webauthn_credential', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webauthn_credential_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('webauthn_challenge_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('webauthn_challenge_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('mfa_secret',
               existing_type=sa.VARCHAR(length=64),
               type_=sa.String(length=255),
               existing_nullable=True)


def downgrade():
    # An encrypted secret does not fit the old column and cannot be decrypted here: those
    # accounts lose their TOTP factor and enrol again at their next login.
    user = sa.table(
        'user_account',
        sa.column('mfa_secret', sa.String),
        sa.column('mfa_enabled_at', sa.DateTime(timezone=True)),
        sa.column('mfa_last_step', sa.Integer),
    )
    op.execute(
        user.update()
        .where(sa.func.length(user.c.mfa_secret) > 64)
        .values(mfa_secret=None, mfa_enabled_at=None, mfa_last_step=None)
    )
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.alter_column('mfa_secret',
               existing_type=sa.String(length=255),
               type_=sa.VARCHAR(length=64),
               existing_nullable=True)
        batch_op.drop_column('webauthn_challenge_at')
        batch_op.drop_column('webauthn_challenge_hash')

    with op.batch_alter_table('webauthn_credential', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webauthn_credential_user_id'))

    op.drop_table('webauthn_credential')
