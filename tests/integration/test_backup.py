"""`casetrack backup` and `casetrack restore` (K3-82–85): a backup restored into an empty
database and attachment folder has every case, audit entry and attachment intact; the
file is encrypted; a wrong key, an altered file or a non-empty target is refused."""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from contextlib import contextmanager
from datetime import date

import pytest
import sqlalchemy as sa

from casetrack import create_app
from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import Attachment
from casetrack.services import attachments
from tests.conftest import PG_URL

PDF = b"%PDF-1.7\n% personnummer 19121212-1212\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 500
COMPARED = ["case_record", "audit_entry", "attachment", "access_log_entry", "user_account"]


def cli(app, key: str, *args: str):
    return app.test_cli_runner().invoke(args=list(args), env={"CASETRACK_BACKUP_KEY": key})


def new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


@pytest.fixture
def source(app, make, org, tmp_path):
    """A database with cases, audit entries and two attachments on disk."""
    app.config["CASETRACK"]["ATTACHMENT_DIR"] = str(tmp_path / "bilagor")
    handler = make.user([(Role.HANDLER, org["a"])], email="h@test.example")
    first = make.case(org["a"], by=handler, received_on=date(2026, 3, 2))
    make.case(org["a"], by=handler, description="Maten var kall.")
    attachments.upload(handler, first, filename="blankett.pdf", content=PDF)
    attachments.upload(handler, first, filename="foto.png", content=PNG)
    db.session.commit()
    return app


def snapshot() -> dict[str, list]:
    """Every row of the compared tables, and every attachment's content hash."""
    rows = {}
    with db.engine.connect() as connection:
        for table in COMPARED:
            result = connection.execute(sa.text(f"SELECT * FROM {table} ORDER BY id"))
            rows[table] = [tuple(row) for row in result]
    db.session.expire_all()
    rows["files"] = sorted(
        (a.storage_name, hashlib.sha256(attachments.read_content(a)).hexdigest())
        for a in db.session.scalars(sa.select(Attachment))
    )
    db.session.commit()  # end the read transaction (SQLite: it holds the write lock)
    return rows


@contextmanager
def empty_target(tmp_path):
    """An app on an empty database (a fresh PostgreSQL database when testing on it)."""
    if PG_URL:
        server = sa.create_engine(
            sa.engine.make_url(PG_URL).set(database="postgres"), isolation_level="AUTOCOMMIT"
        )
        name = f"casetrack_restore_{uuid.uuid4().hex[:10]}"
        with server.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp_path / 'restored.sqlite'}"
    target = create_app(
        {"ENV": "testing", "DATABASE_URL": url, "ATTACHMENT_DIR": str(tmp_path / "återlästa")}
    )
    try:
        # with_appcontext uses the current app: the target's context must be on top.
        with target.app_context():
            yield target
    finally:
        with target.app_context():
            db.session.remove()
            db.engine.dispose()
        if PG_URL:
            with server.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
            server.dispose()


def test_a_backup_restores_into_an_empty_database_with_everything_intact(source, tmp_path):
    key = new_key()
    before = snapshot()
    assert len(before["case_record"]) == 2 and len(before["files"]) == 2
    output = tmp_path / "casetrack.cli.backup"
    result = source.test_cli_runner().invoke(
        args=["backup", "--output", str(output)], env={"CASETRACK_BACKUP_KEY": key}
    )
    assert result.exit_code == 0, result.output
    assert "2 ärenden" in result.output and "2 bilagor" in result.output
    encrypted = output.read_bytes()
    # Long, distinctive plaintext only: a short marker such as b"PDF" can occur by chance
    # in random ciphertext (about once in 170 backups of this size).
    assert b"Maten var kall" not in encrypted and b"personnummer 19121212" not in encrypted
    assert b"SQLite format" not in encrypted and b"PGDMP" not in encrypted
    assert oct(output.stat().st_mode & 0o777) == "0o600"

    with empty_target(tmp_path) as target:
        result = target.test_cli_runner().invoke(
            args=["restore", "--input", str(output)], env={"CASETRACK_BACKUP_KEY": key}
        )
        assert result.exit_code == 0, result.output
        after = snapshot()
        restored_actions = list(
            db.session.scalars(sa.text("SELECT action FROM audit_entry ORDER BY id"))
        )
    # The backup itself is audited in the source after the snapshot, the restore in the
    # target after the check; everything before is identical.
    assert restored_actions[-1] == "backup.restored"
    after["audit_entry"] = after["audit_entry"][:-1]
    assert after == before


def test_restore_refuses_a_database_with_data_unless_forced(source, tmp_path):
    key = new_key()
    output = tmp_path / "casetrack.cli.backup"
    assert cli(source, key, "backup", "--output", str(output)).exit_code == 0
    before = snapshot()
    result = cli(source, key, "restore", "--input", str(output))
    assert result.exit_code != 0
    assert "tom databas" in result.output and "--force" in result.output
    result = cli(source, key, "restore", "--input", str(output), "--force")
    assert result.exit_code == 0, result.output
    after = snapshot()
    # The backup's own audit entry came after the snapshot; the restore adds its own.
    assert after["case_record"] == before["case_record"] and after["files"] == before["files"]


def test_restore_refuses_a_wrong_key_and_an_altered_file(source, tmp_path):
    key = new_key()
    output = tmp_path / "casetrack.cli.backup"
    assert cli(source, key, "backup", "--output", str(output)).exit_code == 0
    with empty_target(tmp_path) as target:
        result = target.test_cli_runner().invoke(
            args=["restore", "--input", str(output)], env={"CASETRACK_BACKUP_KEY": new_key()}
        )
        assert result.exit_code != 0 and "annan nyckel" in result.output
        altered = bytearray(output.read_bytes())
        altered[len(altered) // 2] ^= 1
        (tmp_path / "altered.backup").write_bytes(bytes(altered))
        result = target.test_cli_runner().invoke(
            args=["restore", "--input", str(tmp_path / "altered.backup")],
            env={"CASETRACK_BACKUP_KEY": key},
        )
        assert result.exit_code != 0 and "skadad" in result.output
        truncated = output.read_bytes()[:-100]
        (tmp_path / "truncated.backup").write_bytes(truncated)
        result = target.test_cli_runner().invoke(
            args=["restore", "--input", str(tmp_path / "truncated.backup")],
            env={"CASETRACK_BACKUP_KEY": key},
        )
        assert result.exit_code != 0
        assert sa.inspect(db.engine).get_table_names() == []


def test_backup_without_a_key_explains_how_to_make_one(source, tmp_path):
    result = source.test_cli_runner().invoke(
        args=["backup", "--output", str(tmp_path / "x")], env={"CASETRACK_BACKUP_KEY": ""}
    )
    assert result.exit_code != 0
    assert "CASETRACK_BACKUP_KEY är inte satt" in result.output
    assert not (tmp_path / "x").exists()
