"""the (handler, status) index also carries the unit

Measured at 1,000,000 cases (docs/BENCHMARKS.md): "Mina ärenden" asks, section by
section, for the open cases of the handler's units that are theirs or unassigned. The
unassigned open cases of the whole förvaltning (2,000–5,000) were read from the
(handler, status) index and tested one by one for the unit, or ANDed with a bitmap of
every case of the units. With the unit as the index's third column the units are part of
the index condition: Mina ärenden 46 → 38 ms. The new index serves every query the old
one did (same leading columns), so it replaces it.

Revision ID: 0990
Revises: 0980
Create Date: 2026-11-24 04:15:00

"""
from alembic import op

revision = '0990'
down_revision = '0980'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case_record') as batch_op:
        batch_op.drop_index('ix_case_record_handler_status')
        batch_op.create_index(
            'ix_case_record_handler_status_unit',
            ['assigned_handler_id', 'status_code', 'org_unit_id'], unique=False,
        )


def downgrade():
    with op.batch_alter_table('case_record') as batch_op:
        batch_op.drop_index('ix_case_record_handler_status_unit')
        batch_op.create_index(
            'ix_case_record_handler_status', ['assigned_handler_id', 'status_code'], unique=False
        )
