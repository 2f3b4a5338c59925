"""Organisation tree, users and their unit-scoped role assignments (DESIGN §3)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casetrack.domain.roles import Role
from casetrack.models.base import Base, utcnow

UNIT_LEVELS = ("forvaltning", "avdelning", "enhet", "verksamhet", "arbetsgrupp")
UNIT_LEVEL_LABELS = {
    "forvaltning": "Förvaltning",
    "avdelning": "Avdelning",
    "enhet": "Enhet",
    "verksamhet": "Verksamhet",
    "arbetsgrupp": "Arbetsgrupp",
}


class OrgUnit(Base):
    """A unit in the organisation tree, of any depth."""

    __tablename__ = "org_unit"
    __table_args__ = (
        sa.CheckConstraint(
            "level IN ('forvaltning', 'avdelning', 'enhet', 'verksamhet', 'arbetsgrupp')",
            name="level",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_unit.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    level: Mapped[str] = mapped_column(sa.String(20))
    # Prefix of case references for cases in this subtree (nearest ancestor's wins).
    reference_prefix: Mapped[str | None] = mapped_column(sa.String(6))
    active: Mapped[bool] = mapped_column(default=True)
    # Optimistic locking (migration 1030): bumped on every update; an edit form carries
    # the version it was opened at, and a save from an older one is refused.
    version: Mapped[int] = mapped_column(default=1, server_default=sa.text("1"))

    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[OrgUnit]] = relationship(back_populates="parent")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    def __repr__(self) -> str:
        return f"<OrgUnit {self.code}>"


class OrgTreeVersion(Base):
    """One row (id 1) whose token the database replaces on every write to ``org_unit``
    (triggers, migration 0980): processes cache the tree and reload it when the token
    they read differs from the one they cached (casetrack/access/org_tree.py)."""

    __tablename__ = "org_tree_version"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(sa.String(64))


class User(Base):
    """A person with an individual account (SECURITY.md K3-09)."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped at logout (and later on blocking): every older session cookie stops working.
    session_generation: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # TOTP second factor (pyotp). The secret is set at enrolment and confirmed by the
    # first valid code (mfa_enabled_at); an admin resets it when a phone is lost. Stored
    # as a Fernet token (services.mfa); rows from before encryption may still hold the
    # base32 secret in clear until its next use or key rotation.
    mfa_secret: Mapped[str | None] = mapped_column(sa.String(255))
    mfa_enabled_at: Mapped[datetime | None]
    # The last accepted 30-second time step: a code is accepted once only.
    mfa_last_step: Mapped[int | None]
    # The open WebAuthn ceremony (services.security_keys): SHA-256 of the challenge and when
    # it was issued. Cleared at the first answer, so a challenge is used once.
    webauthn_challenge_hash: Mapped[str | None] = mapped_column(sa.String(64))
    webauthn_challenge_at: Mapped[datetime | None]

    role_assignments: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        foreign_keys="RoleAssignment.user_id",
    )

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """Session identity: the id and the session generation, so logout revokes it."""
        return f"{self.id}:{self.session_generation}"

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class RoleAssignment(Base):
    """A role held on an org unit; it reaches the unit and all units below it."""

    __tablename__ = "role_assignment"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "role", "org_unit_id"),
        sa.CheckConstraint(
            "role IN (" + ", ".join(f"'{role.value}'" for role in Role) + ")", name="role"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(20))
    org_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_unit.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    # Behörighetsgranskning (K3-18): the last time someone confirmed the role is needed.
    # Never reviewed: the next review is due counted from created_at.
    last_reviewed_at: Mapped[datetime | None]
    last_reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    user: Mapped[User] = relationship(back_populates="role_assignments", foreign_keys=[user_id])
    org_unit: Mapped[OrgUnit] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    last_reviewed_by: Mapped[User | None] = relationship(foreign_keys=[last_reviewed_by_id])


class WebAuthnCredential(Base):
    """A security key or passkey registered as a second factor (SECURITY.md K3-15)."""

    __tablename__ = "webauthn_credential"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    # The authenticator's credential id (raw bytes) and COSE public key.
    credential_id: Mapped[bytes] = mapped_column(sa.LargeBinary, unique=True)
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary)
    # The signature counter the authenticator reported last (0 for keys without one).
    sign_count: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # How the browser can reach it (usb, nfc, ble, internal, hybrid), comma-separated.
    transports: Mapped[str] = mapped_column(sa.String(200), default="")
    # The name the person gave it, e.g. "YubiKey på nyckelknippan".
    name: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
