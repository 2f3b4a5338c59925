"""receipt grants for the public form's receipt page (issue 20)

Reloading the receipt page after the public form submitted it again and created a second
case with a new kvittenskod. The form now answers with a redirect to the receipt page
(POST/redirect/GET); ``receipt_grant`` carries the receipt from the POST to that page:
the SHA-256 of the random token in the session cookie, the case, the code sealed with a
key derived from the secret key until the page has shown it once, and a digest of
(browser, submission) that recognises the same submission sent again within ten minutes.

Revision ID: 1060
Revises: 1050
Create Date: 2026-12-07 22:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '1060'
down_revision = '1050'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'receipt_grant',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('submission_hash', sa.String(length=64), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.Column('sealed_code', sa.LargeBinary(), nullable=True),
        sa.Column('emailed', sa.Boolean(), nullable=False),
        sa.Column('repeated', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['case_id'], ['case_record.id'],
            name=op.f('fk_receipt_grant_case_id_case_record'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_receipt_grant')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_receipt_grant_token_hash')),
        sa.UniqueConstraint('submission_hash', name=op.f('uq_receipt_grant_submission_hash')),
    )
    op.create_index(op.f('ix_receipt_grant_case_id'), 'receipt_grant', ['case_id'])
    op.create_index(op.f('ix_receipt_grant_expires_at'), 'receipt_grant', ['expires_at'])


def downgrade():
    op.drop_index(op.f('ix_receipt_grant_expires_at'), table_name='receipt_grant')
    op.drop_index(op.f('ix_receipt_grant_case_id'), table_name='receipt_grant')
    op.drop_table('receipt_grant')
