"""The TOTP second factor (pyotp; RFC 6238, 30-second steps, 6 digits).

Who must use it (SECURITY.md K3-13, K3-14): ``CASETRACK_MFA_ROLES`` names role codes, or
``all`` for every account. Unset, it is ``all`` in production and ``admin`` in development
and testing. Accounts with the admin role always need it, whatever the setting says, and
an account that has enrolled keeps using it.

A code is accepted for the current step and one step either side (clock drift), and only
once: the accepted step is stored with a compare-and-set UPDATE, so a code seen over
someone's shoulder cannot be replayed, not even by logins at the same moment. Recovery
from a lost phone is a reset that the person confirms by e-mail or a second administrator
approves (services.account_links).

The secret is stored encrypted with the attachment key ring (casetrack.infra.attachment_keys,
Fernet; K3-41, K3-45, K3-47), so a copy of the database alone does not give anyone the
codes. Secrets stored in clear before this are still read, encrypted at their next use,
and all at once by ``casetrack rotate-attachment-key`` (``rotate_secrets``).
"""

from __future__ import annotations

import contextlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pyotp
import sqlalchemy as sa
from cryptography.fernet import InvalidToken
from sqlalchemy.orm.attributes import set_committed_value

from casetrack import audit
from casetrack.domain.errors import DomainError
from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.infra import attachment_keys
from casetrack.models import User, utcnow
from casetrack.services.mail import notify_second_factor_changed

WRONG_CODE = (
    "Koden stämmer inte, eller har redan använts. Vänta tills appen visar en ny kod och skriv "
    "de sex siffrorna."
)
KEY_UNAVAILABLE = (
    "Tvåstegsverifieringen kan inte användas just nu eftersom krypteringsnyckeln saknas "
    "eller är fel på servern. Kontakta systemförvaltningen."
)
# The CASETRACK_MFA_ROLES value meaning every account, whatever its roles.
ALL = "all"
ROLE_CODES = frozenset(role.value for role in Role)


class SecretUnavailable(DomainError):
    """The secret cannot be encrypted or decrypted: no key, or not the right one."""

    def __init__(self) -> None:
        super().__init__(KEY_UNAVAILABLE)


# --- who needs a second factor -----------------------------------------------------------


def configured_roles(settings: Mapping[str, Any]) -> str:
    """The MFA_ROLES value in force: the setting, or the environment's default."""
    value = settings.get("MFA_ROLES")
    if value is None:
        return ALL if settings.get("ENV", "production") == "production" else Role.ADMIN.value
    return str(value)


def required_roles(setting: str) -> frozenset[str]:
    """The codes in a ``CASETRACK_MFA_ROLES`` value such as "admin,manager" (or "all")."""
    return frozenset(part.strip().lower() for part in setting.split(",") if part.strip())


def unknown_roles(setting: str) -> frozenset[str]:
    """Codes in the value that are neither a role nor ``all`` (a typo check-deploy reports)."""
    return required_roles(setting) - ROLE_CODES - {ALL}


def roles_without_second_factor(setting: str) -> frozenset[Role]:
    """The roles whose accounts could log in with a password alone under ``setting``."""
    codes = required_roles(setting)
    if ALL in codes:
        return frozenset()
    return frozenset(role for role in Role if role != Role.ADMIN and role.value not in codes)


def is_required(user: User, settings: Mapping[str, Any]) -> bool:
    """True when ``user`` must give a second factor: enrolled, admin, or a required role."""
    if user.mfa_enabled_at is not None:
        return True
    codes = required_roles(configured_roles(settings))
    if ALL in codes:
        return True
    roles = {assignment.role for assignment in user.role_assignments}
    return bool(roles & (codes | {Role.ADMIN.value}))


# --- the secret, encrypted at rest ---------------------------------------------------------


def _is_encrypted(stored: str) -> bool:
    # A base32 secret is upper case A-Z and 2-7; a Fernet token starts with "gAAAAA".
    return stored.encode().startswith(attachment_keys.TOKEN_PREFIX)


def _encrypt(secret: str) -> str:
    try:
        return attachment_keys.fernet().encrypt(secret.encode()).decode()
    except (attachment_keys.AttachmentKeyMissing, attachment_keys.AttachmentKeyError) as error:
        raise SecretUnavailable() from error


def plain_secret(user: User) -> str | None:
    """The base32 secret of ``user`` (decrypted), or None before enrolment."""
    stored = user.mfa_secret
    if not stored:
        return None
    if not _is_encrypted(stored):
        return stored  # stored in clear before encryption; encrypted at its next use
    try:
        return attachment_keys.fernet().decrypt(stored.encode()).decode()
    except (
        attachment_keys.AttachmentKeyMissing,
        attachment_keys.AttachmentKeyError,
        InvalidToken,
    ) as error:
        raise SecretUnavailable() from error


def secret_for_enrolment(user: User) -> str:
    """The secret to show at enrolment, created on first visit (not yet active)."""
    if user.mfa_enabled_at is not None:
        raise DomainError("Tvåstegsverifiering är redan aktiverad för kontot.")
    secret = plain_secret(user)
    if secret is None:
        secret = pyotp.random_base32()
        user.mfa_secret = _encrypt(secret)
    return secret


def provisioning_uri(user: User, issuer: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(plain_secret(user)).provisioning_uri(name=user.email, issuer_name=issuer)


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for offset in (-1, 0, 1):
        if hmac.compare_digest(totp.generate_otp(current + offset), code):
            return current + offset
    return None


def _claim_step(user: User, step: int) -> bool:
    """Record ``step`` as used, atomically: a compare-and-set on the row, so of several
    logins with the same code at the same moment exactly one wins (the others' UPDATE
    finds the step already taken once the winner's row lock is released)."""
    result = db.session.execute(
        sa.update(User)
        .where(
            User.id == user.id,
            sa.or_(User.mfa_last_step.is_(None), User.mfa_last_step < step),
        )
        .values(mfa_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    set_committed_value(user, "mfa_last_step", step)
    return True


def check_code(user: User, code: str, *, now: datetime | None = None) -> bool:
    """True for a fresh, valid code; remembers its step so it is not accepted again.

    A secret still stored in clear is encrypted once the code is right (when a key is
    configured; production without one keeps reading it as it is)."""
    secret = plain_secret(user)
    if not secret:
        return False
    step = _matching_step(secret, code, now or utcnow())
    if step is None or (user.mfa_last_step is not None and step <= user.mfa_last_step):
        return False
    if not _claim_step(user, step):
        return False
    if not _is_encrypted(user.mfa_secret):
        with contextlib.suppress(SecretUnavailable):
            user.mfa_secret = _encrypt(secret)
    return True


def confirm_enrolment(user: User, code: str, *, now: datetime | None = None) -> None:
    """Activate the factor once the user proves the app shows the right codes. Audited."""
    now = now or utcnow()
    if user.mfa_enabled_at is not None or not user.mfa_secret:
        raise DomainError("Börja om inloggningen och aktivera tvåstegsverifiering igen.")
    if not check_code(user, code, now=now):
        raise DomainError(WRONG_CODE, "code")
    user.mfa_enabled_at = now
    audit.record(
        "user.mfa_enabled",
        entity_type="user",
        entity_id=user.id,
        actor=user,
        after={"mfa": True},
    )
    notify_second_factor_changed(
        user, "En app för engångskoder har just aktiverats som tvåstegsverifiering."
    )


def rotate_secrets() -> int:
    """Re-encrypt every TOTP secret with the newest key (secrets in clear are encrypted).

    Part of ``casetrack rotate-attachment-key``; raises ``SecretUnavailable`` when no
    configured key opens a secret, and then changes nothing (the caller rolls back).
    Audited once, with the number of accounts; returns it."""
    try:
        ring = attachment_keys.fernet()
    except (attachment_keys.AttachmentKeyMissing, attachment_keys.AttachmentKeyError) as error:
        raise SecretUnavailable() from error
    count = 0
    for user in db.session.scalars(
        sa.select(User).where(User.mfa_secret.is_not(None)).order_by(User.id)
    ):
        stored = user.mfa_secret.encode()
        try:
            rotated = (
                ring.rotate(stored) if _is_encrypted(user.mfa_secret) else ring.encrypt(stored)
            )
        except InvalidToken as error:
            raise SecretUnavailable() from error
        user.mfa_secret = rotated.decode()
        count += 1
    audit.record(
        "user.mfa_secrets_rotated",
        entity_type="user",
        entity_id=None,
        actor=None,
        actor_label="cli",
        after={"accounts": count},
    )
    return count
