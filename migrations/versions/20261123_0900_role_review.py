"""behörighetsgranskning: last review of each role assignment, and its reminder template

Existing assignments keep last_reviewed_at NULL: their first review is due counted from
created_at (casetrack.domain.role_review.due_on).

Revision ID: 0900
Revises: 0800
Create Date: 2026-11-24 09:00:00

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

revision = '0900'
down_revision = '0800'
branch_labels = None
depends_on = None

TABLE = sa.table(
    'message_template',
    sa.column('code', sa.String),
    sa.column('name', sa.String),
    sa.column('subject', sa.String),
    sa.column('body', sa.Text),
    sa.column('updated_at', sa.DateTime(timezone=True)),
)

# Copied here (not imported) so that history does not change with casetrack.domain.messages.
NEW = [
    ('role_review_due', 'Påminnelse: behörighetsgranskning',
     'Behörigheter att granska: {antal}',
     'Hej {mottagare}!\n\n{antal} behörigheter som du ansvarar för ska granskas nu. '
     'Bekräfta att de fortfarande behövs eller ta bort dem.\n\n{lank}\n'),
]


def upgrade():
    with op.batch_alter_table('role_assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_reviewed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_reviewed_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_role_assignment_last_reviewed_by_id_user_account'),
            'user_account', ['last_reviewed_by_id'], ['id'],
        )
    now = datetime.now(timezone.utc)
    op.bulk_insert(TABLE, [
        {'code': code, 'name': name, 'subject': subject, 'body': body, 'updated_at': now}
        for code, name, subject, body in NEW
    ])


def downgrade():
    op.execute(TABLE.delete().where(TABLE.c.code.in_([code for code, *_ in NEW])))
    with op.batch_alter_table('role_assignment', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_role_assignment_last_reviewed_by_id_user_account'), type_='foreignkey'
        )
        batch_op.drop_column('last_reviewed_by_id')
        batch_op.drop_column('last_reviewed_at')
