"""The TOTP second factor (pyotp; RFC 6238, 30-second steps, 6 digits).

A code is accepted for the current step and one step either side (clock drift), and only
once: the accepted step is stored, so a code seen over someone's shoulder cannot be
replayed. Recovery from a lost phone is an admin resetting the factor (services.admin).
"""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp

from casetrack import audit
from casetrack.domain.roles import Role
from casetrack.models import User, utcnow
from casetrack.services.errors import DomainError

WRONG_CODE = "Koden stämmer inte. Skriv de sex siffrorna som appen visar just nu."


def required_roles(setting: str) -> frozenset[str]:
    """The role codes in a ``CASETRACK_MFA_ROLES`` value such as "admin,manager"."""
    return frozenset(part.strip() for part in setting.split(",") if part.strip())


def is_required(user: User, setting: str) -> bool:
    """True when ``user`` holds a role that must use a second factor, or has enrolled."""
    roles = {Role(assignment.role).value for assignment in user.role_assignments}
    return bool(user.mfa_enabled_at) or bool(roles & required_roles(setting))


def secret_for_enrolment(user: User) -> str:
    """The secret to show at enrolment, created on first visit (not yet active)."""
    if user.mfa_enabled_at is not None:
        raise DomainError("Tvåstegsverifiering är redan aktiverad för kontot.")
    if not user.mfa_secret:
        user.mfa_secret = pyotp.random_base32()
    return user.mfa_secret


def provisioning_uri(user: User, issuer: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(user.mfa_secret).provisioning_uri(name=user.email, issuer_name=issuer)


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


def check_code(user: User, code: str, *, now: datetime | None = None) -> bool:
    """True for a fresh, valid code; remembers its step so it is not accepted again."""
    if not user.mfa_secret:
        return False
    step = _matching_step(user.mfa_secret, code, now or utcnow())
    if step is None or (user.mfa_last_step is not None and step <= user.mfa_last_step):
        return False
    user.mfa_last_step = step
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
