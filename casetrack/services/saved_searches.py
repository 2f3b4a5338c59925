"""Saved case-list searches, kept on the server (issue 16).

Search words are personal data (names, addresses) and never travel in a URL (K3-54);
they were kept in the signed session cookie, readable by anyone holding it (base64).
Now the cookie holds only a random owner id for the login session, the list's URL an
opaque key, and ``saved_search`` the words: usable only by the same user in the same
login session, for at most SESSION_ABSOLUTE_HOURS (a login's longest life), at most
``MAX_PER_OWNER`` per session. Search state, like a session: not audited.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from casetrack.domain.errors import DomainError
from casetrack.extensions import db
from casetrack.models import SavedSearch, User, utcnow

MAX_PER_OWNER = 10
CONTROL_CHARACTERS = "Sökningen får inte innehålla osynliga tecken (styrtecken). Skriv om den."


def _digest(owner: str) -> str:
    return hashlib.sha256(owner.encode()).hexdigest()


def new_owner() -> str:
    """A random id for a login session's searches (kept in the session)."""
    return secrets.token_urlsafe(24)


def has_control_characters(text: str) -> bool:
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


def save(user: User, owner: str, text: str, *, now: datetime | None = None) -> str:
    """Keep ``text`` for ``user``'s session ``owner``; returns the key for the list URL."""
    now = now or utcnow()
    text = text.strip()
    if has_control_characters(text):
        raise DomainError(CONTROL_CHARACTERS, "text")
    owner_hash = _digest(owner)
    db.session.execute(sa.delete(SavedSearch).where(SavedSearch.expires_at < now))
    kept = db.session.scalars(
        sa.select(SavedSearch.id)
        .where(SavedSearch.owner_hash == owner_hash)
        .order_by(SavedSearch.id.desc())
        .offset(MAX_PER_OWNER - 1)
    ).all()
    if kept:
        db.session.execute(sa.delete(SavedSearch).where(SavedSearch.id.in_(kept)))
    key = secrets.token_urlsafe(12)
    hours = current_app.config["CASETRACK"]["SESSION_ABSOLUTE_HOURS"]
    db.session.add(
        SavedSearch(
            owner_hash=owner_hash,
            key=key,
            user_id=user.id,
            text=text,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    return key


def text_for(user: User, owner: object, key: str | None, *, now: datetime | None = None):
    """The words saved under ``key`` by ``user`` in session ``owner``, or None."""
    if not isinstance(key, str) or not key or len(key) > 32 or has_control_characters(key):
        return None
    if not isinstance(owner, str) or not owner:
        return None
    now = now or utcnow()
    return db.session.scalar(
        sa.select(SavedSearch.text).where(
            SavedSearch.owner_hash == _digest(owner),
            SavedSearch.key == key,
            SavedSearch.user_id == user.id,
            SavedSearch.expires_at > now,
        )
    )
