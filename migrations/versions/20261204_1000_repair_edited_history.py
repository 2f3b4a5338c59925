"""repair databases created while landed migrations were still being edited

Some migrations were changed after databases had been created with them (issue 16), so
those databases carry a revision stamp whose schema is not today's:

- created where 0910 was newest (0910 then revised 0800): stamped '0910' without ever
  running 0900 — no role_assignment.last_reviewed_at/_by_id, no role_review_due template;
- created where 0950 was newest and 0950 revised 0900: stamped '0950' without 0910 (no
  webauthn_credential, no user_account.webauthn_challenge_*, mfa_secret 64 characters);
- created at any 0950 before the stored tsvector was added: on PostgreSQL no
  case_search_fts_vector (search fails), the GIN index still on the expression;
- created at the first 0970: no ix_escalation_running;
- created at the first 0980: ix_case_record_unit_received without status_code.

Each repair checks the database first and does what the migration it stands in for did,
so a database that is already right is left as it is. The downgrade does nothing: what is
repaired belongs to the earlier revisions. tests/integration/test_migration_history.py
creates a database at every earlier state of migrations/versions and checks the result.

Revision ID: 1000
Revises: 0990
Create Date: 2026-12-04 03:20:00

"""
from datetime import datetime, timezone
import warnings

from alembic import op
import sqlalchemy as sa

revision = '1000'
down_revision = '0990'
branch_labels = None
depends_on = None

TEMPLATES = sa.table(
    'message_template',
    sa.column('code', sa.String),
    sa.column('name', sa.String),
    sa.column('subject', sa.String),
    sa.column('body', sa.Text),
    sa.column('updated_at', sa.DateTime(timezone=True)),
)
# As migration 0900 inserted it (copied, not imported: history does not change).
ROLE_REVIEW_TEMPLATE = {
    'code': 'role_review_due',
    'name': 'Påminnelse: behörighetsgranskning',
    'subject': 'Behörigheter att granska: {antal}',
    'body': 'Hej {mottagare}!\n\n{antal} behörigheter som du ansvarar för ska granskas nu. '
    'Bekräfta att de fortfarande behövs eller ta bort dem.\n\n{lank}\n',
}
RUNNING = "completed_on IS NULL"  # 0970
REPORT_INDEX = [  # 0980: report keys, the report's facts, the status
    'org_unit_id', 'received_on', 'kind_code', 'source_code',
    'ia_reported_on', 'has_feedback', 'has_done_action', 'category_codes', 'status_code',
]


def _inspector():
    return sa.inspect(op.get_bind())


def _columns(table):
    return {c['name']: c for c in _inspector().get_columns(table)}


def _indexes(table):
    with warnings.catch_warnings():  # SQLite cannot reflect expression indexes; not needed
        warnings.simplefilter('ignore', sa.exc.SAWarning)
        return {i['name']: i for i in _inspector().get_indexes(table)}


def _repair_role_review():  # 0900
    columns = _columns('role_assignment')
    keys = _inspector().get_foreign_keys('role_assignment')
    has_key = any(k['constrained_columns'] == ['last_reviewed_by_id'] for k in keys)
    if 'last_reviewed_at' not in columns or 'last_reviewed_by_id' not in columns or not has_key:
        with op.batch_alter_table('role_assignment', schema=None) as batch_op:
            if 'last_reviewed_at' not in columns:
                batch_op.add_column(
                    sa.Column('last_reviewed_at', sa.DateTime(timezone=True), nullable=True)
                )
            if 'last_reviewed_by_id' not in columns:
                batch_op.add_column(sa.Column('last_reviewed_by_id', sa.Integer(), nullable=True))
            if not has_key:
                batch_op.create_foreign_key(
                    batch_op.f('fk_role_assignment_last_reviewed_by_id_user_account'),
                    'user_account', ['last_reviewed_by_id'], ['id'],
                )
    present = op.get_bind().execute(
        sa.select(sa.func.count()).select_from(TEMPLATES)
        .where(TEMPLATES.c.code == ROLE_REVIEW_TEMPLATE['code'])
    ).scalar_one()
    if not present:
        op.bulk_insert(
            TEMPLATES, [{**ROLE_REVIEW_TEMPLATE, 'updated_at': datetime.now(timezone.utc)}]
        )


def _repair_webauthn():  # 0910
    if 'webauthn_credential' not in _inspector().get_table_names():
        op.create_table('webauthn_credential',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('credential_id', sa.LargeBinary(), nullable=False),
        sa.Column('public_key', sa.LargeBinary(), nullable=False),
        sa.Column('sign_count', sa.BigInteger(), nullable=False),
        sa.Column('transports', sa.String(length=200), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_webauthn_credential_user_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webauthn_credential')),
        sa.UniqueConstraint('credential_id', name=op.f('uq_webauthn_credential_credential_id'))
        )  # fmt: skip
    if 'ix_webauthn_credential_user_id' not in _indexes('webauthn_credential'):
        with op.batch_alter_table('webauthn_credential', schema=None) as batch_op:
            batch_op.create_index(
                batch_op.f('ix_webauthn_credential_user_id'), ['user_id'], unique=False
            )
    columns = _columns('user_account')
    secret_length = getattr(columns['mfa_secret']['type'], 'length', None)
    missing = [n for n in ('webauthn_challenge_hash', 'webauthn_challenge_at') if n not in columns]
    if missing or (secret_length is not None and secret_length < 255):
        with op.batch_alter_table('user_account', schema=None) as batch_op:
            if 'webauthn_challenge_hash' in missing:
                batch_op.add_column(
                    sa.Column('webauthn_challenge_hash', sa.String(length=64), nullable=True)
                )
            if 'webauthn_challenge_at' in missing:
                batch_op.add_column(
                    sa.Column('webauthn_challenge_at', sa.DateTime(timezone=True), nullable=True)
                )
            if secret_length is not None and secret_length < 255:
                batch_op.alter_column('mfa_secret',
                       existing_type=sa.VARCHAR(length=secret_length),
                       type_=sa.String(length=255),
                       existing_nullable=True)  # fmt: skip


def _repair_search_vector():  # 0950, PostgreSQL only
    if op.get_bind().dialect.name != 'postgresql':
        return
    if 'case_search_fts_vector' in _columns('case_search'):
        return
    op.execute("DROP INDEX IF EXISTS ix_case_search_document_fts")
    op.execute(
        "ALTER TABLE case_search ADD COLUMN case_search_fts_vector tsvector "
        "GENERATED ALWAYS AS (to_tsvector('swedish', document)) STORED"
    )
    op.execute(
        "CREATE INDEX ix_case_search_document_fts ON case_search "
        "USING gin (case_search_fts_vector)"
    )


def _repair_running_tracks():  # 0970
    if 'ix_escalation_running' not in _indexes('escalation'):
        op.create_index(
            'ix_escalation_running', 'escalation', ['id'], unique=False,
            postgresql_where=sa.text(RUNNING), sqlite_where=sa.text(RUNNING),
        )


def _repair_report_index():  # 0980
    index = _indexes('case_record').get('ix_case_record_unit_received')
    if index is not None and list(index['column_names']) == REPORT_INDEX:
        return
    if index is not None:
        op.drop_index('ix_case_record_unit_received', table_name='case_record')
    op.create_index(
        'ix_case_record_unit_received', 'case_record', REPORT_INDEX, unique=False,
        postgresql_include=['id'],
    )


def upgrade():
    _repair_role_review()
    _repair_webauthn()
    _repair_search_vector()
    _repair_running_tracks()
    _repair_report_index()


def downgrade():
    # What upgrade repaired belongs to revisions before 0990: keep it.
    pass
