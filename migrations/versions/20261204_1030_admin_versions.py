"""optimistic locking on what administrators edit: a version on units, reference data,
message templates and organisation settings

Two administrators editing the same unit, reference row, message template or setting
at once overwrote each other silently. Each row now has a version, bumped on every
update (SQLAlchemy's version_id_col, as on case_record): an edit form carries the version
it was opened at and a save from an older one is refused with the stale message.

Revision ID: 1030
Revises: 1020
Create Date: 2026-12-04 03:10:00

"""
from alembic import op
import sqlalchemy as sa

revision = '1030'
down_revision = '1020'
branch_labels = None
depends_on = None

TABLES = ['org_unit', 'case_kind', 'source', 'channel', 'category', 'status',
          'message_template', 'org_setting']


def upgrade():
    for table in TABLES:
        op.add_column(
            table, sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False)
        )


def downgrade():
    # A plain DROP COLUMN (SQLite 3.35+), not a batch table copy: org_unit keeps its
    # tree-version triggers (migration 0980).
    for table in reversed(TABLES):
        op.drop_column(table, 'version')
