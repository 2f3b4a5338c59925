"""The schema comes from the migrations, and the migrations match the models exactly."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from casetrack import create_app
from casetrack.extensions import db
from tests.conftest import PG_URL


@pytest.fixture
def empty_database_url(tmp_path):
    """A brand-new empty database on the engine under test."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    url = sa.engine.make_url(PG_URL)
    name = f"casetrack_mig_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _differences(app) -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
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
