"""Every database casetrack ever created upgrades to today's schema (issue 16).

Landed migrations were edited after the fact: a database created where 0910 was newest
had followed 0800 → 0910 (0910 said ``Revises: 0800`` then), was stamped '0910', and so
never ran 0900 when upgraded; one created where 0950 was newest had a 0950 without the
stored tsvector. For every distinct state of ``migrations/versions`` in the git history
of the current commit, this test creates a database with THAT state's migrations (run by
today's env.py, which the old migrations do not depend on), upgrades it with today's, and
compares the schema with a freshly migrated database: Alembic's comparison with the
models, then every table's columns, constraints, indexes, triggers and functions read
from the database's catalogue, and the reference data the migrations seed.

Under CI (CI=true) a checkout without that history (no git, a shallow clone) is a
failure, not a skip: the test is what keeps landed migrations from being edited again.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tarfile
import uuid
import warnings
from functools import cache
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from casetrack import create_app
from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models.schema_filter import include_object
from tests.conftest import (
    PG_URL,
    REFERENCE_TABLES,
    Auth,
    Factory,
    RequestClient,
    csrf_from,
    repo_root,
)

VERSIONS = "migrations/versions"
# Columns of seeded reference rows that hold the time of the migration run.
VOLATILE_COLUMNS = {"updated_at", "created_at"}


def _git(*args: str, binary: bool = False):
    result = subprocess.run(
        ["git", *args],
        cwd=repo_root(),
        capture_output=True,
        check=True,
    )
    return result.stdout if binary else result.stdout.decode()


@cache
def history() -> tuple[list[tuple[str, str]], str | None]:
    """([(oldest commit, tree) for every distinct state of migrations/versions in the
    history of HEAD, oldest first], or None and why the history is unavailable)."""
    if shutil.which("git") is None:
        return [], "git is not installed"
    try:
        if _git("rev-parse", "--is-shallow-repository").strip() == "true":
            return [], "the checkout is a shallow clone (fetch the full history)"
        commits = _git("rev-list", "--reverse", "HEAD", "--", VERSIONS).split()
    except subprocess.CalledProcessError as error:
        return [], f"no git history: {error.stderr.decode().strip()}"
    states: dict[str, str] = {}
    for commit in commits:
        tree = _git("rev-parse", f"{commit}:{VERSIONS}").strip()
        states.setdefault(tree, commit)
    # Merges can make states that no single commit's diff names: every first-parent commit.
    for commit in _git("rev-list", "--reverse", "--first-parent", "HEAD").split():
        try:
            tree = _git("rev-parse", f"{commit}:{VERSIONS}").strip()
        except subprocess.CalledProcessError:
            continue  # before migrations existed
        states.setdefault(tree, commit)
    return [(commit, tree) for tree, commit in states.items()], None


def _extract(commit: str, target: Path) -> Path:
    """A migrations directory with ``commit``'s versions and today's env.py and ini."""
    today = repo_root() / "migrations"
    target.mkdir(parents=True)
    for name in ("env.py", "alembic.ini", "script.py.mako"):
        shutil.copy(today / name, target / name)
    archive = _git("archive", "--format=tar", commit, VERSIONS, binary=True)
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        for member in tar.getmembers():
            if member.isfile() and member.name.endswith(".py"):
                member.name = Path(member.name).name
                tar.extract(member, target / "versions", filter="data")
    return target


class Databases:
    """Empty databases on the engine under test: a new file each on SQLite; on PostgreSQL
    one scratch database for the module whose schema is emptied for each use (as the test
    suite's template database is), which is much faster than a database each."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.name: str | None = None
        if PG_URL:
            self.server = sa.create_engine(
                sa.engine.make_url(PG_URL).set(database="postgres"), isolation_level="AUTOCOMMIT"
            )

    def new(self, label: str) -> str:
        if not PG_URL:
            return f"sqlite:///{self.folder / (label + '-' + uuid.uuid4().hex[:6] + '.sqlite')}"
        if self.name is None:
            self.name = f"casetrack_hist_{uuid.uuid4().hex[:10]}"
            with self.server.connect() as connection:
                connection.exec_driver_sql(f'CREATE DATABASE "{self.name}"')
        url = sa.engine.make_url(PG_URL).set(database=self.name)
        engine = sa.create_engine(url)
        try:
            with engine.begin() as connection:
                connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        finally:
            engine.dispose()
        return url.render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if PG_URL:
            if self.name:
                with self.server.connect() as connection:
                    connection.exec_driver_sql(
                        f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'
                    )
            self.server.dispose()


@pytest.fixture(scope="module")
def databases(tmp_path_factory):
    databases = Databases(tmp_path_factory.mktemp("history"))
    try:
        yield databases
    finally:
        databases.drop_all()


def _normal(sql: str | None) -> str | None:
    return None if sql is None else re.sub(r"\s+", " ", sql).strip()


def _sqlite_catalogue(connection) -> dict[str, object]:
    catalogue: dict[str, object] = {}
    objects = connection.exec_driver_sql(
        "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
    ).all()
    for kind, name, table, sql in objects:
        if kind == "table":
            columns = connection.exec_driver_sql(f'PRAGMA table_xinfo("{name}")').all()
            keys = connection.exec_driver_sql(f'PRAGMA foreign_key_list("{name}")').all()
            catalogue[f"table {name}"] = {
                "columns": sorted((c[1], c[2].upper(), c[3], c[4], c[5], c[6]) for c in columns),
                "foreign keys": sorted((k[2], k[3], k[4], k[5], k[6]) for k in keys),
                # CHECK constraints live only in the table's SQL.
                "checks": sorted(re.findall(r"CHECK \((.*?)\)(?:,|\s*\)$)", _normal(sql) or "")),
            }
        else:  # index, trigger, view
            catalogue[f"{kind} {name}"] = (table, _normal(sql))
    return catalogue


def _postgres_catalogue(connection) -> dict[str, object]:
    catalogue: dict[str, object] = {}
    columns = connection.exec_driver_sql(
        "SELECT table_name, column_name, data_type, udt_name, character_maximum_length,"
        " is_nullable, column_default, is_generated, generation_expression"
        " FROM information_schema.columns WHERE table_schema = 'public'"
    ).all()
    for row in columns:
        catalogue.setdefault(f"table {row[0]}", set()).add(tuple(row[1:]))
    queries = {
        "constraint": "SELECT c.conrelid::regclass::text || '.' || c.conname,"
        " pg_get_constraintdef(c.oid) FROM pg_constraint c"
        " JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public'",
        "index": "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
        "trigger": "SELECT t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t"
        " JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND NOT t.tgisinternal",
        "function": "SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid)"
        " || ')', pg_get_functiondef(p.oid) FROM pg_proc p"
        " JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'",
        "view": "SELECT viewname, definition FROM pg_views WHERE schemaname = 'public'",
        "sequence": "SELECT sequencename, data_type::text FROM pg_sequences"
        " WHERE schemaname = 'public'",
    }
    for kind, query in queries.items():
        for name, definition in connection.exec_driver_sql(query).all():
            catalogue[f"{kind} {name}"] = _normal(definition)
    return catalogue


def schema_of(url: str) -> dict[str, object]:
    """Everything about the database's schema that casetrack relies on, comparable."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                catalogue = _sqlite_catalogue(connection)
            else:
                catalogue = _postgres_catalogue(connection)
            catalogue["alembic_version"] = connection.exec_driver_sql(
                "SELECT version_num FROM alembic_version"
            ).scalar_one()
            present = set(sa.inspect(connection).get_table_names())
            for table in REFERENCE_TABLES:
                if table not in present:  # a revision before the one that made it
                    continue
                rows = connection.execute(sa.text(f"SELECT * FROM {table}")).mappings()
                catalogue[f"rows {table}"] = sorted(
                    repr(sorted((k, v) for k, v in row.items() if k not in VOLATILE_COLUMNS))
                    for row in rows
                )
    finally:
        engine.dispose()
    return catalogue


def _model_differences(url: str) -> list:
    app = create_app({"ENV": "testing", "DATABASE_URL": url})
    with app.app_context():
        try:
            with db.engine.connect() as connection, warnings.catch_warnings():
                # SQLite cannot reflect expression indexes; the catalogue compares them.
                warnings.simplefilter("ignore", sa.exc.SAWarning)
                context = MigrationContext.configure(
                    connection, opts={"compare_type": True, "include_object": include_object}
                )
                return compare_metadata(context, db.metadata)
        finally:
            db.session.remove()
            db.engine.dispose()


def _migrate(url: str, directory: Path | None = None) -> str:
    """Upgrade ``url`` to the head of ``directory`` (today's migrations when None); returns
    the revision the database is stamped with afterwards."""
    app = create_app({"ENV": "testing", "DATABASE_URL": url})
    with app.app_context():
        try:
            upgrade(directory=str(directory) if directory else None)
            return db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
        finally:
            db.session.remove()
            db.engine.dispose()


def _upgraded(commit: str, folder: Path, databases: Databases) -> tuple[str, str]:
    """A database made by ``commit``'s migrations, then upgraded with today's."""
    url = databases.new(f"at_{commit[:10]}")
    stamp = _migrate(url, _extract(commit, folder / commit))
    _migrate(url)
    return url, stamp


@pytest.fixture(scope="module")
def fresh(databases):
    url = databases.new("fresh")
    _migrate(url)
    return schema_of(url)


# Two feature branches were started before earlier migrations had landed and were rechained
# at their merge: their databases lack whole migrations that today run before theirs
# (0002/0003/0300/0350 and 0003), so today's chain fails on them before any repair can run.
# No forward migration can fix that; such a (development) database is recreated, see
# docs/issue16/history.md. Strict: if they ever upgrade, this list must go.
UNREPAIRABLE = {
    "d36e6f6d08": "access-log branch: 0500 revised 0001 (before 0002 landed)",
    # A commit id, not a secret.
    "2809fa1d2e": (  # pragma: allowlist secret
        "outbox branch: 0300 revised 0002 (before 0003 landed)"
    ),
}


def _states() -> list:
    states, problem = history()
    if problem:
        return [pytest.param(None, id="no-history")]
    return [
        pytest.param(
            commit,
            id=commit[:10],
            marks=[pytest.mark.xfail(strict=True, reason=UNREPAIRABLE[commit[:10]])]
            if commit[:10] in UNREPAIRABLE
            else [],
        )
        for commit, _tree in states
    ]


def _need_history() -> None:
    """Fail under CI (CI=true), skip elsewhere, when the git history is not there."""
    problem = history()[1]
    if problem and os.environ.get("CI") == "true":
        pytest.fail(f"the migration history test needs the git history: {problem}")
    if problem:
        pytest.skip(f"no git history ({problem})")


@pytest.mark.parametrize("commit", _states())
def test_a_database_created_at_an_earlier_head_upgrades_to_todays_schema(
    commit, fresh, databases, tmp_path
):
    if commit is None:
        _need_history()
    url, stamp = _upgraded(commit, tmp_path, databases)
    assert _model_differences(url) == [], f"created at {commit[:10]} (stamped {stamp})"
    upgraded = schema_of(url)
    missing = {k: fresh[k] for k in fresh.keys() - upgraded.keys()}
    extra = {k: upgraded[k] for k in upgraded.keys() - fresh.keys()}
    changed = {
        k: (upgraded[k], fresh[k])
        for k in fresh.keys() & upgraded.keys()
        if upgraded[k] != fresh[k]
    }
    assert (missing, extra, changed) == ({}, {}, {}), f"created at {commit[:10]} (stamped {stamp})"


def test_the_repair_changes_nothing_on_a_database_that_is_already_right(databases):
    """1000 checks before it repairs: on a right database (made by today's chain up to
    0990), its upgrade and its downgrade change nothing but the stamp. Revision 1000 by
    name, so that later migrations chained after it do not matter here."""
    url = databases.new("twice")
    app = create_app({"ENV": "testing", "DATABASE_URL": url})
    with app.app_context():
        upgrade(revision="0990")
        at_0990 = schema_of(url)
        upgrade(revision="1000")
        at_1000 = schema_of(url)
        downgrade(revision="0990")
        again = schema_of(url)
        db.session.remove()
        db.engine.dispose()
    assert at_1000 == at_0990 | {"alembic_version": "1000"}
    assert again == at_0990


@pytest.mark.parametrize(
    "commit",
    [
        pytest.param("b35b81a", id="0910-without-0900"),
        pytest.param("3414b03", id="0950-without-0910-and-tsvector"),
    ],
)
def test_login_and_search_work_on_a_database_created_before_the_edits(commit, databases, tmp_path):
    """The two paths the outside test found: every login a 500, search a 500 (PostgreSQL)."""
    _need_history()
    url, _stamp = _upgraded(_git("rev-parse", commit).strip(), tmp_path, databases)
    app = create_app({"ENV": "testing", "DATABASE_URL": url})
    app.test_client_class = RequestClient
    with app.app_context():
        make = Factory()
        unit = make.unit("Enhet A", level="enhet", code="A", reference_prefix="HA")
        make.user([(Role.HANDLER, unit)], email="h@test.example")
        make.case(unit, description="Nyckeln till lägenheten försvann.")
        db.session.commit()
        client = app.test_client()
        response = Auth(client).login("h@test.example", follow=True)
        assert response.status_code == 200
        page = client.get("/arenden/")
        assert page.status_code == 200
        result = client.post(
            "/arenden/sok",
            data={"text": "nyckeln", "csrf_token": csrf_from(page.text)},
            follow_redirects=True,
        )
        assert result.status_code == 200
        assert "Nyckeln till lägenheten" in result.text
        db.session.remove()
        db.engine.dispose()
