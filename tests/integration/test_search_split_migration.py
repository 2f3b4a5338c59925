"""Migration 1020 moves the internal notes of existing cases out of the shared search text
(issue 16), on both databases, and both texts stay searchable."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from casetrack import create_app
from casetrack.extensions import db

ROWS = [
    "INSERT INTO org_unit (id, code, name, level, active) "
    "VALUES (1, 'A', 'Enhet A', 'enhet', true)",
    "INSERT INTO case_record (id, reference, kind_code, org_unit_id, received_on, "
    "title, description, is_anonymous, wants_feedback, status_code, created_at, "
    "updated_at, version) VALUES (1, 'AO-2026-00001', 'complaint', 1, "
    "'2026-01-02', 'Maten', 'Maten var kall', false, true, 'registrerad', "
    "'2026-01-02 10:00:00+00', '2026-01-02 10:00:00+00', 1)",
    "INSERT INTO case_note (case_id, kind, body, created_at) VALUES "
    "(1, 'internal', 'Ring om flamingon', '2026-01-03 10:00:00+00'), "
    "(1, 'submitter', 'Glömde rollatorn', '2026-01-03 11:00:00+00')",
    # As the services wrote it before 1020: every note in the one text.
    "INSERT INTO case_search (case_id, document) VALUES (1, 'Maten' || char(10) || "
    "'Maten var kall' || char(10) || 'Ring om flamingon' || char(10) || 'Glömde rollatorn')",
]


def _matches(word: str, internal: bool) -> list[int]:
    if db.engine.dialect.name == "postgresql":
        column = "case_search_fts_internal_vector" if internal else "case_search_fts_vector"
        sql = (
            f"SELECT case_id FROM case_search WHERE {column} @@ "
            "websearch_to_tsquery('swedish', :word)"
        )
    else:
        table = "case_search_fts_internal" if internal else "case_search_fts"
        sql = f"SELECT rowid FROM {table} WHERE {table} MATCH :word"
    return list(db.session.scalars(sa.text(sql), {"word": word}))


def test_internal_notes_of_existing_cases_move_to_their_own_text(empty_database_url):
    app = create_app({"ENV": "testing", "DATABASE_URL": empty_database_url})
    with app.app_context():
        upgrade(revision="0990")
        for statement in ROWS:
            if db.engine.dialect.name == "postgresql":
                statement = statement.replace("char(10)", "chr(10)")
            db.session.execute(sa.text(statement))
        db.session.commit()
        assert _matches("flamingon", internal=False) == [1]
        db.session.commit()
        upgrade()
        shared, internal = db.session.execute(
            sa.text("SELECT document, internal_document FROM case_search")
        ).one()
        assert "flamingon" not in shared and "kall" in shared and "rollatorn" in shared
        assert internal == "Ring om flamingon"
        assert _matches("flamingon", internal=False) == []
        assert _matches("flamingon", internal=True) == [1]
        assert _matches("rollatorn", internal=False) == [1]
        # Later changes keep the internal index up to date (triggers / generated column).
        db.session.execute(
            sa.text("UPDATE case_search SET internal_document = 'Nyckelskåpet' WHERE case_id = 1")
        )
        db.session.commit()
        assert _matches("flamingon", internal=True) == []
        assert _matches("nyckelskåpet", internal=True) == [1]
        db.session.commit()
        downgrade(revision="0990")
        document = db.session.scalar(sa.text("SELECT document FROM case_search"))
        assert "Nyckelskåpet" in document and "kall" in document
        db.session.remove()
        db.engine.dispose()
