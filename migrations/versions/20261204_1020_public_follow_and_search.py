"""follow grants and saved searches on the server; internal notes in a search text of their own

Issue 16:
- "Följ ditt ärende" kept its grant (the case id) and the case list kept its search words
  in the signed session cookie: a copied cookie still worked after "Sluta följa", and the
  words were readable in it. ``follow_grant`` and ``saved_search`` hold them now; the
  cookie holds only random ids.
- Search found words in internal notes that kvalitetsansvarig, MAS, SAS and a medarbetare
  on their own avvikelse cannot read on the case page. The internal notes move from
  ``case_search.document`` to ``case_search.internal_document``, searched only for those
  who handle the case's unit: a stored tsvector with a GIN index on PostgreSQL, a second
  FTS5 table kept by triggers on SQLite. Existing cases with notes are rebuilt.

Revision ID: 1020
Revises: 1010
Create Date: 2026-12-04 03:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '1020'
down_revision = '1010'
branch_labels = None
depends_on = None


def _notes(kind: str, postgresql: bool) -> str:
    aggregate = "string_agg(n.body, chr(10) ORDER BY n.id)" if postgresql else (
        "group_concat(n.body, char(10))"
    )
    return f"(SELECT {aggregate} FROM case_note n WHERE n.case_id = c.id AND n.kind = '{kind}')"


def upgrade():
    op.create_table(
        'follow_grant',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['case_id'], ['case_record.id'],
            name=op.f('fk_follow_grant_case_id_case_record'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_grant')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_follow_grant_token_hash')),
    )
    op.create_index(op.f('ix_follow_grant_case_id'), 'follow_grant', ['case_id'])
    op.create_index(op.f('ix_follow_grant_expires_at'), 'follow_grant', ['expires_at'])
    op.create_table(
        'saved_search',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('owner_hash', sa.String(length=64), nullable=False),
        sa.Column('key', sa.String(length=32), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'], ['user_account.id'],
            name=op.f('fk_saved_search_user_id_user_account'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_search')),
        sa.UniqueConstraint('owner_hash', 'key', name=op.f('uq_saved_search_owner_hash_key')),
    )
    op.create_index(op.f('ix_saved_search_user_id'), 'saved_search', ['user_id'])
    op.create_index(op.f('ix_saved_search_expires_at'), 'saved_search', ['expires_at'])

    postgresql = op.get_bind().dialect.name == "postgresql"
    op.add_column(
        'case_search',
        sa.Column('internal_document', sa.Text(), nullable=False, server_default=''),
    )
    if postgresql:
        op.execute(
            "ALTER TABLE case_search ADD COLUMN case_search_fts_internal_vector tsvector "
            "GENERATED ALWAYS AS (to_tsvector('swedish', internal_document)) STORED"
        )
        op.execute(
            "CREATE INDEX ix_case_search_document_fts_internal ON case_search "
            "USING gin (case_search_fts_internal_vector)"
        )
    else:
        op.execute(
            "CREATE VIRTUAL TABLE case_search_fts_internal USING fts5("
            "internal_document, content='case_search', content_rowid='case_id', "
            "tokenize='unicode61 remove_diacritics 0')"
        )
    # Only cases with notes change: the rest already hold exactly their readers' text.
    # (The existing SQLite trigger re-indexes ``document`` in case_search_fts.)
    shared_parts = " || char(10) || ".join(
        f"coalesce({part}, '')"
        for part in (
            "c.title", "c.description", "c.immediate_action", "c.category_other_note",
            _notes("submitter", postgresql),
        )
    )
    if postgresql:
        shared_parts = shared_parts.replace("char(10)", "chr(10)")
    op.execute(
        "UPDATE case_search SET "
        f"document = (SELECT {shared_parts} FROM case_record c "
        "WHERE c.id = case_search.case_id), "
        f"internal_document = coalesce((SELECT {_notes('internal', postgresql)} "
        "FROM case_record c WHERE c.id = case_search.case_id), '') "
        "WHERE case_id IN (SELECT case_id FROM case_note)"
    )
    if not postgresql:
        op.execute(
            "INSERT INTO case_search_fts_internal(case_search_fts_internal) VALUES ('rebuild')"
        )
        op.execute(
            "CREATE TRIGGER case_search_fts_internal_insert AFTER INSERT ON case_search BEGIN "
            "INSERT INTO case_search_fts_internal(rowid, internal_document) "
            "VALUES (new.case_id, new.internal_document); END"
        )
        op.execute(
            "CREATE TRIGGER case_search_fts_internal_delete AFTER DELETE ON case_search BEGIN "
            "INSERT INTO case_search_fts_internal(case_search_fts_internal, rowid, "
            "internal_document) VALUES ('delete', old.case_id, old.internal_document); END"
        )
        op.execute(
            "CREATE TRIGGER case_search_fts_internal_update AFTER UPDATE ON case_search BEGIN "
            "INSERT INTO case_search_fts_internal(case_search_fts_internal, rowid, "
            "internal_document) VALUES ('delete', old.case_id, old.internal_document); "
            "INSERT INTO case_search_fts_internal(rowid, internal_document) "
            "VALUES (new.case_id, new.internal_document); END"
        )


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("DROP INDEX ix_case_search_document_fts_internal")
        op.execute("ALTER TABLE case_search DROP COLUMN case_search_fts_internal_vector")
    else:
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS case_search_fts_internal_{trigger}")
        op.execute("DROP TABLE IF EXISTS case_search_fts_internal")
    newline = "chr(10)" if postgresql else "char(10)"
    op.execute(
        f"UPDATE case_search SET document = document || {newline} || internal_document "
        "WHERE internal_document <> ''"
    )
    # A plain ALTER TABLE (SQLite >= 3.35): a batch copy would drop the 0002 triggers.
    op.drop_column('case_search', 'internal_document')
    op.drop_index(op.f('ix_saved_search_expires_at'), table_name='saved_search')
    op.drop_index(op.f('ix_saved_search_user_id'), table_name='saved_search')
    op.drop_table('saved_search')
    op.drop_index(op.f('ix_follow_grant_expires_at'), table_name='follow_grant')
    op.drop_index(op.f('ix_follow_grant_case_id'), table_name='follow_grant')
    op.drop_table('follow_grant')
