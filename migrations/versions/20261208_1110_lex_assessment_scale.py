"""the lex Sarah / lex Maria ställningstagande on the regulations' five-level scale (issue 19)

``escalation.assessment`` holds the level as a code (NULL: no ställningstagande yet):
lex Sarah inget missförhållande / påtaglig risk för missförhållande / missförhållande /
påtaglig risk för ett allvarligt missförhållande / allvarligt missförhållande; lex Maria
ingen vårdskada / risk för vårdskada / vårdskada / risk för allvarlig vårdskada /
allvarlig vårdskada. The three answers recorded before (is_confirmed, is_risk,
is_serious) stay as they were and are kept in step with the level from now on; existing
ställningstaganden are brought over by the rule below (a missförhållande that was also
marked as a risk counts as the missförhållande itself).

Revision ID: 1110
Revises: 1100
Create Date: 2026-12-08 01:40:00

"""
from alembic import op
import sqlalchemy as sa

revision = '1110'
down_revision = '1100'
branch_labels = None
depends_on = None

# track -> the level for (confirmed, risk, serious) answers, tried in this order.
_LEVELS = {
    'lex_sarah': (
        'allvarligt_missforhallande', 'missforhallande', 'risk_allvarligt_missforhallande',
        'risk_missforhallande', 'inget_missforhallande',
    ),
    'lex_maria': (
        'allvarlig_vardskada', 'vardskada', 'risk_allvarlig_vardskada', 'risk_vardskada',
        'ingen_vardskada',
    ),
}


def upgrade():
    op.add_column('escalation', sa.Column('assessment', sa.String(40), nullable=True))
    escalation = sa.table(
        'escalation',
        sa.column('track', sa.String),
        sa.column('is_confirmed', sa.Boolean),
        sa.column('is_risk', sa.Boolean),
        sa.column('is_serious', sa.Boolean),
        sa.column('assessment', sa.String),
    )
    confirmed = sa.func.coalesce(escalation.c.is_confirmed, sa.false()) == sa.true()
    risk = sa.func.coalesce(escalation.c.is_risk, sa.false()) == sa.true()
    serious = sa.func.coalesce(escalation.c.is_serious, sa.false()) == sa.true()
    for track, (worst, confirmed_level, serious_risk, plain_risk, none) in _LEVELS.items():
        # Only tracks with a ställningstagande (is_serious is set with it).
        mine = sa.and_(escalation.c.track == track, escalation.c.is_serious.isnot(None))
        for condition, level in (
            (sa.and_(confirmed, serious), worst),
            (sa.and_(confirmed, sa.not_(serious)), confirmed_level),
            (sa.and_(sa.not_(confirmed), risk, serious), serious_risk),
            (sa.and_(sa.not_(confirmed), risk, sa.not_(serious)), plain_risk),
            (sa.and_(sa.not_(confirmed), sa.not_(risk)), none),
        ):
            op.execute(escalation.update().where(mine, condition).values(assessment=level))


def downgrade():
    with op.batch_alter_table('escalation') as batch:
        batch.drop_column('assessment')
