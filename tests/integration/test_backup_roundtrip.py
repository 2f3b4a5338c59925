"""A backup that does not restore is no backup (issue 16): the round trip of a real-sized
database — the demo organisation (over 2 MB) with encrypted attachment files — and of a
backup taken while cases are being registered, on SQLite and on PostgreSQL.

Until issue 16 every backup larger than about 1 MiB was refused by `casetrack restore`
("Säkerhetskopian har data efter arkivet"): the tar reader stopped at the end-of-archive
marker and left the archive's zero padding unread. The tests in test_backup.py passed only
because their databases are tiny.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tarfile
import threading
from datetime import date

import pytest
import sqlalchemy as sa

from casetrack.cli.demo import DEMO_DOMAIN, load_demo
from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.infra import stream_crypto
from casetrack.models import Attachment, Case, OrgUnit, User
from casetrack.services import attachments
from casetrack.services import cases as case_service
from tests.integration.test_backup import cli, empty_target, new_key

TABLES = ("case_record", "audit_entry", "attachment")


def _pdf(index: int, size: int) -> bytes:
    """A PDF-looking file of ``size`` bytes that does not compress (random body)."""
    head = f"%PDF-1.7\n% bilaga {index}\n".encode()
    return head + os.urandom(size - len(head))


def _state(top: dict[str, int] | None = None) -> dict[str, object]:
    """Row count and a SHA-256 over every row (in id order) of the cases, audit entries and
    attachments, and each attachment's decrypted content hash; only rows up to ``top``'s
    ids when given."""
    state: dict[str, object] = {}
    with db.engine.connect() as connection:
        for table in TABLES:
            limit = top[table] if top else 2**31 - 1
            rows = connection.execute(
                sa.text(f"SELECT * FROM {table} WHERE id <= :top ORDER BY id"),
                {"top": limit},
            )
            digest, count = hashlib.sha256(), 0
            for row in rows:
                digest.update(repr(tuple(row)).encode())
                count += 1
            state[table] = (count, digest.hexdigest())
    db.session.expire_all()
    query = sa.select(Attachment).order_by(Attachment.id)
    if top:
        query = query.where(Attachment.id <= top["attachment"])
    state["files"] = [
        (a.storage_name, hashlib.sha256(attachments.read_content(a)).hexdigest())
        for a in db.session.scalars(query)
    ]
    db.session.commit()  # end the read transaction (SQLite: it holds the write lock)
    return state


def _database_bytes() -> int:
    """The size of the database's own data (the file on SQLite, the tables on PostgreSQL)."""
    if db.engine.dialect.name == "sqlite":  # pages in the file and in its write-ahead log
        query = "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
    else:
        query = (
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind = 'r'"
        )
    size = db.session.scalar(sa.text(query))
    db.session.commit()
    return int(size)


def test_the_demo_organisation_with_attachments_survives_a_backup_and_restore(app, tmp_path):
    app.config["CASETRACK"]["ATTACHMENT_DIR"] = str(tmp_path / "bilagor")
    load_demo(seed=16, today=date(2026, 11, 30))
    db.session.commit()
    handler = db.session.scalars(
        sa.select(User).where(User.email == f"handlaggare@{DEMO_DOMAIN}")
    ).one()
    aspudden = db.session.scalars(sa.select(OrgUnit).where(OrgUnit.code == "AO-ASP")).one()
    cases = db.session.scalars(
        sa.select(Case).where(Case.org_unit_id == aspudden.id).order_by(Case.id).limit(6)
    ).all()
    for index, case in enumerate(cases):
        attachments.upload(
            handler, case, filename=f"bilaga{index}.pdf", content=_pdf(index, 300_000)
        )
    db.session.commit()
    before = _state()
    assert before["case_record"][0] > 500 and before["audit_entry"][0] > 2000
    assert len(before["files"]) == 6
    stored = [p for p in (tmp_path / "bilagor").iterdir() if p.is_file()]
    assert all(p.read_bytes().startswith(b"gAAAAA") for p in stored)  # encrypted at rest

    key = new_key()
    output = tmp_path / "casetrack.cli.backup"
    result = cli(app, key, "backup", "--output", str(output))
    assert result.exit_code == 0, result.output
    assert _database_bytes() >= 2_000_000
    assert output.stat().st_size > 2 * 1024 * 1024  # the bug struck above about 1 MiB

    with empty_target(tmp_path) as target:
        result = cli(target, key, "restore", "--input", str(output))
        assert result.exit_code == 0, result.output
        assert f"{before['case_record'][0]} ärenden" in result.output
        # The restore audits itself after its check; everything before is identical.
        last_id, last = db.session.execute(
            sa.text("SELECT id, action FROM audit_entry ORDER BY id DESC LIMIT 1")
        ).one()
        db.session.commit()
        after = _state(
            {"case_record": 2**31 - 1, "attachment": 2**31 - 1, "audit_entry": last_id - 1}
        )
    assert last == "backup.restored"
    assert after == before


def _register_until(app, unit_id: int, stop: threading.Event, written: list[int], errors: list):
    """Register cases one transaction at a time (as the public form does) until ``stop``."""
    try:
        with app.app_context():
            while not stop.is_set():
                case = case_service.register_case(
                    None,
                    case_service.NewCase(
                        kind_code="complaint",
                        org_unit_id=unit_id,
                        received_on=date(2026, 11, 2),
                        description=f"Ärende under säkerhetskopieringen {len(written) + 1}.",
                    ),
                    actor_label="test",
                )
                db.session.commit()
                written.append(case.id)
            db.session.remove()
    except Exception as error:  # reported by the test
        errors.append(error)


def test_a_backup_taken_while_cases_are_registered_restores_consistently(app, make, org, tmp_path):
    app.config["CASETRACK"]["ATTACHMENT_DIR"] = str(tmp_path / "bilagor")
    handler = make.user([(Role.HANDLER, org["a"])], email="h@test.example")
    for index in range(4):  # over 1 MiB of files, so the backup is a real-sized archive
        case = make.case(org["a"], by=handler)
        attachments.upload(handler, case, filename=f"b{index}.pdf", content=_pdf(index, 400_000))
    unit_id = org["a"].id
    db.session.commit()  # SQLite: a transaction open here would hold the write lock
    stop, written, errors = threading.Event(), [], []
    writer = threading.Thread(target=_register_until, args=(app, unit_id, stop, written, errors))
    writer.start()
    try:
        while len(written) < 5 and writer.is_alive():
            stop.wait(0.01)
        at_start = len(written)
        key = new_key()
        output = tmp_path / "casetrack.cli.backup"
        result = cli(app, key, "backup", "--output", str(output))
        at_end = len(written)
    finally:
        stop.set()
        writer.join(timeout=30)
    assert not errors, errors
    assert result.exit_code == 0, result.output
    assert at_end > at_start  # cases were registered while the backup ran

    with empty_target(tmp_path) as target:
        result = cli(target, key, "restore", "--input", str(output))
        assert result.exit_code == 0, result.output
        with db.engine.connect() as connection:
            restored = set(connection.execute(sa.text("SELECT id FROM case_record")).scalars())
            registered = set(
                connection.execute(
                    sa.text("SELECT case_id FROM audit_entry WHERE action = 'case.registered'")
                ).scalars()
            )
            orphans = connection.execute(
                sa.text(
                    "SELECT count(*) FROM audit_entry WHERE case_id IS NOT NULL"
                    " AND case_id NOT IN (SELECT id FROM case_record)"
                )
            ).scalar_one()
        files = [
            hashlib.sha256(attachments.read_content(a)).hexdigest()
            for a in db.session.scalars(sa.select(Attachment))
        ]
        db.session.commit()
    # Every case the backup has comes with its audit trail, and nothing else is half there.
    assert registered == restored and orphans == 0
    assert 4 + at_start <= len(restored) <= 4 + at_end
    assert len(files) == 4


def _reencrypt(source, target, key: str, append: bytes = b"") -> None:
    """Decrypt the backup ``source``, add ``append`` after its archive and encrypt it again
    with the same key: a file only someone with the key could make."""
    raw_key = base64.urlsafe_b64decode(key)
    with source.open("rb") as raw:
        plain = stream_crypto.DecryptingReader(raw, raw_key).read()
    with target.open("wb") as raw:
        writer = stream_crypto.EncryptingWriter(raw, raw_key)
        writer.write(plain + append)
        writer.close()


def test_data_after_the_archive_is_still_refused(app, make, org, tmp_path):
    app.config["CASETRACK"]["ATTACHMENT_DIR"] = str(tmp_path / "bilagor")
    handler = make.user([(Role.HANDLER, org["a"])], email="h@test.example")
    case = make.case(org["a"], by=handler)
    attachments.upload(handler, case, filename="stor.pdf", content=_pdf(0, 1_500_000))
    db.session.commit()
    key = new_key()
    output = tmp_path / "casetrack.cli.backup"
    assert cli(app, key, "backup", "--output", str(output)).exit_code == 0
    hidden = tmp_path / "hidden.tar"
    with tarfile.open(hidden, "w") as extra:  # a second archive hidden behind the first
        extra.add(output, "attachments/" + "a" * 64)
    variants = {
        "same": b"",
        "zeros": b"\0" * tarfile.RECORDSIZE,  # a whole record more of zeros: not tar's own
        "text": b"x" * 100,
        "member": hidden.read_bytes(),
    }
    outcomes = {}
    for name, append in variants.items():
        altered = tmp_path / f"{name}.backup"
        _reencrypt(output, altered, key, append)
        (tmp_path / name).mkdir()
        with empty_target(tmp_path / name) as target:
            result = cli(target, key, "restore", "--input", str(altered))
            outcomes[name] = (result.exit_code, "data efter arkivet" in result.output)
            if name != "same":
                assert sa.inspect(db.engine).get_table_names() == []
    assert outcomes == {
        "same": (0, False),
        "zeros": (1, True),
        "text": (1, True),
        "member": (1, True),
    }


def test_restore_does_not_depend_on_where_the_encrypted_chunks_end(app, make, org, tmp_path):
    """The decrypted stream arrives one chunk at a time; wherever a chunk ends — in the
    last member, in the end-of-archive blocks or in the padding — the backup restores."""
    app.config["CASETRACK"]["ATTACHMENT_DIR"] = str(tmp_path / "bilagor")
    handler = make.user([(Role.HANDLER, org["a"])], email="h@test.example")
    case = make.case(org["a"], by=handler)
    attachments.upload(handler, case, filename="stor.pdf", content=_pdf(0, 1_200_000))
    db.session.commit()
    key = new_key()
    output = tmp_path / "casetrack.cli.backup"
    assert cli(app, key, "backup", "--output", str(output)).exit_code == 0
    raw_key = base64.urlsafe_b64decode(key)
    with output.open("rb") as raw:
        plain = stream_crypto.DecryptingReader(raw, raw_key).read()
    sizes = {}
    for before_end in (1, 513, 5000, 20_000):
        # Chunks of a size that puts the last chunk boundary ``before_end`` bytes before
        # the end of the archive (chunks smaller than usual are valid) ...
        count = -(-(len(plain) - before_end) // stream_crypto.CHUNK_SIZE)
        sizes[f"last boundary {before_end} B before the end"] = (len(plain) - before_end) // count
    for size in (700, 4096):  # ... and several boundaries within the trailer
        sizes[f"chunks of {size} B"] = size
    outcomes = {}
    for name, size in sizes.items():
        altered = tmp_path / f"{size}.backup"
        with altered.open("wb") as raw, pytest.MonkeyPatch.context() as patch:
            patch.setattr(stream_crypto, "CHUNK_SIZE", size)
            writer = stream_crypto.EncryptingWriter(raw, raw_key)
            for start in range(0, len(plain), size):
                writer.write(plain[start : start + size])
            writer.close()
        (tmp_path / str(size)).mkdir()
        with empty_target(tmp_path / str(size)) as target:
            result = cli(target, key, "restore", "--input", str(altered))
            outcomes[name] = (result.exit_code, result.output.strip()[:60])
    assert outcomes == {n: (0, outcomes[n][1]) for n in outcomes}
    assert all("återlästes" in text for _code, text in outcomes.values())
