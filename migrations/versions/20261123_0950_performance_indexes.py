"""performance at city scale: a partial index on open åtgärder

Measured at 1,000,000 cases (docs/BENCHMARKS.md): "Mina ärenden" looked for open åtgärder
with an EXISTS per case of the handler's units, reading every case of ten years. The
partial index holds only åtgärder not done or without an effect follow-up.

Revision ID: 0950
Revises: 0910
Create Date: 2026-11-23 22:40:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0950'
down_revision = '0910'
branch_labels = None
depends_on = None

OPEN_ACTION_SQL = "done_on IS NULL OR (effect_verdict IS NULL AND effect_waived_reason IS NULL)"


def upgrade():
    op.create_index(
        'ix_case_action_open', 'case_action', ['case_id'], unique=False,
        postgresql_where=sa.text(OPEN_ACTION_SQL), sqlite_where=sa.text(OPEN_ACTION_SQL),
    )


def downgrade():
    op.drop_index('ix_case_action_open', table_name='case_action')
