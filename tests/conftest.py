"""Shared fixtures: a migrated database per test, app, client, factories, login helper, the
shared cast of users (`people`) and a statement counter (`count_queries`).

The suite runs on SQLite by default. With CASETRACK_TEST_DATABASE_URL set to a PostgreSQL
database, the same tests run there; the schema is always created by the migrations.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import has_app_context
from flask.testing import FlaskClient

from casetrack import create_app
from casetrack.audit import security_log
from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.infra.passwords import hash_password
from casetrack.models import Case, OrgUnit, RoleAssignment, User
from casetrack.services import cases as case_service

PG_URL = os.environ.get("CASETRACK_TEST_DATABASE_URL")
PASSWORD = "korrekt-hast-batteri-häftstift"
_PASSWORD_HASH = hash_password(PASSWORD)

# Reference data the migrations seed; admin tests may change it, so on PostgreSQL it is
# restored from a snapshot taken right after migrating. Every other table is emptied.
REFERENCE_TABLES = [
    "case_kind",
    "source",
    "channel",
    "category",
    "status",
    "message_template",
    "event_type",  # the händelsetyp tree (migration 1100)
]
DATA_TABLES = sorted(set(db.metadata.tables) - set(REFERENCE_TABLES))


def migrate(url: str) -> None:
    from flask_migrate import upgrade

    app = create_app({"ENV": "testing", "DATABASE_URL": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()


_reference_snapshot: dict[str, list[dict]] = {}


@pytest.fixture(scope="session")
def template_database(tmp_path_factory) -> str:
    """A database migrated once per session (a file to copy on SQLite)."""
    if PG_URL:
        # Start from an empty schema so nothing a previous run left behind survives.
        engine = sa.create_engine(PG_URL)
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        migrate(PG_URL)
        with engine.connect() as connection:
            for table in REFERENCE_TABLES:
                rows = connection.execute(sa.text(f"SELECT * FROM {table}"))
                snapshot = [dict(row._mapping) for row in rows]
                if table == "event_type":  # parents before their subtypes (a foreign key)
                    snapshot.sort(key=lambda row: row["parent_code"] is not None)
                _reference_snapshot[table] = snapshot
        engine.dispose()
        return PG_URL
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    migrate(f"sqlite:///{path}")
    return str(path)


@pytest.fixture
def database_url(template_database, tmp_path) -> str:
    if PG_URL:
        engine = sa.create_engine(PG_URL)
        metadata = sa.MetaData()
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "TRUNCATE "
                + ", ".join(DATA_TABLES + REFERENCE_TABLES)
                + " RESTART IDENTITY CASCADE"
            )
            for table, rows in _reference_snapshot.items():
                connection.execute(
                    sa.Table(table, metadata, autoload_with=connection).insert(), rows
                )
        engine.dispose()
        return PG_URL
    target = tmp_path / "casetrack.sqlite"
    shutil.copy(template_database, target)
    return f"sqlite:///{target}"


class RequestClient(FlaskClient):
    """A test client whose every request runs in its own app context, as in production.

    The test body keeps an app context open for its own queries; without this, requests
    would share that context's ``g`` and database session. Before each request the test's
    transaction is committed, so arranged data is visible and no lock is held.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def app_settings() -> dict:
    """Settings the test's app gets beyond the testing ones; a test file overrides this."""
    return {}


@pytest.fixture
def app(database_url, app_settings):
    app = create_app({"ENV": "testing", "DATABASE_URL": database_url, **app_settings})
    app.test_client_class = RequestClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def security_file(tmp_path):
    """A file for the security event stream (name it in app_settings as SECURITY_LOG)."""
    yield tmp_path / "security.jsonl"
    security_log.configure("")  # the stream is process-wide: stop writing to this file


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_from(html: str) -> str:
    match = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def totp_code(user: User) -> str:
    """A valid code for ``user`` that the replay guard has not seen yet."""
    import pyotp

    from casetrack.services.mfa import plain_secret

    totp = pyotp.TOTP(plain_secret(user))
    while True:
        # Never hand out a code in the last moments of a 30-second step: if the server
        # checks it after the boundary, a code for the step before falls out of the window.
        left = totp.interval - time.time() % totp.interval
        if left < 2:
            time.sleep(left + 0.05)
        current = totp.timecode(datetime.now(UTC))
        if user.mfa_last_step is None or user.mfa_last_step < current - 1:
            return totp.generate_otp(current - 1)
        if user.mfa_last_step + 1 <= current + 1:
            return totp.generate_otp(user.mfa_last_step + 1)
        time.sleep(left + 0.05)  # every code of the window is used: wait for the next step


class Auth:
    """Log in and out through the real pages (CSRF included)."""

    def __init__(self, client):
        self.client = client

    def login(self, email: str, password: str = PASSWORD, follow: bool = False, second_factor=True):
        """Log in; for accounts that need a second factor, also give (or enrol) a code."""
        page = self.client.get("/logga-in")
        response = self.client.post(
            "/logga-in",
            data={"email": email, "password": password, "csrf_token": csrf_from(page.text)},
            follow_redirects=follow and not second_factor,
        )
        location = response.headers.get("Location", "")
        if second_factor and location.startswith("/logga-in/"):
            response = self.give_code(location, email)
        if follow and response.status_code == 302:
            response = self.client.get(response.headers["Location"], follow_redirects=True)
        return response

    def give_code(self, url: str, email: str):
        """Answer the second-factor page at ``url`` with a valid, unused code."""
        page = self.client.get(url)
        db.session.expire_all()
        user = db.session.scalars(sa.select(User).where(User.email == email.lower())).one()
        return self.client.post(
            url, data={"code": totp_code(user), "csrf_token": csrf_from(page.text)}
        )

    def logout(self):
        page = self.client.get("/", follow_redirects=True)
        token = csrf_from(page.text)
        return self.client.post("/logga-ut", data={"csrf_token": token})

    def post(self, url: str, data: dict, **kwargs):
        """GET the form at ``url`` for its CSRF token (and, as a browser would post it, the
        version an edit form was opened at), then POST ``data`` to it."""
        page = self.client.get(url)
        hidden = {"csrf_token": csrf_from(page.text)}
        version = re.search(r'<input[^>]*name="version"[^>]*value="([^"]*)"', page.text)
        if version:
            hidden["version"] = version.group(1)
        return self.client.post(url, data={**hidden, **data}, **kwargs)


@pytest.fixture
def auth(client):
    return Auth(client)


class Factory:
    """Creates rows directly (not through the HTTP layer) for arranging tests."""

    def __init__(self):
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    def unit(self, name: str | None = None, parent: OrgUnit | None = None, level="enhet", **kw):
        n = self._next()
        unit = OrgUnit(
            code=kw.pop("code", f"U{n}"),
            name=name or f"Enhet {n}",
            level=level,
            parent=parent,
            **kw,
        )
        db.session.add(unit)
        db.session.flush()
        return unit

    def user(self, roles: list[tuple[Role, OrgUnit]] = (), name: str | None = None, **kw):
        n = self._next()
        user = User(
            email=kw.pop("email", f"user{n}@test.example"),
            name=name or f"Användare {n}",
            password_hash=_PASSWORD_HASH,
            **kw,
        )
        db.session.add(user)
        db.session.flush()
        for role, unit in roles:
            db.session.add(RoleAssignment(user_id=user.id, role=role.value, org_unit_id=unit.id))
        db.session.flush()
        return user

    def case(self, unit: OrgUnit, by: User | None = None, **kw) -> Case:
        """Register a case through the service (so it has a reference and audit entry)."""
        from casetrack.domain.roles import Permission

        data = case_service.NewCase(
            kind_code=kw.pop("kind_code", "complaint"),
            org_unit_id=unit.id,
            received_on=kw.pop("received_on", date(2026, 3, 2)),
            description=kw.pop("description", "Hemtjänsten kom inte på morgonen."),
            **kw,
        )
        if by is None:
            return case_service.register_case(None, data, actor_label="test")
        permission = (
            Permission.CASE_FILE_DEVIATION
            if data.kind_code == "deviation"
            and not any(a.role in {"handler", "manager"} for a in by.role_assignments)
            else Permission.CASE_REGISTER
        )
        return case_service.register_case(by, data, permission=permission)


@pytest.fixture
def make(app):
    return Factory()


@pytest.fixture
def org(make):
    """A small tree: förvaltning → avdelning → two enheter (A with an arbetsgrupp, B)."""
    root = make.unit("Förvaltningen", level="forvaltning", code="ROOT", reference_prefix="HA")
    dept = make.unit(
        "Äldreomsorg", parent=root, level="avdelning", code="AO", reference_prefix="AO"
    )
    unit_a = make.unit("Enhet A", parent=dept, code="A")
    group_a = make.unit("Arbetsgrupp A1", parent=unit_a, level="arbetsgrupp", code="A1")
    unit_b = make.unit("Enhet B", parent=dept, code="B")
    db.session.commit()
    return {"root": root, "dept": dept, "a": unit_a, "a1": group_a, "b": unit_b}


# The shared cast: who works where in the `org` tree (key, role, unit, email, name). A file
# whose tests need other people, or fewer because they count them, keeps its own `people`
# fixture, which overrides this one.
CAST = (
    ("handler", Role.HANDLER, "a", "h@test.example", "Lena Berg"),
    ("colleague", Role.HANDLER, "a", "c@test.example", "Omar Ek"),
    ("manager", Role.MANAGER, "a", "m@test.example", "Maja Chef"),
    ("sas", Role.SAS, "root", "sas@test.example", "Sara SAS"),
    ("mas", Role.MAS, "root", "mas@test.example", "Mats MAS"),
    ("quality", Role.QUALITY, "root", "q@test.example", "Kim Kvalitet"),
    ("staff", Role.STAFF, "a1", "s@test.example", "Sam Personal"),
    ("other", Role.HANDLER, "b", "o@test.example", "Olle Annan"),
    ("admin", Role.ADMIN, "root", "admin@test.example", "Per Admin"),
)


@pytest.fixture
def people(org, make) -> dict[str, User]:
    """The shared cast (CAST), one user each, committed."""
    cast = {
        key: make.user([(role, org[unit])], email=email, name=name)
        for key, role, unit, email, name in CAST
    }
    db.session.commit()
    return cast


@pytest.fixture
def count_queries(app):
    """``with count_queries() as seen:`` collects (statement, parameters) of every SQL
    statement the engine runs inside the block."""

    @contextmanager
    def counting():
        seen: list[tuple[str, object]] = []

        def capture(conn, cursor, statement, parameters, context, executemany):
            seen.append((statement, parameters))

        sa.event.listen(db.engine, "before_cursor_execute", capture)
        try:
            yield seen
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", capture)

    return counting


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Recorder:
    """An SMTP handler (aiosmtpd) that keeps every message it is given."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"


@pytest.fixture
def smtp(app):
    """A real SMTP server on loopback that casetrack's sender is pointed at."""
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings = app.config["CASETRACK"]
    settings.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, MAIL_FROM="noreply@test.se")
    yield recorder
    controller.stop()


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


# The real Redis on 127.0.0.1:6379 (shared limiter storage). casetrack's tests use their own
# database number and a key prefix per test, and delete their keys afterwards. Under CI a
# missing Redis fails the test; on a developer machine without one it is skipped.
REDIS_TEST_URL = os.environ.get("CASETRACK_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")


@pytest.fixture
def redis_storage():
    """(storage URI, key prefix) of a reachable Redis; the prefix's keys are removed after."""
    import redis

    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis is not reachable at {REDIS_TEST_URL}: {error}")
        pytest.skip(f"Redis is not reachable at {REDIS_TEST_URL}")
    prefix = f"casetrack-test-{uuid.uuid4().hex[:12]}"
    yield REDIS_TEST_URL, prefix
    for key in client.scan_iter(match=f"*{prefix}*", count=500):
        client.delete(key)
    client.close()
