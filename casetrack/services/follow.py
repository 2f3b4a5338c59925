"""Follow grants: the server-side proof that a browser typed the right reference and code.

The session cookie holds only a random token; the ``follow_grant`` row (its SHA-256, the
case, an expiry) is what opens the case page. "Sluta följa" deletes the row, so a copy of
the cookie opens nothing afterwards; an expired row opens nothing either and is purged
when the next grant is made. Grants are session state like a login session, not case
data, so they are not audited; the failed attempts are (casetrack.web.intake.views).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa

from casetrack.extensions import db
from casetrack.models import Case, FollowGrant, utcnow

GRANT_SECONDS = 15 * 60


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def grant(case: Case, *, now: datetime | None = None) -> str:
    """Open ``case`` to this browser for 15 minutes; returns the token for the session."""
    now = now or utcnow()
    db.session.execute(sa.delete(FollowGrant).where(FollowGrant.expires_at < now))
    token = secrets.token_urlsafe(32)
    db.session.add(
        FollowGrant(
            token_hash=_digest(token),
            case_id=case.id,
            created_at=now,
            expires_at=now + timedelta(seconds=GRANT_SECONDS),
        )
    )
    return token


def granted_case_id(token: object, *, now: datetime | None = None) -> int | None:
    """The id of the case a live grant with ``token`` opens, or None."""
    if not isinstance(token, str) or not token:
        return None
    now = now or utcnow()
    return db.session.scalar(
        sa.select(FollowGrant.case_id).where(
            FollowGrant.token_hash == _digest(token), FollowGrant.expires_at > now
        )
    )


def end(token: object) -> None:
    """Delete the grant with ``token`` ("Sluta följa"); nothing if there is none."""
    if isinstance(token, str) and token:
        db.session.execute(sa.delete(FollowGrant).where(FollowGrant.token_hash == _digest(token)))
