"""structured händelseanalys: händelseförlopp, cause areas, participants, reported back (issue 19)

``investigation_event`` holds the händelseförlopp (a date, an optional time and what
happened), ``investigation_participant`` who took part (name and function as free text).
``investigation_cause.area`` is one of the seven cause areas (stable codes, copied here
from casetrack.domain.event_analysis): existing causes get NULL, shown as "Ej angivet
orsaksområde" until the handler sets it. ``investigation`` gets the date (and how) the
result was reported back to the staff who filed the avvikelse.

Revision ID: 1120
Revises: 1110
Create Date: 2026-12-08 01:30:00

"""
from alembic import op
import sqlalchemy as sa

revision = '1120'
down_revision = '1110'
branch_labels = None
depends_on = None

# The cause area codes as they stood when this migration was written.
AREA_CHECK = (
    "area IN ('kommunikation', 'kunskap', 'teknik', 'rutiner', 'organisation', "
    "'omgivning', 'brukare')"
)


def upgrade():
    op.create_table(
        'investigation_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('investigation_id', sa.Integer(), nullable=False),
        sa.Column('occurred_on', sa.Date(), nullable=False),
        sa.Column('occurred_time', sa.Time(), nullable=True),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ['created_by_id'], ['user_account.id'],
            name=op.f('fk_investigation_event_created_by_id_user_account'),
        ),
        sa.ForeignKeyConstraint(
            ['investigation_id'], ['investigation.id'],
            name=op.f('fk_investigation_event_investigation_id_investigation'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_investigation_event')),
    )  # fmt: skip
    op.create_index(
        op.f('ix_investigation_event_investigation_id'), 'investigation_event',
        ['investigation_id'], unique=False,
    )  # fmt: skip
    op.create_table(
        'investigation_participant',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('investigation_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('role', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ['created_by_id'], ['user_account.id'],
            name=op.f('fk_investigation_participant_created_by_id_user_account'),
        ),
        sa.ForeignKeyConstraint(
            ['investigation_id'], ['investigation.id'],
            name=op.f('fk_investigation_participant_investigation_id_investigation'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_investigation_participant')),
    )  # fmt: skip
    op.create_index(
        op.f('ix_investigation_participant_investigation_id'), 'investigation_participant',
        ['investigation_id'], unique=False,
    )  # fmt: skip
    with op.batch_alter_table('investigation_cause', schema=None) as batch_op:
        batch_op.add_column(sa.Column('area', sa.String(length=20), nullable=True))
        batch_op.create_check_constraint(op.f('ck_investigation_cause_area'), AREA_CHECK)
    with op.batch_alter_table('investigation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reported_back_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('reported_back_how', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('investigation', schema=None) as batch_op:
        batch_op.drop_column('reported_back_how')
        batch_op.drop_column('reported_back_on')
    with op.batch_alter_table('investigation_cause', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_investigation_cause_area'), type_='check')
        batch_op.drop_column('area')
    op.drop_index(
        op.f('ix_investigation_participant_investigation_id'),
        table_name='investigation_participant',
    )
    op.drop_table('investigation_participant')
    op.drop_index(
        op.f('ix_investigation_event_investigation_id'), table_name='investigation_event'
    )
    op.drop_table('investigation_event')
