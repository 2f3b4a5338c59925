"""avvikelser classified by lagrum and händelsetyp, with harm and consequence (issue 19)

``event_type`` is the händelsetyp tree (reference data: stable codes, labels, descriptions
and examples an administrator edits), seeded with the HSL and SoL/LSS lists below.
``deviation_classification`` holds, per avvikelse, lagrum (hsl/sol/lss), händelsetyp,
harm, the risk assessment (sannolikhet and konsekvens, 1–4 each) and the consequence for
the brukare, and a keyed pseudonym of the brukare's personnummer (never the number) that
links avvikelser about the same person. Existing avvikelser get no row: their lagrum and
händelsetyp are "ej angivet" until a handler classifies them, and the report flags them.
A table of its own rather than columns on ``case_record``: adding a foreign key to
``case_record`` on SQLite would rebuild that table and drop its report triggers.

Revision ID: 1100
Revises: 1060
Create Date: 2026-12-07 22:20:00

"""
from alembic import op
import sqlalchemy as sa

revision = '1100'
down_revision = '1060'
branch_labels = None
depends_on = None

# The lists as they stood when this migration was written (copied, not imported, so that
# later edits to casetrack.domain.deviations do not change history).
# (code, label, lagrum_group, parent_code, sort_order, description, example)
EVENT_TYPES = [
    ('fall', 'Fall', 'hsl', None, 10,
     'Brukaren har fallit, glidit ner eller hittats på golvet, med eller utan skada.',
     'Brukaren hittades sittande på golvet i badrummet vid morgonbesöket.'),
    ('lakemedel', 'Läkemedel', 'hsl', None, 20,
     'Något gick fel med läkemedel. Välj helst vad som hände nedan.',
     'Läkemedel gavs inte kl. 08 hos brukaren.'),
    ('lakemedel_utebliven_dos', 'Läkemedel: utebliven dos', 'hsl', 'lakemedel', 21,
     'En dos gavs inte alls.',
     'Kvällsdosen låg kvar i dosetten vid nattbesöket.'),
    ('lakemedel_fel_dos', 'Läkemedel: fel dos', 'hsl', 'lakemedel', 22,
     'Brukaren fick för mycket eller för lite av ett läkemedel.',
     'Två tabletter Alvedon gavs i stället för en.'),
    ('lakemedel_fel_lakemedel', 'Läkemedel: fel läkemedel', 'hsl', 'lakemedel', 23,
     'Brukaren fick ett annat läkemedel än det ordinerade.',
     'Insulin av fel sort togs från kylskåpet.'),
    ('lakemedel_fel_person', 'Läkemedel: fel person', 'hsl', 'lakemedel', 24,
     'Läkemedel gavs till någon annan än den det var ordinerat till.',
     'Dosetten till rum 4 gavs till brukaren i rum 5.'),
    ('lakemedel_fel_tid', 'Läkemedel: fel tid', 'hsl', 'lakemedel', 25,
     'Läkemedlet gavs, men långt från ordinerad tid.',
     'Morgondosen gavs först kl. 12 på grund av sen ankomst.'),
    ('lakemedel_signering_saknas', 'Läkemedel: signering saknas', 'hsl', 'lakemedel', 26,
     'Det går inte att se om läkemedlet gavs, eftersom ingen signerade.',
     'Signeringslistan saknar signatur för lunchdosen i tisdags.'),
    ('trycksar', 'Trycksår', 'hsl', None, 30,
     'Ett trycksår har uppstått eller blivit värre.',
     'Rodnad som inte bleknar upptäcktes på hälen vid dusch.'),
    ('medicinteknisk_produkt', 'Medicinteknisk produkt', 'hsl', None, 40,
     'Ett hjälpmedel eller en medicinteknisk produkt fungerade inte eller användes fel.',
     'Taklyftens sele gick sönder vid förflyttning från säng till rullstol.'),
    ('informationsoverforing', 'Informationsöverföring/dokumentation', 'hsl', None, 50,
     'Viktig information kom inte fram eller dokumenterades inte.',
     'Sjuksköterskans ändrade ordination nådde inte kvällspersonalen.'),
    ('vardrelaterad_infektion', 'Vårdrelaterad infektion', 'hsl', None, 60,
     'En infektion som kan ha uppstått i samband med vård eller omsorg.',
     'Urinvägsinfektion efter byte av kateter utan rena handskar.'),
    ('delegering', 'Delegering', 'hsl', None, 70,
     'En hälso- och sjukvårdsuppgift utfördes utan giltig delegering.',
     'En vikarie utan delegering gav insulin.'),
    ('hsl_annat', 'Annan händelse i vården', 'hsl', None, 90,
     'Något annat som rör hälso- och sjukvården.',
     'Provsvar kom bort mellan boendet och vårdcentralen.'),
    ('insats_utebliven', 'Utebliven eller försenad insats', 'sol_lss', None, 10,
     'En beviljad insats blev inte av eller kom mycket sent.',
     'Ingen kom till lunchbesöket, brukaren fick ingen mat.'),
    ('brister_omvardnad', 'Brister i omvårdnad', 'sol_lss', None, 20,
     'Omvårdnaden höll inte den nivå brukaren har rätt till.',
     'Brukaren hade inte fått byta inkontinensskydd under natten.'),
    ('bemotande', 'Bemötande', 'sol_lss', None, 30,
     'Brukaren bemöttes på ett sätt som inte är respektfullt.',
     'En medarbetare höjde rösten och skällde på brukaren.'),
    ('hot_vald', 'Hot och våld', 'sol_lss', None, 40,
     'Hot eller våld mot en brukare, mellan brukare eller från en brukare.',
     'En boende slog en annan boende i dagrummet.'),
    ('overgrepp_krankning', 'Övergrepp eller kränkning', 'sol_lss', None, 50,
     'Övergrepp, kränkning, stöld eller ekonomiskt utnyttjande av en brukare.',
     'Pengar saknas i brukarens plånbok efter besöket.'),
    ('forsvunnen_brukare', 'Försvunnen brukare', 'sol_lss', None, 60,
     'En brukare har lämnat boendet eller verksamheten och inte kunnat hittas direkt.',
     'Brukaren saknades vid kvällsmaten och hittades av polisen vid tunnelbanan.'),
    ('brand_sakerhet', 'Brand och säkerhet', 'sol_lss', None, 70,
     'Brand, brandrisk, larm som inte fungerar eller annan säkerhetsrisk.',
     'Spisen stod på när personalen kom, köket var fullt av rök.'),
    ('sol_annat', 'Annan händelse', 'sol_lss', None, 90,
     'Något annat som inte blev som det skulle för brukaren.',
     'Brukarens nycklar kom bort vid överlämningen mellan arbetslagen.'),
]


def upgrade():
    op.create_table(
        'event_type',
        sa.Column('lagrum_group', sa.String(length=10), nullable=False),
        sa.Column('parent_code', sa.String(length=40), nullable=True),
        sa.Column('description', sa.String(length=300), nullable=False),
        sa.Column('example', sa.String(length=300), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('label', sa.String(length=200), nullable=False),
        sa.Column('sort_order', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
        sa.CheckConstraint("lagrum_group IN ('hsl', 'sol_lss')", name=op.f('ck_event_type_group')),
        sa.ForeignKeyConstraint(
            ['parent_code'], ['event_type.code'], name=op.f('fk_event_type_parent_code_event_type'),
        ),
        sa.PrimaryKeyConstraint('code', name=op.f('pk_event_type')),
    )  # fmt: skip
    op.create_table(
        'deviation_classification',
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('lagrum', sa.String(length=3), nullable=True),
        sa.Column('event_type_code', sa.String(length=40), nullable=True),
        sa.Column('harm', sa.String(length=12), nullable=True),
        sa.Column('probability', sa.Integer(), nullable=True),
        sa.Column('consequence_level', sa.Integer(), nullable=True),
        sa.Column('person_key', sa.String(length=64), nullable=True),
        sa.Column('consequence', sa.Text(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("lagrum IN ('hsl', 'sol', 'lss')", name=op.f('ck_deviation_classification_lagrum')),
        sa.CheckConstraint(
            "harm IN ('ingen', 'lindrig', 'mattlig', 'allvarlig', 'dodsfall')",
            name=op.f('ck_deviation_classification_harm'),
        ),
        sa.CheckConstraint(
            'probability BETWEEN 1 AND 4', name=op.f('ck_deviation_classification_probability'),
        ),
        sa.CheckConstraint(
            'consequence_level BETWEEN 1 AND 4',
            name=op.f('ck_deviation_classification_consequence_level'),
        ),
        sa.ForeignKeyConstraint(
            ['case_id'], ['case_record.id'],
            name=op.f('fk_deviation_classification_case_id_case_record'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['event_type_code'], ['event_type.code'],
            name=op.f('fk_deviation_classification_event_type_code_event_type'),
        ),
        sa.PrimaryKeyConstraint('case_id', name=op.f('pk_deviation_classification')),
    )  # fmt: skip
    op.create_index(
        op.f('ix_deviation_classification_event_type_code'), 'deviation_classification',
        ['event_type_code'], unique=False,
    )  # fmt: skip
    op.create_index(
        op.f('ix_deviation_classification_person_key'), 'deviation_classification',
        ['person_key'], unique=False,
    )  # fmt: skip
    table = sa.table(
        'event_type',
        sa.column('code', sa.String), sa.column('label', sa.String),
        sa.column('lagrum_group', sa.String), sa.column('parent_code', sa.String),
        sa.column('sort_order', sa.Integer), sa.column('active', sa.Boolean),
        sa.column('description', sa.String), sa.column('example', sa.String),
    )  # fmt: skip
    # Parents first (the foreign key to the parent is checked row by row).
    rows = sorted(EVENT_TYPES, key=lambda row: row[3] is not None)
    op.bulk_insert(table, [
        dict(code=code, label=label, lagrum_group=group, parent_code=parent,
             sort_order=order, active=True, description=description, example=example)
        for code, label, group, parent, order, description, example in rows
    ])  # fmt: skip


def downgrade():
    op.drop_index(
        op.f('ix_deviation_classification_person_key'), table_name='deviation_classification'
    )
    op.drop_index(
        op.f('ix_deviation_classification_event_type_code'), table_name='deviation_classification'
    )
    op.drop_table('deviation_classification')
    op.drop_table('event_type')
