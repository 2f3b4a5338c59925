"""On PostgreSQL the app's own database role cannot change the audit or access log (K3-57).

The GRANTs are the ones documented in docs/postgresql_app_role.sql, applied to the test
database with a role of its own; the test then connects as that role. (SQLite has no
roles; the triggers tested in test_access_and_audit.py guard it.)
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import ProgrammingError

from casetrack.domain.roles import Role
from casetrack.extensions import db
from tests.conftest import PG_URL, repo_root

if PG_URL:

    @pytest.fixture
    def app_role_url(app):
        url = sa.engine.make_url(PG_URL)
        role = f"casetrack_app_{uuid.uuid4().hex[:8]}"
        sql = (repo_root() / "docs" / "postgresql_app_role.sql").read_text()
        sql = sql.replace("casetrack_app", role).replace(
            "DATABASE casetrack ", f'DATABASE "{url.database}" '
        )
        owner = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        code = "\n".join(line.split("--")[0] for line in sql.splitlines())
        with owner.connect() as connection:
            for statement in filter(str.strip, code.split(";")):
                connection.exec_driver_sql(statement)
        try:
            yield url.set(username=role, password=None).render_as_string(hide_password=False)
        finally:
            with owner.connect() as connection:
                connection.exec_driver_sql(f'DROP OWNED BY "{role}"')
                connection.exec_driver_sql(f'DROP ROLE "{role}"')
            owner.dispose()

    def test_the_app_role_writes_data_but_cannot_alter_the_logs(app_role_url, org, make):
        make.case(org["a"], by=make.user([(Role.HANDLER, org["a"])]))
        db.session.commit()
        engine = sa.create_engine(app_role_url)
        try:
            with engine.begin() as connection:
                connection.execute(sa.text("UPDATE case_record SET title = 'Ny rubrik'"))
                connection.execute(
                    sa.text("INSERT INTO access_log_entry (occurred_at, what) VALUES (now(), 'x')")
                )
                assert connection.scalar(sa.text("SELECT count(*) FROM audit_entry")) == 1
            for statement in (
                "UPDATE audit_entry SET action = 'x'",
                "DELETE FROM audit_entry",
                "UPDATE access_log_entry SET what = 'y'",
                "DELETE FROM access_log_entry",
                "TRUNCATE audit_entry",
            ):
                with (
                    engine.begin() as connection,
                    pytest.raises(ProgrammingError, match="permission denied"),
                ):
                    connection.execute(sa.text(statement))
        finally:
            engine.dispose()
