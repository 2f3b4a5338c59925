"""Keyed pseudonyms of a brukare's personnummer (issue 19): avvikelser that concern the
same person can be linked without the personnummer being stored anywhere.

The pseudonym is HMAC-SHA256 of the 12-digit personnummer under a key that is never in the
database: ``CASETRACK_PSEUDONYM_KEY``, or the file named by ``CASETRACK_PSEUDONYM_KEY_FILE``
(at least 32 characters; `python -c "import secrets; print(secrets.token_urlsafe(32))"`).
Without the key, a copy of the database cannot be searched for a known personnummer (a
plain hash of the ~10^6 numbers a year has could be reversed in seconds). Development and
testing without a key get one generated in ``<instance>/pseudonym_key``; production
without one links no avvikelser (the field says so, and check-deploy fails).

The key cannot be rotated: the personnummer is not kept, so pseudonyms made with an old key
cannot be remade. Back it up with the database backup's keys (docs/operations/keys.md).
Personnummer are validated with python-stdnum (format, date and check digit).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path
from typing import Any

from flask import current_app
from stdnum.exceptions import ValidationError
from stdnum.se import personnummer

from casetrack.infra.paths import instance_key

KEY_FILE_NAME = "pseudonym_key"
MIN_KEY_LENGTH = 32
# A version prefix, so that a different scheme later cannot collide with these.
_CONTEXT = b"casetrack-brukare-v1:"


class PseudonymKeyMissing(RuntimeError):
    """Production has no pseudonym key: avvikelser cannot be linked by personnummer."""


class InvalidPersonnummer(ValueError):
    """Not a personnummer (format, date or check digit)."""


def configured_key(settings: dict[str, Any]) -> str | None:
    if settings.get("PSEUDONYM_KEY"):
        return str(settings["PSEUDONYM_KEY"]).strip()
    key_file = settings.get("PSEUDONYM_KEY_FILE")
    if key_file:
        lines = Path(key_file).read_text().splitlines()
        keys = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
        return keys[0] if keys else None
    return None


def problem(settings: dict[str, Any]) -> str | None:
    """Why pseudonyms cannot be made in production, or None (check-deploy)."""
    try:
        key = configured_key(settings)
    except OSError as error:
        return f"CASETRACK_PSEUDONYM_KEY_FILE kan inte läsas: {error.strerror}."
    if not key:
        return (
            "Ingen nyckel för pseudonymer (CASETRACK_PSEUDONYM_KEY eller "
            "CASETRACK_PSEUDONYM_KEY_FILE). Utan den kan avvikelser för samma brukare inte "
            'kopplas ihop. Skapa en med `python -c "import secrets; '
            'print(secrets.token_urlsafe(32))"`.'
        )
    if len(key) < MIN_KEY_LENGTH:
        return f"Nyckeln för pseudonymer ska vara minst {MIN_KEY_LENGTH} tecken."
    return None


def _development_key(instance_path: Path) -> str:
    return instance_key(instance_path, KEY_FILE_NAME, lambda: os.urandom(32).hex())


def _key() -> bytes:
    settings = current_app.config["CASETRACK"]
    key = configured_key(settings)
    if not key:
        if settings["ENV"] == "production":
            raise PseudonymKeyMissing("no pseudonym key configured")
        key = _development_key(Path(current_app.instance_path))
    return key.encode()


def available() -> bool:
    """True when pseudonyms can be made here."""
    try:
        _key()
    except (PseudonymKeyMissing, OSError):
        return False
    return True


def normalise(text: str) -> str:
    """The 12 digits of a personnummer (ÅÅÅÅMMDDNNNN) from what was typed (with or
    without century, dash or plus); InvalidPersonnummer otherwise."""
    try:
        compact = personnummer.validate(text.strip())
        born = personnummer.get_birth_date(compact)
    except ValidationError as error:
        raise InvalidPersonnummer(str(error)) from None
    # The century from the birth date (a "+" in the ten-digit form means 100 or older),
    # so 420317-2392 and 19420317-2392 are the same person.
    digits = compact.replace("-", "").replace("+", "")
    return f"{born.year:04d}{digits[-8:]}"


def pseudonym(text: str) -> str:
    """The keyed pseudonym (64 hex characters) of the personnummer in ``text``."""
    digits = normalise(text)
    return hmac.new(_key(), _CONTEXT + digits.encode(), hashlib.sha256).hexdigest()
