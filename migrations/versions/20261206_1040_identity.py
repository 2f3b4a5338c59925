"""identity from the municipality (issue 18): provider logins, group → role mappings,
provider sessions for single logout, a replay guard, the SCIM directory

``external_identity`` links a provider's subject to an account; ``group_role_mapping`` is
the administrator's mapping from a provider group to a role on a unit; ``sso_session``
holds what single logout needs; ``used_protocol_message`` the ids of accepted assertions
and logout tokens (replay guard); ``scim_token``, ``scim_group`` and
``scim_group_member`` the SCIM endpoints' tokens and groups. Accounts get ``origin`` and
``updated_at``; role assignments ``source``, ``source_provider`` and ``source_group``.

Revision ID: 1040
Revises: 1030
Create Date: 2026-12-06 21:40:00

"""
from alembic import op
import sqlalchemy as sa

revision = '1040'
down_revision = '1030'
branch_labels = None
depends_on = None

ROLES = "'staff', 'handler', 'manager', 'quality', 'mas', 'sas', 'admin'"


def upgrade():
    with op.batch_alter_table('user_account') as batch:
        batch.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column('origin', sa.String(length=10), server_default='local', nullable=False)
        )
    with op.batch_alter_table('role_assignment') as batch:
        batch.add_column(
            sa.Column('source', sa.String(length=10), server_default='manual', nullable=False)
        )
        batch.add_column(sa.Column('source_provider', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('source_group', sa.String(length=255), nullable=True))

    op.create_table(
        'external_identity',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('provider', sa.String(length=40), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_external_identity_user_id_user_account'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_external_identity')),
        sa.UniqueConstraint('provider', 'subject', name=op.f('uq_external_identity_provider_subject')),
    )
    op.create_index(op.f('ix_external_identity_user_id'), 'external_identity', ['user_id'], unique=False)

    op.create_table(
        'group_role_mapping',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('provider', sa.String(length=40), nullable=True),
        sa.Column('group_ref', sa.String(length=255), nullable=False),
        sa.Column('label', sa.String(length=200), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('org_unit_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint(f"role IN ({ROLES})", name=op.f('ck_group_role_mapping_role')),
        sa.ForeignKeyConstraint(['org_unit_id'], ['org_unit.id'], name=op.f('fk_group_role_mapping_org_unit_id_org_unit')),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_group_role_mapping_created_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_group_role_mapping')),
        sa.UniqueConstraint('provider', 'group_ref', 'role', 'org_unit_id', name=op.f('uq_group_role_mapping_provider_group_ref_role_org_unit_id')),
    )
    op.create_index(op.f('ix_group_role_mapping_group_ref'), 'group_role_mapping', ['group_ref'], unique=False)
    op.create_index(op.f('ix_group_role_mapping_org_unit_id'), 'group_role_mapping', ['org_unit_id'], unique=False)

    op.create_table(
        'sso_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('provider', sa.String(length=40), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('session_ref', sa.String(length=255), nullable=True),
        sa.Column('id_token', sa.Text(), nullable=True),
        sa.Column('name_id', sa.String(length=255), nullable=True),
        sa.Column('name_id_format', sa.String(length=255), nullable=True),
        sa.Column('authn_context', sa.String(length=255), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_sso_session_user_id_user_account'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_session')),
        sa.UniqueConstraint('key', name=op.f('uq_sso_session_key')),
    )
    op.create_index(op.f('ix_sso_session_user_id'), 'sso_session', ['user_id'], unique=False)
    op.create_index(op.f('ix_sso_session_session_ref'), 'sso_session', ['session_ref'], unique=False)

    op.create_table(
        'used_protocol_message',
        sa.Column('key', sa.String(length=300), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_used_protocol_message')),
    )
    op.create_index(op.f('ix_used_protocol_message_expires_at'), 'used_protocol_message', ['expires_at'], unique=False)

    op.create_table(
        'scim_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_scim_token_created_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_scim_token')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_scim_token_token_hash')),
    )

    op.create_table(
        'scim_group',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('scim_id', sa.String(length=64), nullable=False),
        sa.Column('display_name', sa.String(length=255), nullable=False),
        sa.Column('external_id', sa.String(length=255), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_scim_group')),
        sa.UniqueConstraint('scim_id', name=op.f('uq_scim_group_scim_id')),
    )
    op.create_index(op.f('ix_scim_group_external_id'), 'scim_group', ['external_id'], unique=False)

    op.create_table(
        'scim_group_member',
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['group_id'], ['scim_group.id'], name=op.f('fk_scim_group_member_group_id_scim_group'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_scim_group_member_user_id_user_account'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('group_id', 'user_id', name=op.f('pk_scim_group_member')),
    )
    op.create_index(op.f('ix_scim_group_member_user_id'), 'scim_group_member', ['user_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_scim_group_member_user_id'), table_name='scim_group_member')
    op.drop_table('scim_group_member')
    op.drop_index(op.f('ix_scim_group_external_id'), table_name='scim_group')
    op.drop_table('scim_group')
    op.drop_table('scim_token')
    op.drop_index(op.f('ix_used_protocol_message_expires_at'), table_name='used_protocol_message')
    op.drop_table('used_protocol_message')
    op.drop_index(op.f('ix_sso_session_session_ref'), table_name='sso_session')
    op.drop_index(op.f('ix_sso_session_user_id'), table_name='sso_session')
    op.drop_table('sso_session')
    op.drop_index(op.f('ix_group_role_mapping_org_unit_id'), table_name='group_role_mapping')
    op.drop_index(op.f('ix_group_role_mapping_group_ref'), table_name='group_role_mapping')
    op.drop_table('group_role_mapping')
    op.drop_index(op.f('ix_external_identity_user_id'), table_name='external_identity')
    op.drop_table('external_identity')
    with op.batch_alter_table('role_assignment') as batch:
        batch.drop_column('source_group')
        batch.drop_column('source_provider')
        batch.drop_column('source')
    with op.batch_alter_table('user_account') as batch:
        batch.drop_column('origin')
        batch.drop_column('updated_at')
