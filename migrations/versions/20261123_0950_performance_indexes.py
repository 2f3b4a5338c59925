"""performance at city scale: open åtgärder, a stored tsvector for search

Measured at 1,000,000 cases (docs/BENCHMARKS.md):
- "Mina ärenden" looked for open åtgärder with an EXISTS per case of the handler's units,
  reading every case of ten years. A partial index holds only åtgärder not done or without
  an effect follow-up.
- PostgreSQL full-text search computed to_tsvector('swedish', document) again for every
  row it checked (the GIN index was on the expression, so every recheck and every
  case-by-case probe parsed and stemmed the text). The vector is now a stored generated
  column, indexed by GIN; SQLite's FTS5 table is unchanged.
- The report's index (unit, received date, kind, source) also carries the case id and the
  IA date on PostgreSQL, so the report's statements read the index only (SQLite's indexes
  hold the rowid, which is the case id, already).

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
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index('ix_case_record_unit_received', table_name='case_record')
        op.create_index(
            'ix_case_record_unit_received', 'case_record',
            ['org_unit_id', 'received_on', 'kind_code', 'source_code'], unique=False,
            postgresql_include=['id', 'ia_reported_on'],
        )
        op.execute("DROP INDEX ix_case_search_document_fts")
        op.execute(
            "ALTER TABLE case_search ADD COLUMN case_search_fts_vector tsvector "
            "GENERATED ALWAYS AS (to_tsvector('swedish', document)) STORED"
        )
        op.execute(
            "CREATE INDEX ix_case_search_document_fts ON case_search "
            "USING gin (case_search_fts_vector)"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index('ix_case_record_unit_received', table_name='case_record')
        op.create_index(
            'ix_case_record_unit_received', 'case_record',
            ['org_unit_id', 'received_on', 'kind_code', 'source_code'], unique=False,
        )
        op.execute("DROP INDEX ix_case_search_document_fts")
        op.execute("ALTER TABLE case_search DROP COLUMN case_search_fts_vector")
        op.execute(
            "CREATE INDEX ix_case_search_document_fts ON case_search "
            "USING gin (to_tsvector('swedish', document))"
        )
    op.drop_index('ix_case_action_open', table_name='case_action')
