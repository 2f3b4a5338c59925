"""Accounts, role assignments and sign-in (DESIGN §1, §3; SECURITY.md K3-09, K3-16)."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from importlib import resources

import sqlalchemy as sa

from casetrack import audit
from casetrack.domain.roles import CASE_ROLES, Role
from casetrack.extensions import db
from casetrack.models import OrgUnit, RoleAssignment, User, utcnow
from casetrack.passwords import hash_password, needs_rehash, verify_password
from casetrack.services.errors import DomainError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024


def normalise_email(email: str) -> str:
    return email.strip().lower()


@cache
def common_passwords() -> frozenset[str]:
    """The common passwords shipped in casetrack/data (lower case, one per line)."""
    text = resources.files("casetrack").joinpath("data/common_passwords.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def check_password_policy(password: str) -> None:
    """At least 12 characters, not a common password, no composition rules (ASVS 5.0 V6)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(f"Lösenordet måste ha minst {MIN_PASSWORD_LENGTH} tecken.", "password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise DomainError(f"Lösenordet får ha högst {MAX_PASSWORD_LENGTH} tecken.", "password")
    if password.strip().lower() in common_passwords():
        raise DomainError(
            "Lösenordet är för vanligt och lätt att gissa. Välj ett annat, gärna en mening "
            "med flera ord.",
            "password",
        )


def find_user_by_email(email: str) -> User | None:
    return db.session.scalars(
        sa.select(User).where(User.email == normalise_email(email))
    ).one_or_none()


def create_user(
    actor: User | None, *, email: str, name: str, password: str, actor_label: str | None = None
) -> User:
    """Create an account (audited). Raises ``DomainError`` for a taken address or weak password."""
    email = normalise_email(email)
    if not email or "@" not in email:
        raise DomainError("Ange en giltig e-postadress.", "email")
    if not name.strip():
        raise DomainError("Ange personens namn.", "name")
    if find_user_by_email(email) is not None:
        raise DomainError("Det finns redan ett konto med den e-postadressen.", "email")
    check_password_policy(password)
    user = User(email=email, name=name.strip(), password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    audit.record(
        "user.created",
        entity_type="user",
        entity_id=user.id,
        actor=actor,
        actor_label=actor_label,
        after={"email": email, "name": user.name, "active": True},
    )
    return user


def assign_role(
    actor: User | None,
    user: User,
    role: Role,
    unit: OrgUnit,
    *,
    actor_label: str | None = None,
) -> RoleAssignment:
    """Give ``user`` ``role`` on ``unit`` (audited).

    An admin account may hold no case role and vice versa (SECURITY.md K3-16): a person
    who administers and also handles cases has two accounts.
    """
    held = {Role(a.role) for a in user.role_assignments}
    if role == Role.ADMIN and held & CASE_ROLES:
        raise DomainError(
            "Ett administratörskonto kan inte ha roller i ärenden. Skapa ett separat konto.",
            "role",
        )
    if role in CASE_ROLES and Role.ADMIN in held:
        raise DomainError(
            "Kontot är ett administratörskonto och kan inte få roller i ärenden.", "role"
        )
    for existing in user.role_assignments:
        if existing.role == role.value and existing.org_unit_id == unit.id:
            return existing
    assignment = RoleAssignment(
        user=user, role=role.value, org_unit=unit, created_by_id=actor.id if actor else None
    )
    db.session.add(assignment)
    db.session.flush()
    audit.record(
        "role.assigned",
        entity_type="role_assignment",
        entity_id=assignment.id,
        actor=actor,
        actor_label=actor_label,
        after={"user_id": user.id, "role": role.value, "org_unit_id": unit.id},
    )
    return assignment


def authenticate(email: str, password: str, *, now: datetime | None = None) -> User | None:
    """The active user with this e-mail and password, or None (same cost either way)."""
    user = find_user_by_email(email)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now or utcnow()
    return user


def end_all_sessions(user: User) -> None:
    """Invalidate every session cookie issued to ``user`` so far (logout, blocking)."""
    user.session_generation = User.session_generation + 1
