"""Accounts, role assignments and sign-in (DESIGN §1, §3; SECURITY.md K3-09, K3-16)."""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from importlib import resources

import sqlalchemy as sa

from casetrack import audit
from casetrack.domain.errors import DomainError
from casetrack.domain.roles import CASE_ROLES, Role
from casetrack.extensions import db
from casetrack.infra.passwords import hash_password, needs_rehash, verify_password
from casetrack.models import OrgUnit, RoleAssignment, User, utcnow

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024


def normalise_email(email: str) -> str:
    return email.strip().lower()


@cache
def common_passwords() -> frozenset[str]:
    """The common passwords shipped in casetrack/data (lower case, one per line)."""
    text = resources.files("casetrack").joinpath("data/common_passwords.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


# zxcvbn (Dropbox's estimator) scores 0-4; 3 means about 10^8 guesses or more, the level
# its authors recommend for an online service behind throttling. It only looks at the
# first 72 characters; a longer password is judged by those.
MIN_ZXCVBN_SCORE = 3
ZXCVBN_MAX_LENGTH = 72
TOO_SHORT = (
    f"Lösenordet måste ha minst {MIN_PASSWORD_LENGTH} tecken. Mellanslag i början och slutet "
    "räknas inte, och flera mellanslag i rad räknas som ett."
)
TOO_LONG = f"Lösenordet får ha högst {MAX_PASSWORD_LENGTH} tecken."
TOO_COMMON = (
    "Lösenordet är för vanligt och lätt att gissa. Välj ett annat, gärna en mening med flera ord."
)
TOO_GUESSABLE = (
    "Lösenordet är för lätt att gissa: det liknar vanliga ord, årtal eller mönster som "
    "qwerty och 1234. Välj ett annat, gärna en mening med fyra eller fler ord."
)
PERSONAL = (
    "Lösenordet får inte bygga på ditt namn eller din e-postadress. Välj något som inte "
    "har med dig att göra, gärna en mening med flera ord."
)


@cache
def _zxcvbn():
    """zxcvbn with the shipped Swedish-heavy list added to its own dictionaries, once."""
    # local import: start-up cost (zxcvbn builds its dictionaries on import, ~45 ms)
    from zxcvbn import matching, zxcvbn

    matching.add_frequency_lists({"casetrack_common": sorted(common_passwords())})
    return zxcvbn


def _squash(text: str) -> str:
    """Lower case letters and digits only: "Nils.Nyman@x" and "nils nyman x" look alike."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def personal_words(email: str | None, name: str | None) -> list[str]:
    """The person's address, name and their parts (three characters or more)."""
    words = [email or "", name or "", (email or "").split("@")[0]]
    words += re.split(r"[\s.@_+\-]+", f"{email or ''} {name or ''}")
    return sorted({_squash(word) for word in words if len(_squash(word)) >= 3}, key=len)[::-1]


def _is_personal(password: str, words: list[str]) -> bool:
    """True when the password is mostly made of the person's own name and address."""
    rest = _squash(password)
    found = False
    for word in words:
        if word in rest:
            found = True
            rest = rest.replace(word, "")
    return found and len(rest) < MIN_PASSWORD_LENGTH - 4


def check_password_policy(
    password: str, *, email: str | None = None, name: str | None = None
) -> None:
    """A password a person may choose (ASVS 5.0 V6.2, NIST SP 800-63B 3.1.1.2): at least 12
    characters once surrounding and repeated spaces are left out, at most 1024, not on the
    shipped list of common passwords, not built on the person's name or address, and
    estimated hard to guess by zxcvbn. No composition rules."""
    if len(password) > MAX_PASSWORD_LENGTH:
        raise DomainError(TOO_LONG, "password")
    if len(" ".join(password.split())) < MIN_PASSWORD_LENGTH:
        raise DomainError(TOO_SHORT, "password")
    if password.strip().lower() in common_passwords():
        raise DomainError(TOO_COMMON, "password")
    words = personal_words(email, name)
    if _is_personal(password, words):
        raise DomainError(PERSONAL, "password")
    estimate = _zxcvbn()(password[:ZXCVBN_MAX_LENGTH], user_inputs=words)
    if estimate["score"] < MIN_ZXCVBN_SCORE:
        raise DomainError(TOO_GUESSABLE, "password")


def find_user_by_email(email: str) -> User | None:
    return db.session.scalars(
        sa.select(User).where(User.email == normalise_email(email))
    ).one_or_none()


# The password hash of an account whose person has not chosen a password yet: no password
# matches it (casetrack.infra.passwords), and it tells such accounts apart (``has_password``).
UNSET_HASH = "!"


def has_password(user: User) -> bool:
    return user.password_hash != UNSET_HASH


def create_user(
    actor: User | None,
    *,
    email: str,
    name: str,
    password: str | None = None,
    actor_label: str | None = None,
) -> User:
    """Create an account (audited). Raises ``DomainError`` for a taken address or weak password.

    Without ``password`` the account has none until the person chooses one through the
    link that ``services.account_links.send_password_link`` e-mails them; only the demo
    data, the tests and the command line's break-glass administrator pass one."""
    email = normalise_email(email)
    if not email or "@" not in email:
        raise DomainError("Ange en giltig e-postadress.", "email")
    if not name.strip():
        raise DomainError("Ange personens namn.", "name")
    if find_user_by_email(email) is not None:
        raise DomainError("Det finns redan ett konto med den e-postadressen.", "email")
    if password is not None:
        check_password_policy(password, email=email, name=name)
    password_hash = hash_password(password) if password is not None else UNSET_HASH
    user = User(email=email, name=name.strip(), password_hash=password_hash)
    db.session.add(user)
    db.session.flush()
    audit.record(
        "user.created",
        entity_type="user",
        entity_id=user.id,
        actor=actor,
        actor_label=actor_label,
        after={
            "email": email,
            "name": user.name,
            "active": True,
            "password_set": password is not None,
        },
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


def is_admin(user: User) -> bool:
    return any(a.role == Role.ADMIN.value for a in user.role_assignments)


def end_all_sessions(user: User) -> None:
    """Invalidate every session cookie issued to ``user`` so far (logout, blocking)."""
    user.session_generation = User.session_generation + 1
