"""Migration 1110 brings existing ställningstaganden over to the five-level scale."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import upgrade

from casetrack import create_app
from casetrack.extensions import db

# (track, is_confirmed, is_risk, is_serious) as recorded before the scale -> the level.
RECORDED = [
    ("lex_sarah", True, False, True, "allvarligt_missforhallande"),
    ("lex_sarah", True, True, False, "missforhallande"),  # the missförhållande itself
    ("lex_sarah", False, True, True, "risk_allvarligt_missforhallande"),
    ("lex_sarah", False, True, False, "risk_missforhallande"),
    ("lex_sarah", False, False, False, "inget_missforhallande"),
    ("lex_sarah", None, None, None, None),  # no ställningstagande yet
    ("lex_maria", True, False, True, "allvarlig_vardskada"),
    ("lex_maria", True, False, False, "vardskada"),
    ("lex_maria", False, True, True, "risk_allvarlig_vardskada"),
    ("lex_maria", False, True, False, "risk_vardskada"),
    ("lex_maria", False, False, False, "ingen_vardskada"),
    ("lex_maria", None, None, None, None),
]


def test_existing_stallningstaganden_get_their_level(empty_database_url):
    app = create_app({"ENV": "testing", "DATABASE_URL": empty_database_url})
    with app.app_context():
        upgrade(revision="1100")
        db.session.execute(
            sa.text(
                "INSERT INTO org_unit (id, code, name, level, active) "
                "VALUES (1, 'A', 'Enhet A', 'enhet', true)"
            )
        )
        for number, (track, confirmed, risk, serious, _level) in enumerate(RECORDED, start=1):
            db.session.execute(
                sa.text(
                    "INSERT INTO case_record (id, reference, kind_code, org_unit_id, "
                    "received_on, title, description, is_anonymous, wants_feedback, "
                    "status_code, created_at, updated_at, version) VALUES (:id, :ref, "
                    "'deviation', 1, '2026-01-02', 'Fall', 'Föll i badrummet', false, false, "
                    "'registrerad', '2026-01-02 10:00:00+00', '2026-01-02 10:00:00+00', 1)"
                ),
                {"id": number, "ref": f"AV-2026-{number:05d}"},
            )
            db.session.execute(
                sa.text(
                    "INSERT INTO escalation (id, case_id, track, reported_on, reporter_name, "
                    "is_confirmed, is_risk, is_serious, created_at) VALUES (:id, :id, :track, "
                    "'2026-01-02', 'Rapportör', :confirmed, :risk, :serious, "
                    "'2026-01-02 10:00:00+00')"
                ),
                {"id": number, "track": track, "confirmed": confirmed, "risk": risk,
                 "serious": serious},
            )  # fmt: skip
        db.session.commit()
        upgrade(revision="1110")
        levels = db.session.execute(
            sa.text("SELECT id, assessment, is_serious FROM escalation ORDER BY id")
        ).all()
        assert [level for _, level, _ in levels] == [row[4] for row in RECORDED]
        # The answers recorded before stay as they were.
        assert [serious for _, _, serious in levels] == [row[3] for row in RECORDED]
        db.session.remove()
        db.engine.dispose()
