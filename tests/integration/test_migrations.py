"""The schema comes from the migrations, and the migrations match the models exactly."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from casetrack import create_app
from casetrack.extensions import db
from casetrack.models.schema_filter import include_object


def _differences(app) -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_object}
        )
        return compare_metadata(context, db.metadata)


def test_upgrade_on_an_empty_database_yields_exactly_the_models_schema(empty_database_url):
    app = create_app({"ENV": "testing", "DATABASE_URL": empty_database_url})
    with app.app_context():
        upgrade()
        assert _differences(app) == []
        kinds = db.session.scalars(sa.text("SELECT code FROM case_kind ORDER BY code")).all()
        assert kinds == ["complaint", "deviation", "praise", "suggestion"]
        assert db.session.scalar(sa.text("SELECT count(*) FROM category")) == 14
        assert db.session.scalar(sa.text("SELECT count(*) FROM source")) == 6
        db.session.remove()
        db.engine.dispose()


def test_downgrade_and_upgrade_round_trip(empty_database_url):
    app = create_app({"ENV": "testing", "DATABASE_URL": empty_database_url})
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        upgrade()
        assert _differences(app) == []
        db.session.remove()
        db.engine.dispose()


def test_upgrading_a_populated_database_keeps_every_row(empty_database_url):
    """Data written at revision 0001 survives later migrations, children included."""
    app = create_app({"ENV": "testing", "DATABASE_URL": empty_database_url})
    with app.app_context():
        upgrade(revision="0001")
        statements = [
            "INSERT INTO org_unit (id, code, name, level, active) "
            "VALUES (1, 'A', 'Enhet A', 'enhet', true)",
            "INSERT INTO user_account (id, email, name, password_hash, active, "
            "session_generation, created_at) VALUES (1, 'a@x.se', 'A', 'h', true, 0, "
            "'2026-01-01 10:00:00+00')",
            "INSERT INTO case_record (id, reference, kind_code, org_unit_id, received_on, "
            "title, description, is_anonymous, wants_feedback, status_code, created_at, "
            "updated_at, version, created_by_id) VALUES (1, 'AO-2026-00001', 'complaint', 1, "
            "'2026-01-02', 'Maten', 'Maten var kall', false, true, 'registrerad', "
            "'2026-01-02 10:00:00+00', '2026-01-02 10:00:00+00', 1, 1)",
            "INSERT INTO case_category (case_id, category_code) VALUES (1, 'mat')",
            "INSERT INTO feedback (case_id, given_on, given_to, method, summary, created_at) "
            "VALUES (1, '2026-01-03', 'Brukaren', 'telefon', 'Svar', '2026-01-03 10:00:00+00')",
            "INSERT INTO case_action (case_id, description, responsible, done_on, created_at) "
            "VALUES (1, 'Varmhållning', 'Kocken', '2026-01-05', '2026-01-04 10:00:00+00')",
        ]
        for statement in statements:
            db.session.execute(sa.text(statement))
        db.session.commit()
        upgrade()
        assert db.session.scalar(sa.text("SELECT reference FROM case_record")) == "AO-2026-00001"
        assert db.session.scalar(sa.text("SELECT category_code FROM case_category")) == "mat"
        assert db.session.scalar(sa.text("SELECT count(*) FROM feedback")) == 1
        # case_action is rebuilt on SQLite (a new foreign key): its rows must survive.
        assert db.session.scalar(sa.text("SELECT description FROM case_action")) == "Varmhållning"
        document = db.session.scalar(sa.text("SELECT document FROM case_search WHERE case_id = 1"))
        assert "kall" in document
        db.session.remove()
        db.engine.dispose()
