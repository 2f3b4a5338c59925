"""Attachments are encrypted at rest (K3-41, K3-45, K3-47): the stored file holds no
plaintext, a download gives the original bytes, rotation keeps every file readable, and
production without a key stores nothing."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from casetrack.domain.errors import DomainError
from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import Attachment, AuditEntry
from casetrack.services import attachments

PDF = b"%PDF-1.7\n% Brukaren Anna Andersson 19121212-1212\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


@pytest.fixture
def folder(app, tmp_path):
    app.config["CASETRACK"]["ATTACHMENT_DIR"] = str(tmp_path / "bilagor")
    return tmp_path / "bilagor"


@pytest.fixture
def people(make, org):
    handler = make.user([(Role.HANDLER, org["a"])], email="h@test.example")
    case = make.case(org["a"], by=handler, received_on=date(2026, 3, 2))
    db.session.commit()
    return handler, case


def _upload(people) -> Attachment:
    handler, case = people
    attachment = attachments.upload(handler, case, filename="blankett.pdf", content=PDF)
    db.session.commit()
    return attachment


def test_the_stored_file_holds_no_plaintext_and_a_download_gives_the_original(
    app, client, auth, folder, people
):
    attachment = _upload(people)
    stored = (folder / attachment.storage_name).read_bytes()
    assert b"Anna Andersson" not in stored and b"%PDF" not in stored
    assert stored.startswith(b"gAAAAA")  # a Fernet token
    auth.login("h@test.example")
    response = client.get(f"/arenden/{people[1].id}/bilagor/{attachment.id}")
    assert response.status_code == 200
    assert response.data == PDF
    response.close()


def test_rotation_re_encrypts_every_file_and_the_old_key_can_then_go(app, folder, people):
    settings = app.config["CASETRACK"]
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings["ATTACHMENT_KEY"] = old
    attachment = _upload(people)
    # A file stored before encryption was introduced (plaintext) is encrypted too.
    legacy = attachments.upload(people[0], people[1], filename="b.pdf", content=PDF)
    (folder / legacy.storage_name).write_bytes(PDF)
    db.session.commit()
    before = (folder / attachment.storage_name).read_bytes()

    settings["ATTACHMENT_KEY"] = f"{new},{old}"
    result = app.test_cli_runner().invoke(args=["rotate-attachment-key"])
    assert result.exit_code == 0, result.output
    assert "2 bilagor" in result.output
    settings["ATTACHMENT_KEY"] = new
    for item in (attachment, legacy):
        stored = (folder / item.storage_name).read_bytes()
        assert stored.startswith(b"gAAAAA") and stored != before
        assert Fernet(new.encode()).decrypt(stored) == PDF
        assert attachments.read_content(item) == PDF
    assert db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.action == "attachments.key_rotated")
    ).all() == ["attachments.key_rotated"]
    # Without the new key, the files no longer open.
    settings["ATTACHMENT_KEY"] = old
    with pytest.raises(ValueError):
        attachments.read_content(attachment)


def test_a_key_file_outside_the_repository_is_used(app, folder, people, tmp_path):
    key = Fernet.generate_key()
    key_file = tmp_path / "attachment.keys"
    key_file.write_text(f"# newest first\n{key.decode()}\n")
    app.config["CASETRACK"]["ATTACHMENT_KEY_FILE"] = str(key_file)
    attachment = _upload(people)
    assert Fernet(key).decrypt((folder / attachment.storage_name).read_bytes()) == PDF


def test_production_without_a_key_stores_no_attachment(app, folder, people):
    app.config["CASETRACK"]["ENV"] = "production"
    handler, case = people
    with pytest.raises(DomainError, match="krypteringsnyckeln för bilagor saknas"):
        attachments.upload(handler, case, filename="blankett.pdf", content=PDF)
    assert not folder.exists() or not any(folder.iterdir())


def test_an_altered_file_is_refused(app, folder, people):
    attachment = _upload(people)
    path = folder / attachment.storage_name
    data = bytearray(path.read_bytes())
    data[60] = ord("A") if data[60] != ord("A") else ord("B")
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError):
        attachments.read_content(attachment)
