"""Identity from the municipality (issue 18): logins through its identity providers
(OpenID Connect, SAML 2.0), the provider groups that give casetrack roles, the provider
sessions a single logout ends, and the SCIM directory the identity system pushes.

A provider is configured in a file (casetrack.infra.identity_providers), not in the
database; rows here name it by its ``key``. SCIM is the source ``scim``.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casetrack.domain.roles import Role
from casetrack.models.base import Base, utcnow
from casetrack.models.organisation import OrgUnit
from casetrack.models.user import User


class ExternalIdentity(Base):
    """A person as a provider knows them: the provider's stable subject (OIDC ``sub`` or
    Entra's ``oid``, a SAML persistent NameID, a SCIM ``externalId``) linked to one
    casetrack account. A provider subject is linked to at most one account."""

    __tablename__ = "external_identity"
    __table_args__ = (sa.UniqueConstraint("provider", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    provider: Mapped[str] = mapped_column(sa.String(40))
    subject: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class GroupRoleMapping(Base):
    """Administrator-edited (audited): members of a provider group get ``role`` on a unit.

    ``group`` is what the provider sends: an Entra/AD group object id or a group name
    (OIDC ``groups`` claim, a SAML attribute value, a SCIM group's externalId or
    displayName). ``provider`` NULL: the mapping holds whichever source sends the group.
    """

    __tablename__ = "group_role_mapping"
    __table_args__ = (
        sa.UniqueConstraint("provider", "group_ref", "role", "org_unit_id"),
        sa.CheckConstraint(
            "role IN (" + ", ".join(f"'{role.value}'" for role in Role) + ")", name="role"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str | None] = mapped_column(sa.String(40))
    group_ref: Mapped[str] = mapped_column(sa.String(255), index=True)
    # A name for people ("Hemtjänst Solberga – medarbetare"); the group_ref is often a GUID.
    label: Mapped[str] = mapped_column(sa.String(200), default="")
    role: Mapped[str] = mapped_column(sa.String(20))
    org_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_unit.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    org_unit: Mapped[OrgUnit] = relationship()


class SsoSession(Base):
    """A casetrack login made through a provider: what single logout needs.

    The session cookie holds only ``key`` (random). ``session_ref`` is the provider's
    session (OIDC ``sid``, SAML ``SessionIndex``); a back-channel or front-channel logout
    naming it, or the subject, ends the account's casetrack sessions. ``id_token`` is kept
    for the RP-initiated logout's ``id_token_hint``; ``name_id`` for a SAML LogoutRequest.
    """

    __tablename__ = "sso_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    provider: Mapped[str] = mapped_column(sa.String(40))
    subject: Mapped[str] = mapped_column(sa.String(255))
    session_ref: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    id_token: Mapped[str | None] = mapped_column(sa.Text)
    name_id: Mapped[str | None] = mapped_column(sa.String(255))
    name_id_format: Mapped[str | None] = mapped_column(sa.String(255))
    # What the provider said about how the person authenticated (acr / AuthnContextClassRef,
    # amr), shown in the audit trail.
    authn_context: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]


class UsedProtocolMessage(Base):
    """Replay guard: the id of each SAML assertion / response and each OIDC logout token
    (``jti``) accepted, kept until it would have expired anyway. A second use of the same
    id is refused (inserting it again violates the primary key)."""

    __tablename__ = "used_protocol_message"

    key: Mapped[str] = mapped_column(sa.String(300), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ScimToken(Base):
    """A bearer token for the SCIM endpoints, shown once at creation; only its SHA-256 is
    kept. Revoked tokens stay for the audit trail."""

    __tablename__ = "scim_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class ScimGroup(Base):
    """A group as the identity system pushes it over SCIM (RFC 7643 §4.2)."""

    __tablename__ = "scim_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The SCIM resource id (a UUID string), stable across renames.
    scim_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(255))
    external_id: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1, server_default=sa.text("1"))

    members: Mapped[list[ScimGroupMember]] = relationship(
        back_populates="group", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class ScimGroupMember(Base):
    __tablename__ = "scim_group_member"

    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("scim_group.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    group: Mapped[ScimGroup] = relationship(back_populates="members")
    user: Mapped[User] = relationship()
