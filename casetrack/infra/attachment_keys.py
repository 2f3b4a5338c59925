"""Encryption of attachment files at rest (SECURITY.md K3-41, K3-45, K3-47).

Files are stored as Fernet tokens (AES-128-CBC + HMAC-SHA256, from ``cryptography``).
Keys come from ``CASETRACK_ATTACHMENT_KEY`` (comma-separated) or from the file named by
``CASETRACK_ATTACHMENT_KEY_FILE`` (one key per line, ``#`` comments), never from the
repository or the database. The first key encrypts; all keys decrypt (``MultiFernet``), so
a new key is put first, ``casetrack rotate-attachment-key`` re-encrypts every file with it,
and the old key is then removed. Development and testing without a key get one generated
in ``<instance>/attachment_key``; production without a key stores no attachments.

Files stored before encryption was introduced are plaintext; they are recognised because a
Fernet token starts with ``gAAAAA`` and no allowed file type does, are read as they are,
and are encrypted by the rotation command.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

from casetrack.infra.paths import instance_key

KEY_FILE_NAME = "attachment_key"
TOKEN_PREFIX = b"gAAAAA"


class AttachmentKeyMissing(RuntimeError):
    """Production has no attachment key: attachments cannot be stored or read."""


class AttachmentKeyError(ValueError):
    """A configured key is malformed, or a file cannot be decrypted with any key."""


def configured_keys(settings: dict[str, Any]) -> list[str]:
    """The keys from the environment or the key file, newest first (may be empty)."""
    if settings.get("ATTACHMENT_KEY"):
        return [k.strip() for k in str(settings["ATTACHMENT_KEY"]).split(",") if k.strip()]
    key_file = settings.get("ATTACHMENT_KEY_FILE")
    if key_file:
        lines = Path(key_file).read_text().splitlines()
        return [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return []


def problem(settings: dict[str, Any]) -> str | None:
    """Why the attachment keys are unusable in production, or None (check-deploy)."""
    try:
        keys = configured_keys(settings)
    except OSError as error:
        return f"CASETRACK_ATTACHMENT_KEY_FILE kan inte läsas: {error.strerror}."
    if not keys:
        return (
            "Ingen nyckel för kryptering av bilagor (CASETRACK_ATTACHMENT_KEY eller "
            "CASETRACK_ATTACHMENT_KEY_FILE). Utan den sparas inga bilagor. Skapa en med "
            '`python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())"`.'
        )
    try:
        _fernet(keys)
    except AttachmentKeyError as error:
        return str(error)
    key_file = settings.get("ATTACHMENT_KEY_FILE")
    if key_file and not settings.get("ATTACHMENT_KEY") and os.stat(key_file).st_mode & 0o077:
        return f"Nyckelfilen {key_file} kan läsas av andra; sätt behörigheten till 600."
    return None


def _fernet(keys: list[str]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as error:
        raise AttachmentKeyError(
            "En nyckel för bilagor är ogiltig: varje nyckel ska vara en Fernet-nyckel "
            "(32 byte, url-säker base64)."
        ) from error


def _development_key(instance_path: Path) -> str:
    return instance_key(instance_path, KEY_FILE_NAME, lambda: Fernet.generate_key().decode())


def fernet() -> MultiFernet:
    """The key ring for the current app; raises AttachmentKeyMissing in production
    without a key (testing and development generate one in the instance folder)."""
    settings = current_app.config["CASETRACK"]
    keys = configured_keys(settings)
    if not keys:
        if settings["ENV"] == "production":
            raise AttachmentKeyMissing("no attachment key configured")
        keys = [_development_key(Path(current_app.instance_path))]
    return _fernet(keys)


def encrypt(content: bytes) -> bytes:
    return fernet().encrypt(content)


def decrypt(stored: bytes) -> bytes:
    """The plaintext of a stored file (plaintext files from before encryption as they are)."""
    if not stored.startswith(TOKEN_PREFIX):
        return stored
    try:
        return fernet().decrypt(stored)
    except InvalidToken as error:
        raise AttachmentKeyError("no configured key decrypts this attachment") from error


def reencrypt(stored: bytes) -> bytes:
    """``stored`` encrypted with the newest key (plaintext files are encrypted)."""
    ring = fernet()
    if not stored.startswith(TOKEN_PREFIX):
        return ring.encrypt(stored)
    try:
        return ring.rotate(stored)
    except InvalidToken as error:
        raise AttachmentKeyError("no configured key decrypts this attachment") from error
