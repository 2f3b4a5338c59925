"""lex Sarah / lex Maria step reminders: templates for due and overdue steps

The single "ställningstagande" reminder is replaced by reminders for every step deadline
(the organisation settings the case page shows), so there is one deadline per step.

Revision ID: 0800
Revises: 0700
Create Date: 2026-11-23 21:00:00

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

revision = '0800'
down_revision = '0700'
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

NEW = [
    ('reminder_lex_step', 'Påminnelse: steg i lex Sarah / lex Maria',
     '{steg} i {diarienummer}: sista dag i dag',
     'Hej {mottagare}!\n\nI ärendet {diarienummer} ({enhet}) ska steget {steg} vara '
     'registrerat senast {frist}.\n\n{lank}\n'),
    ('reminder_lex_step_overdue', 'Påminnelse: försenat steg i lex Sarah / lex Maria',
     'Försenat: {steg} i {diarienummer}',
     'Hej {mottagare}!\n\nI ärendet {diarienummer} ({enhet}) skulle steget {steg} ha '
     'registrerats senast {frist}. Registrera steget eller skälet till dröjsmålet.\n\n{lank}\n'),
]
OLD = ('reminder_lex_decision', 'Påminnelse: ställningstagande lex Sarah / lex Maria',
       'Påminnelse: ställningstagande i {diarienummer} senast {frist}',
       'Hej {mottagare}!\n\nRapporten i ärendet {diarienummer} ({enhet}) väntar på '
       'ställningstagande. Sista dag: {frist}.\n\n{lank}\n')


def _rows(items):
    now = datetime.now(timezone.utc)
    return [
        {'code': code, 'name': name, 'subject': subject, 'body': body, 'updated_at': now}
        for code, name, subject, body in items
    ]


def upgrade():
    op.bulk_insert(TABLE, _rows(NEW))
    op.execute(TABLE.delete().where(TABLE.c.code == OLD[0]))


def downgrade():
    op.execute(TABLE.delete().where(TABLE.c.code.in_([code for code, *_ in NEW])))
    op.bulk_insert(TABLE, _rows([OLD]))
