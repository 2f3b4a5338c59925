"""Logins through the municipality's identity providers, and roles that follow its groups
(issue 18).

The protocol modules (web/auth/oidc.py, web/auth/saml.py) check the provider's answer
(signature, issuer, audience, nonce/state, time, replay) and hand the person's claims to
``login``; this module decides who that is in casetrack:

- the second factor must come from the provider: the login's acr/amr (OIDC) or
  AuthnContextClassRef (SAML) must include one the provider is configured to require;
- a known subject is its account; an unknown one with ``link_by_email`` takes over the
  local account with that address; otherwise a new account is created (just-in-time
  provisioning) — but only when the person's groups give them a role;
- the account's group-sourced role assignments from this provider are brought in line
  with the groups (``sync_group_roles``): a role whose group is gone is removed, a new
  group adds its role. Manual assignments are never touched.

SCIM (services/scim) uses ``sync_group_roles`` with the source ``scim``. Like every
service this audits and never commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from casetrack import audit
from casetrack.domain.errors import DomainError
from casetrack.domain.roles import ROLE_LABELS, Role
from casetrack.extensions import db
from casetrack.infra.identity_providers import Provider
from casetrack.models import (
    ExternalIdentity,
    GroupRoleMapping,
    OrgUnit,
    SsoSession,
    UsedProtocolMessage,
    User,
    utcnow,
)
from casetrack.services import users

SCIM_SOURCE = "scim"
SSO_ACTOR = "inloggning via {provider}"

NO_SECOND_FACTOR = (
    "Inloggningen gjordes utan tvåstegsverifiering hos {provider}. casetrack kräver "
    "inloggning med två steg (till exempel Microsoft Authenticator eller SITHS-kort). "
    "Logga in igen och välj ett sådant sätt."
)
ACCOUNT_INACTIVE = (
    "Ditt konto i casetrack är avstängt. Kontakta din chef eller IT-avdelningen om du "
    "behöver komma åt casetrack."
)
NO_ROLE = (
    "Du är inloggad hos {provider}, men ingen av dina grupper ger behörighet i casetrack. "
    "Be din chef att du läggs till i rätt grupp, och försök sedan igen."
)
NO_EMAIL = (
    "{provider} skickade ingen e-postadress för dig, och casetrack behöver en. Kontakta "
    "IT-avdelningen."
)
SUBJECT_TAKEN = (
    "Det finns redan ett konto i casetrack med din e-postadress, men det är kopplat till "
    "någon annan inloggning. Kontakta casetracks administratör."
)
ADMIN_NOT_FROM_GROUP = (
    "Administratörsrollen kan inte komma från en grupp: administratörer har egna "
    "nödkonton med lösenord och tvåstegsverifiering i casetrack."
)


@dataclass(frozen=True)
class Claims:
    """Who the provider says logged in, after the protocol module checked its answer."""

    subject: str
    email: str | None
    name: str | None
    groups: frozenset[str] = frozenset()
    # acr or AuthnContextClassRef, and amr (OIDC), as the provider sent them.
    acr: str | None = None
    amr: tuple[str, ...] = ()
    # For single logout: the provider's session (OIDC sid, SAML SessionIndex), the id
    # token (id_token_hint) or the SAML NameID and its format.
    session_ref: str | None = None
    id_token: str | None = None
    name_id: str | None = None
    name_id_format: str | None = None
    extra: dict = field(default_factory=dict)


def check_second_factor(provider: Provider, acr: str | None, amr: Iterable[str]) -> None:
    """Refuse a login that did not use a method the provider is configured to require."""
    if not provider.required_acr and not provider.required_amr:
        return
    if acr and acr in provider.required_acr:
        return
    if set(amr) & set(provider.required_amr):
        return
    raise DomainError(NO_SECOND_FACTOR.format(provider=provider.name))


def mapped_roles(source: str, groups: Iterable[str]) -> dict[tuple[str, int], str]:
    """(role, unit id) → the group that gives it, for ``groups`` held at ``source``."""
    groups = {group for group in groups if group}
    if not groups:
        return {}
    rows = db.session.execute(
        sa.select(GroupRoleMapping.role, GroupRoleMapping.org_unit_id, GroupRoleMapping.group_ref)
        .join(OrgUnit, OrgUnit.id == GroupRoleMapping.org_unit_id)
        .where(
            GroupRoleMapping.group_ref.in_(sorted(groups)),
            sa.or_(GroupRoleMapping.provider.is_(None), GroupRoleMapping.provider == source),
            OrgUnit.active.is_(True),
        )
        .order_by(GroupRoleMapping.group_ref)
    )
    wanted: dict[tuple[str, int], str] = {}
    for role, unit_id, group in rows:
        wanted.setdefault((role, unit_id), group)
    return wanted


def sync_group_roles(user: User, source: str, groups: Iterable[str], *, actor_label: str) -> bool:
    """Bring ``user``'s assignments from ``source`` in line with the groups they hold there.

    Adds a group assignment for each mapped (role, unit) the user does not hold; removes
    each group assignment from ``source`` whose group no longer maps to it. A role the
    user also holds by hand stays (the manual assignment is the one kept). Returns True
    when a role was removed: the caller ends the user's other sessions."""
    wanted = mapped_roles(source, groups)
    held = {(a.role, a.org_unit_id): a for a in user.role_assignments}
    removed = False
    for key, assignment in list(held.items()):
        if assignment.source != "group" or assignment.source_provider != source:
            continue
        group = wanted.get(key)
        if group is None:
            audit.record(
                "role.removed",
                entity_type="role_assignment",
                entity_id=assignment.id,
                actor=None,
                actor_label=actor_label,
                before={
                    "user_id": user.id,
                    "role": assignment.role,
                    "org_unit_id": assignment.org_unit_id,
                    "source_provider": source,
                    "source_group": assignment.source_group,
                },
            )
            user.role_assignments.remove(assignment)
            removed = True
        elif assignment.source_group != group:
            assignment.source_group = group
    for (role, unit_id), group in wanted.items():
        if (role, unit_id) in held:
            continue
        unit = db.session.get(OrgUnit, unit_id)
        assignment = users.assign_role(None, user, Role(role), unit, actor_label=actor_label)
        assignment.source = "group"
        assignment.source_provider = source
        assignment.source_group = group
    db.session.flush()
    if removed:
        users.end_all_sessions(user)
    return removed


def _linked_user(provider: Provider, claims: Claims) -> User | None:
    return db.session.scalar(
        sa.select(User)
        .join(ExternalIdentity, ExternalIdentity.user_id == User.id)
        .where(
            ExternalIdentity.provider == provider.key, ExternalIdentity.subject == claims.subject
        )
    )


def _link(user: User, provider: Provider, subject: str, actor_label: str) -> ExternalIdentity:
    identity = ExternalIdentity(user_id=user.id, provider=provider.key, subject=subject)
    db.session.add(identity)
    db.session.flush()
    audit.record(
        "user.identity_linked",
        entity_type="user",
        entity_id=user.id,
        actor=None,
        actor_label=actor_label,
        after={"provider": provider.key, "subject": subject},
    )
    return identity


def login(provider: Provider, claims: Claims) -> tuple[User, str]:
    """The account ``claims`` log in as, its roles synced, and a new provider session.

    Returns the user and the key of the SsoSession (kept in the session cookie). Raises
    ``DomainError`` with the message to show when the login is refused."""
    check_second_factor(provider, claims.acr, claims.amr)
    actor_label = SSO_ACTOR.format(provider=provider.key)
    user = _linked_user(provider, claims)
    wanted = mapped_roles(provider.key, claims.groups)
    if user is None:
        email = users.normalise_email(claims.email or "")
        if not email or "@" not in email:
            raise DomainError(NO_EMAIL.format(provider=provider.name))
        user = users.find_user_by_email(email)
        if user is not None:
            taken = db.session.scalar(
                sa.select(ExternalIdentity.id).where(
                    ExternalIdentity.user_id == user.id, ExternalIdentity.provider == provider.key
                )
            )
            if taken is not None or not provider.link_by_email:
                raise DomainError(SUBJECT_TAKEN)
        else:
            if not wanted:
                audit.record(
                    "auth.sso_no_role",
                    entity_type="user", entity_id=None, actor=None, actor_label=actor_label,
                    after={"provider": provider.key, "groups": sorted(claims.groups)},
                )  # fmt: skip
                raise DomainError(NO_ROLE.format(provider=provider.name))
            user = users.create_user(
                None, email=email, name=(claims.name or email).strip(), actor_label=actor_label
            )
            user.origin = "sso"
        _link(user, provider, claims.subject, actor_label)
    if not user.active:
        audit.record(
            "auth.sso_refused_inactive",
            entity_type="user", entity_id=user.id, actor=None, actor_label=actor_label,
            after={"provider": provider.key},
        )  # fmt: skip
        raise DomainError(ACCOUNT_INACTIVE)
    if claims.name and claims.name.strip() and claims.name.strip() != user.name:
        user.name = claims.name.strip()[:200]
    sync_group_roles(user, provider.key, claims.groups, actor_label=actor_label)
    if not user.role_assignments:
        audit.record(
            "auth.sso_no_role",
            entity_type="user", entity_id=user.id, actor=None, actor_label=actor_label,
            after={"provider": provider.key, "groups": sorted(claims.groups)},
        )  # fmt: skip
        raise DomainError(NO_ROLE.format(provider=provider.name))
    now = utcnow()
    db.session.execute(
        sa.update(ExternalIdentity)
        .where(
            ExternalIdentity.provider == provider.key, ExternalIdentity.subject == claims.subject
        )
        .values(last_login_at=now)
    )
    user.last_login_at = now
    # No casetrack session outlives SESSION_ABSOLUTE_HOURS: older provider sessions (and
    # the id tokens they hold) are of no use for logout and are purged here.
    hours = int(current_app.config["CASETRACK"]["SESSION_ABSOLUTE_HOURS"])
    db.session.execute(
        sa.delete(SsoSession).where(SsoSession.created_at < now - timedelta(hours=hours))
    )
    key = secrets.token_urlsafe(32)
    db.session.add(
        SsoSession(
            key=key,
            user_id=user.id,
            provider=provider.key,
            subject=claims.subject,
            session_ref=claims.session_ref,
            id_token=claims.id_token,
            name_id=claims.name_id,
            name_id_format=claims.name_id_format,
            authn_context=(claims.acr or ",".join(claims.amr) or None),
        )
    )
    audit.record(
        "auth.login",
        entity_type="user",
        entity_id=user.id,
        actor=user,
        after={"provider": provider.key, "authn_context": claims.acr or ",".join(claims.amr)},
    )
    return user, key


def sso_session(key: str | None) -> SsoSession | None:
    if not key:
        return None
    return db.session.scalar(sa.select(SsoSession).where(SsoSession.key == key))


def end_sso_session(sso: SsoSession) -> None:
    sso.ended_at = utcnow()


def provider_logout(
    provider: Provider, *, subject: str | None = None, session_ref: str | None = None
) -> int:
    """The provider ended a session (back-channel or front-channel logout): end the
    casetrack sessions it names — by its session id, else every one of the subject.
    Returns the number of accounts logged out."""
    if subject is None and session_ref is None:
        return 0
    query = sa.select(SsoSession).where(
        SsoSession.provider == provider.key, SsoSession.ended_at.is_(None)
    )
    if session_ref is not None:
        query = query.where(SsoSession.session_ref == session_ref)
    if subject is not None:
        query = query.where(SsoSession.subject == subject)
    ended_users: set[int] = set()
    now = utcnow()
    for sso in db.session.scalars(query):
        sso.ended_at = now
        if sso.user_id in ended_users:
            continue
        ended_users.add(sso.user_id)
        user = db.session.get(User, sso.user_id)
        users.end_all_sessions(user)
        audit.record(
            "auth.provider_logout",
            entity_type="user",
            entity_id=user.id,
            actor=None,
            actor_label=SSO_ACTOR.format(provider=provider.key),
            after={"provider": provider.key},
        )
    return len(ended_users)


def remember_once(key: str, expires_at: datetime) -> bool:
    """Record a protocol message id (SAML assertion, OIDC logout token jti) as used.

    False when it was used before: a replay. Expired ids are purged on the way."""
    db.session.execute(
        sa.delete(UsedProtocolMessage).where(UsedProtocolMessage.expires_at < utcnow())
    )
    if db.session.get(UsedProtocolMessage, key) is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(UsedProtocolMessage(key=key, expires_at=expires_at))
    except sa.exc.IntegrityError:
        return False
    return True


# The administrator's mapping (audited) ---------------------------------------------------


def add_mapping(
    actor: User | None,
    *,
    provider: str | None,
    group_ref: str,
    label: str,
    role: Role,
    unit_id: int,
    actor_label: str | None = None,
) -> GroupRoleMapping:
    group_ref = group_ref.strip()
    if not group_ref:
        raise DomainError("Ange gruppens id eller namn som den kommer från IdP:n.", "group_ref")
    if len(group_ref) > 255:
        raise DomainError("Gruppens id får ha högst 255 tecken.", "group_ref")
    if role == Role.ADMIN:
        raise DomainError(ADMIN_NOT_FROM_GROUP, "role")
    unit = db.session.get(OrgUnit, unit_id)
    if unit is None or not unit.active:
        raise DomainError("Välj en aktiv enhet i listan.", "org_unit_id")
    exists = db.session.scalar(
        sa.select(GroupRoleMapping.id).where(
            GroupRoleMapping.provider.is_(None)
            if provider is None
            else GroupRoleMapping.provider == provider,
            GroupRoleMapping.group_ref == group_ref,
            GroupRoleMapping.role == role.value,
            GroupRoleMapping.org_unit_id == unit.id,
        )
    )
    if exists is not None:
        raise DomainError("Gruppen ger redan den rollen på den enheten.", "group_ref")
    mapping = GroupRoleMapping(
        provider=provider,
        group_ref=group_ref,
        label=label.strip()[:200],
        role=role.value,
        org_unit_id=unit.id,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(mapping)
    db.session.flush()
    audit.record(
        "group_mapping.created",
        entity_type="group_role_mapping",
        entity_id=mapping.id,
        actor=actor,
        actor_label=actor_label,
        after=_mapping_snapshot(mapping),
    )
    return mapping


def remove_mapping(actor: User, mapping: GroupRoleMapping) -> None:
    """Remove a mapping. Roles it gave stay until each person's next login or SCIM push
    (the next sync finds the group no longer maps and removes them)."""
    audit.record(
        "group_mapping.removed",
        entity_type="group_role_mapping",
        entity_id=mapping.id,
        actor=actor,
        before=_mapping_snapshot(mapping),
    )
    db.session.delete(mapping)


def _mapping_snapshot(mapping: GroupRoleMapping) -> dict:
    return {
        "provider": mapping.provider,
        "group_ref": mapping.group_ref,
        "label": mapping.label,
        "role": mapping.role,
        "role_label": ROLE_LABELS[Role(mapping.role)],
        "org_unit_id": mapping.org_unit_id,
    }
