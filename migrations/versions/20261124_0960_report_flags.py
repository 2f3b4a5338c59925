"""the report's per-case facts on the case row, kept by database triggers

Measured at 1,000,000 cases (docs/BENCHMARKS.md): one enhet's tertial report spent most of
its time asking, for each of its ~1,300 cases, whether the case has återkoppling, a done
åtgärd and any category - three index probes per case in three tables, ~4,500 probes per
report. The case row now carries the answers:

- ``has_feedback``: the case has at least one återkoppling;
- ``has_done_action``: at least one åtgärd has a done date;
- ``category_codes``: the case's category codes joined by commas ('' for none; the order
  is not significant).

They are kept by triggers on feedback, case_action and case_category (insert, update and
delete), in the same transaction as the write that changes them, whatever code path makes
the write. The report's statements read them; the drill-down lists still ask the child
tables, and a test checks that both give the same numbers. On PostgreSQL the report index
also carries them, so the report reads that index only.

Revision ID: 0960
Revises: 0950
Create Date: 2026-11-24 01:20:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0960'
down_revision = '0950'
branch_labels = None
depends_on = None

# (child table, case_record column, the value computed from the child table). The
# expressions refer to the case row as case_record (an UPDATE without an alias).
FLAGS = (
    ("feedback", "has_feedback",
     "EXISTS (SELECT 1 FROM feedback f WHERE f.case_id = case_record.id)"),
    ("case_action", "has_done_action",
     "EXISTS (SELECT 1 FROM case_action a "
     "WHERE a.case_id = case_record.id AND a.done_on IS NOT NULL)"),
    ("case_category", "category_codes", {
        "postgresql": "COALESCE((SELECT string_agg(x.category_code, ',' ORDER BY x.category_code) "
                      "FROM case_category x WHERE x.case_id = case_record.id), '')",
        "sqlite": "COALESCE((SELECT group_concat(x.category_code, ',') "
                  "FROM case_category x WHERE x.case_id = case_record.id), '')",
    }),
)  # fmt: skip

REPORT_INDEX = ['org_unit_id', 'received_on', 'kind_code', 'source_code']


def _expression(value, dialect: str) -> str:
    return value[dialect] if isinstance(value, dict) else value


def _refresh(column: str, expression: str, case_id: str) -> str:
    """Set ``column`` of one case, writing only when the value changes."""
    return (
        f"UPDATE case_record SET {column} = {expression} "
        f"WHERE case_record.id = {case_id} AND {column} IS DISTINCT FROM {expression}"
    )


def upgrade():
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table('case_record') as batch_op:
        batch_op.add_column(sa.Column('has_feedback', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('has_done_action', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('category_codes', sa.Text(), nullable=False,
                                      server_default=''))
    sets = ", ".join(f"{column} = {_expression(value, dialect)}" for _, column, value in FLAGS)
    op.execute(f"UPDATE case_record SET {sets}")
    for table, column, value in FLAGS:
        expression = _expression(value, dialect)
        if dialect == "postgresql":
            op.execute(f"""
                CREATE FUNCTION case_record_{column}_refresh() RETURNS trigger
                LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP <> 'DELETE' THEN
                        {_refresh(column, expression, 'NEW.case_id')};
                    END IF;
                    IF TG_OP <> 'INSERT' THEN
                        {_refresh(column, expression, 'OLD.case_id')};
                    END IF;
                    RETURN NULL;
                END $$
            """)
            op.execute(
                f"CREATE TRIGGER {table}_{column} AFTER INSERT OR UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION case_record_{column}_refresh()"
            )
        else:
            sqlite_refresh = _refresh(column, expression, "{row}.case_id").replace(
                "IS DISTINCT FROM", "IS NOT"
            )
            for op_name, rows in (("INSERT", ("NEW",)), ("DELETE", ("OLD",)),
                                  ("UPDATE", ("NEW", "OLD"))):  # fmt: skip
                body = " ".join(sqlite_refresh.format(row=row) + ";" for row in rows)
                op.execute(
                    f"CREATE TRIGGER {table}_{column}_{op_name.lower()} AFTER {op_name} "
                    f"ON {table} FOR EACH ROW BEGIN {body} END"
                )
    if dialect == "postgresql":
        op.drop_index('ix_case_record_unit_received', table_name='case_record')
        op.create_index(
            'ix_case_record_unit_received', 'case_record', REPORT_INDEX, unique=False,
            postgresql_include=['id', 'ia_reported_on', 'has_feedback', 'has_done_action',
                                'category_codes'],
        )  # fmt: skip


def downgrade():
    dialect = op.get_bind().dialect.name
    for table, column, _ in FLAGS:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER {table}_{column} ON {table}")
            op.execute(f"DROP FUNCTION case_record_{column}_refresh()")
        else:
            for op_name in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER {table}_{column}_{op_name}")
    if dialect == "postgresql":
        op.drop_index('ix_case_record_unit_received', table_name='case_record')
        op.create_index(
            'ix_case_record_unit_received', 'case_record', REPORT_INDEX, unique=False,
            postgresql_include=['id', 'ia_reported_on'],
        )
    with op.batch_alter_table('case_record') as batch_op:
        batch_op.drop_column('category_codes')
        batch_op.drop_column('has_done_action')
        batch_op.drop_column('has_feedback')
