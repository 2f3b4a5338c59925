"""a version token for the org tree, kept by triggers; the report index covers on SQLite

1. ``org_tree_version``: one row whose token the database replaces on every insert, update
   or delete on ``org_unit`` (and on PostgreSQL on TRUNCATE), in the writing transaction.
   Processes cache the tree under the token they read and reload it when it changes
   (casetrack/org_tree.py): at 1,000,000 cases over 1,650 units, reading and walking the
   tree was about a third of a quality lead's list page (docs/BENCHMARKS.md).
2. ``ix_case_record_unit_received`` carries the report's per-case facts as trailing key
   columns instead of PostgreSQL's INCLUDE, so SQLite (which has no INCLUDE, and keeps the
   row id in every index) can also answer the report and a unit's list from the index
   alone; and the status, so that a unit's open cases are found in the index too. The
   leading columns are unchanged, so PostgreSQL plans the same.

Revision ID: 0980
Revises: 0970
Create Date: 2026-11-24 03:40:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0980'
down_revision = '0970'
branch_labels = None
depends_on = None

NEW_TOKEN = {
    "postgresql": "gen_random_uuid()::text",
    "sqlite": "lower(hex(randomblob(16)))",
}
# An upsert: the row is recreated if it was emptied (a TRUNCATE of both tables).
BUMP = ("INSERT INTO org_tree_version (id, token) VALUES (1, {token}) "
        "ON CONFLICT (id) DO UPDATE SET token = excluded.token")  # fmt: skip

REPORT_KEYS = ['org_unit_id', 'received_on', 'kind_code', 'source_code']
FACTS = ['ia_reported_on', 'has_feedback', 'has_done_action', 'category_codes']
LIST = ['status_code']


def _report_index(columns, include):
    op.drop_index('ix_case_record_unit_received', table_name='case_record')
    op.create_index(
        'ix_case_record_unit_received', 'case_record', columns, unique=False,
        postgresql_include=include,
    )


def upgrade():
    dialect = op.get_bind().dialect.name
    op.create_table(
        'org_tree_version',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_org_tree_version')),
    )
    bump = BUMP.format(token=NEW_TOKEN[dialect])
    op.execute(bump)
    if dialect == "postgresql":
        op.execute(f"""
            CREATE FUNCTION org_tree_version_bump() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                {bump};
                RETURN NULL;
            END $$
        """)
        op.execute(
            "CREATE TRIGGER org_unit_tree_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            "ON org_unit FOR EACH STATEMENT EXECUTE FUNCTION org_tree_version_bump()"
        )
    else:
        for op_name in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER org_unit_tree_version_{op_name.lower()} AFTER {op_name} "
                f"ON org_unit FOR EACH ROW BEGIN {bump}; END"
            )
    _report_index(REPORT_KEYS + FACTS + LIST, include=['id'])


def downgrade():
    dialect = op.get_bind().dialect.name
    _report_index(REPORT_KEYS, include=['id'] + FACTS)
    if dialect == "postgresql":
        op.execute("DROP TRIGGER org_unit_tree_version ON org_unit")
        op.execute("DROP FUNCTION org_tree_version_bump()")
    else:
        for op_name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER org_unit_tree_version_{op_name}")
    op.drop_table('org_tree_version')
