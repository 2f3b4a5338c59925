"""åtgärd plans that need approval (issue 19)

``action_plan_review`` keeps every event of an avvikelse's åtgärd plan: sent for
approval, approved or sent back for rework, with who, when, the motivation, the role the
decision was made in, how many åtgärder the plan had, and whether the approver also sent
the plan. The role that approves is the organisation setting
``deviation.action_approval_role`` (default enhetschef; "none" switches approval off),
which needs no row: a setting that is not stored answers its default.

Revision ID: 1130
Revises: 1120
Create Date: 2026-12-08 01:40:00

"""
from alembic import op
import sqlalchemy as sa

revision = '1130'
down_revision = '1120'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'action_plan_review',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('event', sa.String(length=12), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('role', sa.String(length=20), nullable=True),
        sa.Column('action_count', sa.Integer(), nullable=False),
        sa.Column('motivation', sa.Text(), nullable=True),
        sa.Column('own_plan', sa.Boolean(), nullable=False),
        sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "event IN ('submitted', 'approved', 'returned')",
            name=op.f('ck_action_plan_review_event'),
        ),
        sa.ForeignKeyConstraint(
            ['case_id'], ['case_record.id'],
            name=op.f('fk_action_plan_review_case_id_case_record'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['actor_id'], ['user_account.id'],
            name=op.f('fk_action_plan_review_actor_id_user_account'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_action_plan_review')),
    )  # fmt: skip
    op.create_index(
        op.f('ix_action_plan_review_case_id'), 'action_plan_review', ['case_id'], unique=False
    )


def downgrade():
    op.drop_index(op.f('ix_action_plan_review_case_id'), table_name='action_plan_review')
    op.drop_table('action_plan_review')
