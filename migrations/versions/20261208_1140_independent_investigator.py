"""an independent lex Sarah-utredare (issue 19): the role, the assignments and their mail

The role ``investigator`` ("Lex Sarah-utredare") joins the roles a role assignment and an
SSO group mapping may name (their CHECK constraints list the roles). An
``escalation_investigator`` row says who does a lex Sarah track's utredning; the current
one has no ``ended_at`` (one per track), ended ones are the history. The enhetschef is
told by the ``investigator_assigned`` e-mail, which carries no case text.

Revision ID: 1140
Revises: 1130
Create Date: 2026-12-08 01:30:00

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

revision = '1140'
down_revision = '1130'
branch_labels = None
depends_on = None

OLD_ROLES = "'staff', 'handler', 'manager', 'quality', 'mas', 'sas', 'admin'"
NEW_ROLES = "'staff', 'handler', 'manager', 'quality', 'mas', 'sas', 'investigator', 'admin'"

TEMPLATES = sa.table(
    'message_template',
    sa.column('code', sa.String),
    sa.column('name', sa.String),
    sa.column('subject', sa.String),
    sa.column('body', sa.Text),
    sa.column('updated_at', sa.DateTime(timezone=True)),
)

# Copied here (not imported) so that history does not change with casetrack.domain.messages.
NEW_TEMPLATES = [
    ('investigator_assigned', 'Lex Sarah: utredare utsedd',
     'Lex Sarah-utredning i {diarienummer}: utredare utsedd',
     'Hej {mottagare}!\n\nUtredningen enligt lex Sarah i ärendet {diarienummer} ({enhet}) '
     'görs av {utredare}, lex Sarah-utredare. Du informeras om att utredningen pågår, men '
     'läser inte utredningen och fattar inte beslut i den.\n\n{lank}\n'),
]


def _roles(table: str, roles: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f(f'ck_{table}_role'), type_='check')
        batch_op.create_check_constraint('role', f'role IN ({roles})')


def upgrade():
    _roles('role_assignment', NEW_ROLES)
    _roles('group_role_mapping', NEW_ROLES)
    op.create_table('escalation_investigator',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('escalation_id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('investigator_id', sa.Integer(), nullable=False),
        sa.Column('assigned_by_id', sa.Integer(), nullable=True),
        sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ended_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['escalation_id'], ['escalation.id'], name=op.f('fk_escalation_investigator_escalation_id_escalation'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['case_id'], ['case_record.id'], name=op.f('fk_escalation_investigator_case_id_case_record'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['investigator_id'], ['user_account.id'], name=op.f('fk_escalation_investigator_investigator_id_user_account')),
        sa.ForeignKeyConstraint(['assigned_by_id'], ['user_account.id'], name=op.f('fk_escalation_investigator_assigned_by_id_user_account')),
        sa.ForeignKeyConstraint(['ended_by_id'], ['user_account.id'], name=op.f('fk_escalation_investigator_ended_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_escalation_investigator')),
    )
    with op.batch_alter_table('escalation_investigator', schema=None) as batch_op:
        batch_op.create_index(
            'ux_escalation_investigator_current', ['escalation_id'], unique=True,
            postgresql_where=sa.text('ended_at IS NULL'), sqlite_where=sa.text('ended_at IS NULL'),
        )
        batch_op.create_index(
            'ix_escalation_investigator_user', ['investigator_id', 'ended_at'], unique=False
        )
    now = datetime.now(timezone.utc)
    op.bulk_insert(TEMPLATES, [
        {'code': code, 'name': name, 'subject': subject, 'body': body, 'updated_at': now}
        for code, name, subject, body in NEW_TEMPLATES
    ])


def downgrade():
    op.execute(TEMPLATES.delete().where(TEMPLATES.c.code.in_([c for c, *_ in NEW_TEMPLATES])))
    with op.batch_alter_table('escalation_investigator', schema=None) as batch_op:
        batch_op.drop_index('ix_escalation_investigator_user')
        batch_op.drop_index('ux_escalation_investigator_current')
    op.drop_table('escalation_investigator')
    op.execute(sa.text("DELETE FROM group_role_mapping WHERE role = 'investigator'"))
    op.execute(sa.text("DELETE FROM role_assignment WHERE role = 'investigator'"))
    _roles('group_role_mapping', OLD_ROLES)
    _roles('role_assignment', OLD_ROLES)
