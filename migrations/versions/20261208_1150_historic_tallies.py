"""historic tertial tallies (issue 22): figures imported from the units' Excel tables

A ``historic_tally`` row is one figure of "Redovisning av synpunkter och klagomål" kept
before casetrack: a unit, a year, a tertial, a report row and the count, with where it
came from (sheet and cell, file name and SHA-256) and who imported it when.

Revision ID: 1150
Revises: 1140
Create Date: 2026-12-08 02:20:00

"""
from alembic import op
import sqlalchemy as sa

revision = '1150'
down_revision = '1140'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('historic_tally',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_unit_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('tertial', sa.Integer(), nullable=False),
        sa.Column('row_key', sa.String(length=60), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.Column('source_cell', sa.String(length=80), nullable=False),
        sa.Column('source_name', sa.String(length=255), nullable=False),
        sa.Column('source_sha256', sa.String(length=64), nullable=False),
        sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('imported_by', sa.String(length=120), nullable=False),
        sa.CheckConstraint('tertial IN (1, 2, 3)', name=op.f('ck_historic_tally_tertial')),
        sa.CheckConstraint('value >= 0', name=op.f('ck_historic_tally_value')),
        sa.ForeignKeyConstraint(['org_unit_id'], ['org_unit.id'], name=op.f('fk_historic_tally_org_unit_id_org_unit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_historic_tally')),
        sa.UniqueConstraint('org_unit_id', 'year', 'tertial', 'row_key', name=op.f('uq_historic_tally_org_unit_id_year_tertial_row_key')),
    )


def downgrade():
    op.drop_table('historic_tally')
