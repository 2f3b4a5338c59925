"""lists filtered by status: an index on (status, received date); running lex tracks

Measured at 1,000,000 cases (docs/BENCHMARKS.md): "Alla öppna" and "Klagomål, öppna" for a
quality lead counted their cases (up to 1,001) by reading the case table from its start;
the open cases are the recent ones, at its end, so the count read most of the table
(150 ms). With this index the open statuses are read directly, newest first.

Every page a handler sees counts the lex Sarah / lex Maria steps past their deadline
(the header's reminder count), from the tracks still running: a partial index holds
just those, so their steps are found by index instead of by reading every step.

Revision ID: 0970
Revises: 0960
Create Date: 2026-11-24 01:30:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0970'
down_revision = '0960'
branch_labels = None
depends_on = None


RUNNING = "completed_on IS NULL"


def upgrade():
    with op.batch_alter_table('case_record') as batch_op:
        batch_op.create_index(
            'ix_case_record_status_received', ['status_code', 'received_on'], unique=False
        )
    op.create_index(
        'ix_escalation_running', 'escalation', ['id'], unique=False,
        postgresql_where=sa.text(RUNNING), sqlite_where=sa.text(RUNNING),
    )


def downgrade():
    op.drop_index('ix_escalation_running', table_name='escalation')
    with op.batch_alter_table('case_record') as batch_op:
        batch_op.drop_index('ix_case_record_status_received')
