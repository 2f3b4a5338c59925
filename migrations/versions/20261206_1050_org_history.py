"""the org tree keeps its history (issue 18): unit periods, closing date

``org_unit_period`` holds where each unit sat in the tree (its parent) and its name, per
validity period [valid_from, valid_to); reports for a past tertial use the tree of that
time. Every unit gets one open period from "before history was kept" (valid_from NULL)
with its parent and name of today. Writes to it bump the org tree's version token, as
writes to ``org_unit`` do (migration 0980), so the cached history is reloaded.
``org_unit.closed_on`` is the day a unit was closed (units with cases are never deleted).

Revision ID: 1050
Revises: 1040
Create Date: 2026-12-06 22:30:00

"""
from alembic import op
import sqlalchemy as sa

revision = '1050'
down_revision = '1040'
branch_labels = None
depends_on = None

NEW_TOKEN = {
    "postgresql": "gen_random_uuid()::text",
    "sqlite": "lower(hex(randomblob(16)))",
}
BUMP = ("INSERT INTO org_tree_version (id, token) VALUES (1, {token}) "
        "ON CONFLICT (id) DO UPDATE SET token = excluded.token")  # fmt: skip


def upgrade():
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table('org_unit') as batch:
        batch.add_column(sa.Column('closed_on', sa.Date(), nullable=True))
    op.create_table(
        'org_unit_period',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_unit_id', sa.Integer(), nullable=False),
        sa.Column('parent_id', sa.Integer(), nullable=True),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('valid_from', sa.Date(), nullable=True),
        sa.Column('valid_to', sa.Date(), nullable=True),
        sa.CheckConstraint(
            'valid_from IS NULL OR valid_to IS NULL OR valid_from < valid_to',
            name=op.f('ck_org_unit_period_order'),
        ),
        sa.ForeignKeyConstraint(
            ['org_unit_id'], ['org_unit.id'],
            name=op.f('fk_org_unit_period_org_unit_id_org_unit'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['parent_id'], ['org_unit.id'], name=op.f('fk_org_unit_period_parent_id_org_unit'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_org_unit_period')),
    )  # fmt: skip
    op.create_index(
        'ix_org_unit_period_unit_from', 'org_unit_period', ['org_unit_id', 'valid_from'],
        unique=False,
    )  # fmt: skip
    op.create_index(
        op.f('ix_org_unit_period_parent_id'), 'org_unit_period', ['parent_id'], unique=False
    )
    op.execute(
        "INSERT INTO org_unit_period (org_unit_id, parent_id, name, valid_from, valid_to) "
        "SELECT id, parent_id, name, NULL, NULL FROM org_unit"
    )
    bump = BUMP.format(token=NEW_TOKEN[dialect])
    if dialect == "postgresql":
        # The function of migration 0980.
        op.execute(
            "CREATE TRIGGER org_unit_period_tree_version AFTER INSERT OR UPDATE OR DELETE OR "
            "TRUNCATE ON org_unit_period FOR EACH STATEMENT EXECUTE FUNCTION "
            "org_tree_version_bump()"
        )
    else:
        for op_name in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER org_unit_period_tree_version_{op_name.lower()} AFTER {op_name} "
                f"ON org_unit_period FOR EACH ROW BEGIN {bump}; END"
            )
    op.execute(bump)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER org_unit_period_tree_version ON org_unit_period")
    else:
        for op_name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER org_unit_period_tree_version_{op_name}")
    op.drop_index(op.f('ix_org_unit_period_parent_id'), table_name='org_unit_period')
    op.drop_index('ix_org_unit_period_unit_from', table_name='org_unit_period')
    op.drop_table('org_unit_period')
    # Not in a batch: on SQLite a batch would recreate org_unit and drop its triggers.
    op.drop_column('org_unit', 'closed_on')
