"""Attachments on a case: scanned blanketter, letters, photos (DESIGN §4 step 3).

The type is decided by the file's content (magic bytes), never by its name, and a name
whose extension does not match the content is refused. Files are stored outside the web
root under random names (``CASETRACK_ATTACHMENT_DIR``, default ``<instance>/attachments``)
with the SHA-256 of their content recorded, encrypted at rest (``casetrack.infra.attachment_keys``,
K3-41). Uploads, downloads and key rotation are audited; nothing commits here.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from casetrack import audit
from casetrack.domain.errors import DomainError, NotPermitted
from casetrack.extensions import db
from casetrack.infra import attachment_keys
from casetrack.models import Attachment, Case, User, utcnow
from casetrack.queries import settings as org_settings
from casetrack.services.checks import check_version, touch
from casetrack.services.escalation import may_record


@dataclass(frozen=True)
class FileType:
    code: str
    content_type: str
    extensions: frozenset[str]
    label: str


FILE_TYPES = (
    FileType("pdf", "application/pdf", frozenset({"pdf"}), "PDF"),
    FileType("png", "image/png", frozenset({"png"}), "PNG"),
    FileType("jpeg", "image/jpeg", frozenset({"jpg", "jpeg"}), "JPEG"),
    FileType("tiff", "image/tiff", frozenset({"tif", "tiff"}), "TIFF"),
    FileType("heic", "image/heic", frozenset({"heic", "heif"}), "HEIC"),
)
_BY_CODE = {t.code: t for t in FILE_TYPES}
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
ALLOWED_LABEL = "PDF, PNG, JPEG, TIFF eller HEIC"


def sniff(head: bytes) -> FileType | None:
    """The file type told by the first bytes of the content, or None if not allowed."""
    if head.startswith(b"%PDF-"):
        return _BY_CODE["pdf"]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _BY_CODE["png"]
    if head.startswith(b"\xff\xd8\xff"):
        return _BY_CODE["jpeg"]
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return _BY_CODE["tiff"]
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in _HEIC_BRANDS:
        return _BY_CODE["heic"]
    return None


def storage_dir() -> Path:
    configured = current_app.config["CASETRACK"].get("ATTACHMENT_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "attachments"


def max_bytes() -> int:
    return org_settings.get_int("attachment.max_bytes")


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")
    return f"{max(1, round(size / 1024))} kB"


def clean_filename(name: str | None) -> str:
    """The display name: the last path part, no control characters, at most 200 chars."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + dot + ext) if dot and len(ext) < 10 else name[:200]
    return name


def upload(
    actor: User,
    case: Case,
    *,
    filename: str | None,
    content: bytes,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Attachment:
    """Check and store a file on ``case``. Refuses empty and too large files, types other
    than PDF/PNG/JPEG/TIFF/HEIC by content, and names whose extension does not match the
    content. Audited (name length and hash, not the name itself)."""
    now = now or utcnow()
    if not may_record(actor, case):
        raise NotPermitted("Du kan inte lägga till bilagor i ärendet.")
    check_version(case, expected_version)
    name = clean_filename(filename)
    if not name:
        raise DomainError("Välj en fil.", "file")
    if not content:
        raise DomainError("Filen är tom.", "file")
    limit = max_bytes()
    if len(content) > limit:
        raise DomainError(
            f"Filen är för stor ({size_text(len(content))}). Största tillåtna storlek är "
            f"{size_text(limit)}.",
            "file",
        )
    file_type = sniff(content[:32])
    if file_type is None:
        raise DomainError(
            f"Filtypen går inte att bifoga. Tillåtna filer är {ALLOWED_LABEL}.", "file"
        )
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    if extension not in file_type.extensions:
        raise DomainError(
            f"Filens innehåll är {file_type.label} men namnet slutar inte så. Kontrollera "
            "att det är rätt fil och att filnamnet stämmer.",
            "file",
        )
    digest = hashlib.sha256(content).hexdigest()
    try:
        stored = attachment_keys.encrypt(content)
    except attachment_keys.AttachmentKeyMissing as error:
        raise DomainError(
            "Bilagor kan inte sparas just nu: krypteringsnyckeln för bilagor saknas. "
            "Kontakta systemförvaltningen.",
            "file",
        ) from error
    storage_name = secrets.token_hex(32)
    _write_file(storage_name, stored)
    attachment = Attachment(
        case_id=case.id,
        filename=name,
        content_type=file_type.content_type,
        size=len(content),
        sha256=digest,
        storage_name=storage_name,
        uploaded_at=now,
        uploaded_by_id=actor.id,
    )
    db.session.add(attachment)
    touch(case, actor, now)
    db.session.flush()
    audit.record(
        "attachment.uploaded",
        entity_type="attachment",
        entity_id=attachment.id,
        case=case,
        actor=actor,
        after={"content_type": file_type.content_type, "size": len(content), "sha256": digest},
        occurred_at=now,
    )
    return attachment


def _write_file(storage_name: str, data: bytes) -> None:
    """Write atomically (temporary file, then rename), readable by the owner only."""
    folder = storage_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = folder / f".{storage_name}.{secrets.token_hex(4)}.part"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(temporary, folder / storage_name)


def attachments_of(case: Case) -> list[Attachment]:
    return list(
        db.session.scalars(
            sa.select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id)
        )
    )


def open_for_download(
    actor: User, case: Case, attachment: Attachment, *, now: datetime | None = None
) -> bytes:
    """Audit the download and return the decrypted content. The caller has loaded
    ``case`` through the scoping function and checked the attachment belongs to it.
    FileNotFoundError if the file is gone."""
    now = now or utcnow()
    content = read_content(attachment)
    audit.record(
        "attachment.downloaded",
        entity_type="attachment",
        entity_id=attachment.id,
        case=case,
        actor=actor,
        after={"sha256": attachment.sha256},
        occurred_at=now,
    )
    return content


class AttachmentCorrupt(RuntimeError):
    """The decrypted content does not match the SHA-256 recorded at upload."""


def read_content(attachment: Attachment) -> bytes:
    """The attachment's original bytes, decrypted and checked against the recorded
    SHA-256 (no access check or audit: callers do that). FileNotFoundError if gone."""
    content = attachment_keys.decrypt((storage_dir() / attachment.storage_name).read_bytes())
    if hashlib.sha256(content).hexdigest() != attachment.sha256:
        raise AttachmentCorrupt(attachment.storage_name)
    return content


def rotate_key(*, now: datetime | None = None) -> int:
    """Re-encrypt every attachment file with the newest key (plaintext files from before
    encryption are encrypted). Each file is replaced atomically, so an interrupted run
    can be repeated. Audited once; returns the number of files."""
    now = now or utcnow()
    count = 0
    for attachment in db.session.scalars(sa.select(Attachment).order_by(Attachment.id)):
        path = storage_dir() / attachment.storage_name
        if not path.is_file():
            continue
        stored = attachment_keys.reencrypt(path.read_bytes())
        if hashlib.sha256(attachment_keys.decrypt(stored)).hexdigest() != attachment.sha256:
            raise AttachmentCorrupt(attachment.storage_name)
        _write_file(attachment.storage_name, stored)
        count += 1
    audit.record(
        "attachments.key_rotated",
        entity_type="attachment",
        entity_id=None,
        actor=None,
        actor_label="cli",
        after={"files": count},
        occurred_at=now,
    )
    return count
