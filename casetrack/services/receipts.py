"""The receipt of a public submission: POST/redirect/GET and the same submission twice.

Issue 20. The public form used to answer its POST with the receipt page, so reloading that
page posted the form again and registered a second case with a new kvittenskod. Now:

1. The POST registers the case and a ``receipt_grant`` row, and answers with a redirect to
   the receipt page. The session cookie holds only a random token; the row holds its
   SHA-256, the case, and the receipt code *sealed* (AES-GCM, with a key derived from the
   application's secret key), so neither a copied cookie nor a copied database alone
   reads the code.
2. The receipt page (GET) shows the code once and erases it from the row in the same
   request. A reload within the grant's ten minutes shows the diarienummer and says that
   the code was shown (and e-mailed, if an address was given); after that, or without a
   grant, the browser is sent to "Följ ditt ärende". The code is never in a URL, a log
   line or the cookie, and in the database only as a hash (DESIGN §2) and, for the
   moment between the POST and the receipt page, sealed.
3. The same submission sent again from the same browser within ten minutes of the first
   (a double click, a second tab, the back button and "Skicka" again) is recognised and
   registers nothing: the browser is sent to the first submission's receipt, which says
   it was already received, with its diarienummer (and the code, if that browser has not
   been shown it yet: after a double click the first answer never reached the screen).

"The same submission" is exact: the same browser session (a random id in its session
cookie) and the same unit, kind, text (without surrounding white space), anonymity,
answer wanted, name, e-mail (any letter case) and telephone. Any difference, in
particular another text, is a new case. Two people who happen to send the same words to
the same unit are two cases: neither is told the other's diarienummer. The row keeps only
an HMAC of these fields under a key derived from the secret key, never the fields.

Grants are session state like follow grants (casetrack.services.follow), not case data,
so they are not audited; the case they point to was audited when it was registered.
Expired rows are deleted at the next submission.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from casetrack.extensions import db
from casetrack.models import Case, ReceiptGrant, utcnow
from casetrack.services import intake

# How long the receipt page can be reloaded, and how long the same submission from the
# same browser counts as sent twice.
RECEIPT_SECONDS = 10 * 60
_NONCE_BYTES = 12


def _key(purpose: bytes) -> bytes:
    secret = current_app.secret_key
    if isinstance(secret, str):
        secret = secret.encode()
    return hmac.new(secret or b"", b"casetrack receipt grant: " + purpose, "sha256").digest()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def submission_digest(browser: str, data: intake.PublicSubmission) -> str:
    """What makes two submissions "the same" (see the module), as a keyed digest."""
    fields = [
        browser,
        data.kind_code,
        data.org_unit_id,
        (data.description or "").replace("\r\n", "\n").strip(),
        bool(data.is_anonymous),
        bool(data.wants_feedback),
        (data.submitter_name or "").strip(),
        (data.submitter_email or "").strip().casefold(),
        (data.submitter_phone or "").strip(),
    ]
    message = json.dumps(fields, ensure_ascii=False).encode()
    return hmac.new(_key(b"submission"), message, "sha256").hexdigest()


def _seal(code: str, associated: str) -> bytes:
    nonce = secrets.token_bytes(_NONCE_BYTES)
    return nonce + AESGCM(_key(b"code")).encrypt(nonce, code.encode(), associated.encode())


def _unseal(sealed: bytes, associated: str) -> str | None:
    try:
        plain = AESGCM(_key(b"code")).decrypt(
            sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], associated.encode()
        )
    except (InvalidTag, ValueError):  # the secret key changed in between
        return None
    return plain.decode()


@dataclass
class Submitted:
    """What the POST hands to the browser: the token for its session, nothing else."""

    token: str
    repeated: bool


def submit(
    data: intake.PublicSubmission, browser: str, *, now: datetime | None = None
) -> Submitted:
    """Register ``data`` from the public form unless this browser sent the same within
    the last ten minutes; either way return a fresh receipt token. Never commits.

    The grant row is inserted first, with ``INSERT … ON CONFLICT DO NOTHING`` on the
    submission digest, so two identical requests racing each other cannot both register
    a case: the second waits for the first to commit (PostgreSQL's unique index, SQLite's
    write lock) and then finds its row.
    """
    now = now or utcnow()
    db.session.execute(sa.delete(ReceiptGrant).where(ReceiptGrant.expires_at <= now))
    submission = submission_digest(browser, data)
    token = secrets.token_urlsafe(32)
    table = ReceiptGrant.__table__
    insert = (
        postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else (sqlite.insert)
    )
    grant_id = db.session.execute(
        insert(table)
        .values(
            token_hash=_digest(token),
            submission_hash=submission,
            emailed=False,
            repeated=False,
            created_at=now,
            expires_at=now + timedelta(seconds=RECEIPT_SECONDS),
        )
        .on_conflict_do_nothing(index_elements=["submission_hash"])
        .returning(table.c.id)
    ).scalar_one_or_none()
    if grant_id is None:
        grant = db.session.scalars(
            sa.select(ReceiptGrant).where(ReceiptGrant.submission_hash == submission)
        ).one()
        grant.token_hash = _digest(token)
        grant.repeated = True
        return Submitted(token=token, repeated=True)
    case, code = intake.submit_public(data, now=now)
    intake.queue_receipt_mail(case, code)
    grant = db.session.get(ReceiptGrant, grant_id)
    grant.case_id = case.id
    grant.sealed_code = _seal(code, submission)
    grant.emailed = bool(case.submitter_email)
    return Submitted(token=token, repeated=False)


@dataclass
class Receipt:
    """What the receipt page shows. ``code`` is None once it has been shown."""

    reference: str
    unit_name: str
    code: str | None
    emailed: bool
    repeated: bool


def open_receipt(token: object, *, now: datetime | None = None) -> Receipt | None:
    """The receipt a live grant with ``token`` holds, or None. Erases the sealed code, so
    the code is shown once. Never commits."""
    if not isinstance(token, str) or not token:
        return None
    now = now or utcnow()
    grant = db.session.scalars(
        sa.select(ReceiptGrant).where(
            ReceiptGrant.token_hash == _digest(token), ReceiptGrant.expires_at > now
        )
    ).one_or_none()
    case = db.session.get(Case, grant.case_id) if grant and grant.case_id else None
    if grant is None or case is None:
        return None
    code = _unseal(grant.sealed_code, grant.submission_hash) if grant.sealed_code else None
    if grant.sealed_code is not None:
        grant.sealed_code = None
    return Receipt(
        reference=case.reference,
        unit_name=case.org_unit.name,
        code=code,
        emailed=grant.emailed,
        repeated=grant.repeated,
    )
