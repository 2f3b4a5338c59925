"""People: accounts, their unit-scoped role assignments, security keys, the one-time
links e-mailed about their own account and their saved case-list searches (DESIGN §3)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casetrack.domain.roles import Role
from casetrack.models.base import Base, utcnow
from casetrack.models.organisation import OrgUnit


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
    # Any change to the account's name, address or state (SCIM meta.lastModified).
    updated_at: Mapped[datetime | None] = mapped_column(onupdate=utcnow)
    last_login_at: Mapped[datetime | None]
    # Where the account came from (issue 18): "local" (an administrator or the command
    # line), "sso" (created at its first login through a provider) or "scim" (pushed by
    # the identity system). An account without a password logs in only through a provider.
    origin: Mapped[str] = mapped_column(sa.String(10), default="local", server_default="local")
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
    # Where the assignment came from (issue 18): "manual" (granted by a person) or "group"
    # (membership of ``source_group`` at ``source_provider`` — a provider key or "scim" —
    # through a GroupRoleMapping). Group assignments are added and removed by the sync
    # at login or SCIM push; manual ones only by people.
    source: Mapped[str] = mapped_column(sa.String(10), default="manual", server_default="manual")
    source_provider: Mapped[str | None] = mapped_column(sa.String(40))
    source_group: Mapped[str | None] = mapped_column(sa.String(255))

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


# One-time links e-mailed to a person about their own account (issue 16).
# ``password``: choose a password (a new account, or a reset an administrator asked for).
# ``mfa_reset``: an administrator asked to reset the person's second factor; the person
# confirms by following the link, or a second administrator approves on the account page.
# Only the SHA-256 of the token is stored; the token itself is only in the e-mail. A link
# is used once (its state leaves ``open`` in one compare-and-set UPDATE), expires, and a
# new link of the same purpose replaces the older ones.
LINK_PURPOSES = ("password", "mfa_reset")


# open: waiting; used: followed by the person; approved: a second administrator approved
# (mfa_reset); replaced: a newer link of the same purpose was sent.
LINK_STATES = ("open", "used", "approved", "replaced")


class AccountLink(Base):
    __tablename__ = "account_link"
    __table_args__ = (
        sa.CheckConstraint("purpose IN ('password', 'mfa_reset')", name="purpose"),
        sa.CheckConstraint("state IN ('open', 'used', 'approved', 'replaced')", name="state"),
        sa.Index("ix_account_link_user_purpose_state", "user_id", "purpose", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    purpose: Mapped[str] = mapped_column(sa.String(20))
    # SHA-256 (hex) of the token in the link.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    state: Mapped[str] = mapped_column(sa.String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    # The administrator who asked for it (None: the command line or the person).
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    ended_at: Mapped[datetime | None]
    # The second administrator who approved an mfa_reset.
    ended_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])


# What a browser session refers to is kept on the server (issue 16): the signed session
# cookie is readable (base64) and cannot be revoked, so it holds only random ids. A saved
# search holds the words of a case-list search, under the opaque key in the list's URL,
# usable only by the login session (``owner_hash``) and user that saved them.
class SavedSearch(Base):
    __tablename__ = "saved_search"
    __table_args__ = (sa.UniqueConstraint("owner_hash", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_hash: Mapped[str] = mapped_column(sa.String(64))
    key: Mapped[str] = mapped_column(sa.String(32))
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
