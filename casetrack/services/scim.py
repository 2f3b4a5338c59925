"""What the identity system pushes over SCIM 2.0 (issue 18): joins, moves and leaves.

Each write is audited with the actor label "SCIM (<token name>)" and never commits (the
request does, once). The rules:

- An account created over SCIM has ``origin = "scim"`` and no password: the person logs
  in through the identity provider. A POST for an e-mail address that already has an
  account takes that account over (linking it) unless it is an administrator account,
  which SCIM may never manage (the break-glass accounts, SECURITY.md K3-16).
- ``active: false`` deactivates the account and ends every session at once (K3-17); a
  DELETE does the same and takes the account out of SCIM's directory, but never deletes
  it: the audit trail names it. ``active: true`` (or a new POST) restores it, with the
  roles it held.
- A change of a group's members, name or externalId brings each affected account's
  group roles in line with its SCIM groups (``identity.sync_group_roles``, source
  ``scim``): a GroupRoleMapping whose group is one of the groups' externalId or
  displayName gives its role. A removed role ends the account's sessions.
- Tokens: only the SHA-256 of the secret is kept; revoked tokens stay for the trail.
"""

from __future__ import annotations

import secrets
import uuid

import sqlalchemy as sa

from casetrack import audit
from casetrack.domain.errors import DomainError
from casetrack.extensions import db
from casetrack.models import ExternalIdentity, ScimGroup, ScimGroupMember, ScimToken, User, utcnow
from casetrack.queries import scim as queries
from casetrack.services import identity, users

SOURCE = identity.SCIM_SOURCE
TOKEN_PREFIX = "ctscim_"  # noqa: S105  (a prefix secret scanners can match, not a secret)


ADMIN_ACCOUNT = "Kontot är ett administratörskonto i casetrack och kan inte styras över SCIM."


class ScimConflict(DomainError):
    """A value the service keeps unique is taken (SCIM 409 uniqueness)."""


class ScimNotFound(DomainError):
    """A member or resource named in the request does not exist (SCIM 400/404)."""


def actor_label(token: ScimToken) -> str:
    return f"SCIM ({token.name})"


# --- tokens ----------------------------------------------------------------------------


def create_token(name: str, *, actor_label: str = "cli") -> tuple[ScimToken, str]:
    """A new token named ``name``; returns it and its secret (shown once, never stored)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise DomainError("Ange ett namn på högst 100 tecken, t.ex. 'entra-id'.")
    if queries.token_by_name(name) is not None:
        raise DomainError(f"Det finns redan en giltig SCIM-token som heter {name!r}.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ScimToken(name=name, token_hash=queries.token_hash(secret))
    db.session.add(token)
    db.session.flush()
    audit.record(
        "security.scim_token_created",
        entity_type="scim_token",
        entity_id=token.id,
        actor=None,
        actor_label=actor_label,
        after={"name": name},
    )
    return token, secret


def revoke_token(name: str, *, actor_label: str = "cli") -> ScimToken:
    token = queries.token_by_name(name.strip())
    if token is None:
        raise DomainError(f"Ingen giltig SCIM-token heter {name!r}.")
    token.revoked_at = utcnow()
    audit.record(
        "security.scim_token_revoked",
        entity_type="scim_token",
        entity_id=token.id,
        actor=None,
        actor_label=actor_label,
        before={"name": token.name},
    )
    return token


def token_used(token: ScimToken) -> None:
    token.last_used_at = utcnow()


# --- users -----------------------------------------------------------------------------


def _subject(user: User, external_id: str | None) -> str:
    if external_id is None or not external_id.strip():
        return f"{queries.PLACEHOLDER_PREFIX}{user.id}"
    external_id = external_id.strip()
    if external_id.startswith(queries.PLACEHOLDER_PREFIX) or len(external_id) > 255:
        raise DomainError("externalId får inte börja med 'casetrack:' och har högst 255 tecken.")
    owner = queries.subject_owner(external_id)
    if owner is not None and owner != user.id:
        raise ScimConflict("Ett annat konto har redan det externalId.")
    return external_id


def _clean_name(display_name: str | None, user_name: str) -> str:
    name = (display_name or "").strip() or user_name
    return name[:200]


def _check_email(user_name: str, user: User | None = None) -> str:
    email = users.normalise_email(user_name or "")
    if not email or "@" not in email or len(email) > 254:
        raise DomainError("userName ska vara personens e-postadress.")
    other = users.find_user_by_email(email)
    if other is not None and (user is None or other.id != user.id):
        raise ScimConflict("Det finns redan ett konto med den e-postadressen.")
    return email


def create_user(
    token: ScimToken,
    *,
    user_name: str,
    display_name: str | None,
    active: bool,
    external_id: str | None,
) -> User:
    """A new account (origin scim), or an existing one that SCIM takes over."""
    label = actor_label(token)
    email = users.normalise_email(user_name or "")
    existing = users.find_user_by_email(email) if email else None
    if existing is None:
        email = _check_email(user_name)
        user = users.create_user(
            None, email=email, name=_clean_name(display_name, email), actor_label=label
        )
        user.origin = "scim"
        if not active:
            user.active = False
            audit.record(
                "user.deactivated", entity_type="user", entity_id=user.id, actor=None,
                actor_label=label, before={"active": True}, after={"active": False},
            )  # fmt: skip
    else:
        if queries.link_of(existing) is not None:
            raise ScimConflict("Kontot finns redan i SCIM-katalogen.")
        if users.is_admin(existing):
            raise ScimConflict(ADMIN_ACCOUNT)
        user = existing
        audit.record(
            "user.scim_linked", entity_type="user", entity_id=user.id, actor=None,
            actor_label=label, after={"origin": user.origin},
        )  # fmt: skip
        _change(user, label, name=_clean_name(display_name, email), active=active)
    db.session.add(
        ExternalIdentity(user_id=user.id, provider=SOURCE, subject=_subject(user, external_id))
    )
    user.updated_at = utcnow()
    db.session.flush()
    return user


def _change(user: User, label: str, *, name: str | None = None, email: str | None = None,
            active: bool | None = None) -> bool:  # fmt: skip
    changed = False
    before, after = {}, {}
    if name is not None and name != user.name:
        before["name"], after["name"] = user.name, name
        user.name = name
    if email is not None and email != user.email:
        before["email"], after["email"] = user.email, email
        user.email = email
    if before:
        audit.record(
            "user.updated", entity_type="user", entity_id=user.id, actor=None,
            actor_label=label, before=before, after=after,
        )  # fmt: skip
        changed = True
    if active is not None and active != user.active:
        set_active(user, active, label)
        changed = True
    return changed


def set_active(user: User, active: bool, label: str) -> None:
    """Deactivate (ending every session at once) or reactivate the account."""
    user.active = active
    if not active:
        users.end_all_sessions(user)
    audit.record(
        "user.activated" if active else "user.deactivated",
        entity_type="user",
        entity_id=user.id,
        actor=None,
        actor_label=label,
        before={"active": not active},
        after={"active": active},
    )


def _not_admin(user: User) -> None:
    """An administrator role given by hand to a SCIM account afterwards puts the account
    out of SCIM's reach (so the identity system cannot deactivate the last administrator)."""
    if users.is_admin(user):
        raise ScimConflict(ADMIN_ACCOUNT)


def update_user(
    token: ScimToken,
    user: User,
    *,
    user_name: str,
    display_name: str | None,
    active: bool,
    external_id: str | None,
) -> User:
    """Bring the account in line with its new SCIM state (PUT, or PATCH applied)."""
    _not_admin(user)
    label = actor_label(token)
    email = _check_email(user_name, user)
    changed = _change(user, label, name=_clean_name(display_name, email), email=email,
                      active=active)  # fmt: skip
    link = queries.link_of(user)
    subject = _subject(user, external_id)
    if link is not None and link.subject != subject:
        audit.record(
            "user.identity_linked", entity_type="user", entity_id=user.id, actor=None,
            actor_label=label, before={"provider": SOURCE, "subject": link.subject},
            after={"provider": SOURCE, "subject": subject},
        )  # fmt: skip
        link.subject = subject
        changed = True
    if changed:
        user.updated_at = utcnow()
    db.session.flush()
    return user


def delete_user(token: ScimToken, user: User) -> None:
    """SCIM DELETE: deactivate the account, end its sessions, drop its SCIM groups (and
    the roles they gave) and take it out of SCIM's directory. The row stays."""
    _not_admin(user)
    label = actor_label(token)
    if user.active:
        set_active(user, False, label)
    memberships = list(
        db.session.scalars(sa.select(ScimGroupMember).where(ScimGroupMember.user_id == user.id))
    )
    for membership in memberships:
        audit.record(
            "scim.member_removed", entity_type="scim_group", entity_id=membership.group_id,
            actor=None, actor_label=label, before={"user_id": user.id},
        )  # fmt: skip
        db.session.delete(membership)
    db.session.flush()
    identity.sync_group_roles(user, SOURCE, set(), actor_label=label)
    link = queries.link_of(user)
    if link is not None:
        db.session.delete(link)
    audit.record(
        "user.scim_unlinked", entity_type="user", entity_id=user.id, actor=None,
        actor_label=label, before={"active": user.active},
    )  # fmt: skip
    user.updated_at = utcnow()
    db.session.flush()


# --- groups ----------------------------------------------------------------------------


def _sync(user_ids: set[int], label: str) -> None:
    for user_id in sorted(user_ids):
        user = db.session.get(User, user_id)
        if user is not None:
            identity.sync_group_roles(
                user, SOURCE, queries.user_group_refs(user_id), actor_label=label
            )


def _member_ids(values: list[str]) -> set[int]:
    ids: set[int] = set()
    for value in values:
        number = int(value) if value.isascii() and value.isdigit() and len(value) < 18 else None
        if number is None:
            raise ScimNotFound(f"Ingen användare har SCIM-id {value!r}.")
        ids.add(number)
    missing = ids - queries.linked_user_ids(ids)
    if missing:
        raise ScimNotFound(f"Ingen användare har SCIM-id {sorted(missing)[0]!s}.")
    return ids


def _clean_group_name(display_name: str | None) -> str:
    name = (display_name or "").strip()
    if not name or len(name) > 255:
        raise DomainError("displayName krävs och har högst 255 tecken.")
    return name


def _clean_group_external_id(external_id: str | None) -> str | None:
    if external_id is None or not external_id.strip():
        return None
    if len(external_id.strip()) > 255:
        raise DomainError("externalId har högst 255 tecken.")
    return external_id.strip()


def create_group(
    token: ScimToken, *, display_name: str, external_id: str | None, member_values: list[str]
) -> ScimGroup:
    label = actor_label(token)
    group = ScimGroup(
        scim_id=uuid.uuid4().hex,
        display_name=_clean_group_name(display_name),
        external_id=_clean_group_external_id(external_id),
    )
    db.session.add(group)
    db.session.flush()
    audit.record(
        "scim.group_created", entity_type="scim_group", entity_id=group.id, actor=None,
        actor_label=label,
        after={"display_name": group.display_name, "external_id": group.external_id},
    )  # fmt: skip
    member_ids = _member_ids(member_values)
    _set_members(group, member_ids, set(), label)
    _sync(member_ids, label)
    return group


def _set_members(group: ScimGroup, wanted: set[int], held: set[int], label: str) -> None:
    for user_id in sorted(wanted - held):
        db.session.add(ScimGroupMember(group_id=group.id, user_id=user_id))
        audit.record(
            "scim.member_added", entity_type="scim_group", entity_id=group.id, actor=None,
            actor_label=label, after={"user_id": user_id},
        )  # fmt: skip
    for user_id in sorted(held - wanted):
        db.session.execute(
            sa.delete(ScimGroupMember).where(
                ScimGroupMember.group_id == group.id, ScimGroupMember.user_id == user_id
            )
        )
        audit.record(
            "scim.member_removed", entity_type="scim_group", entity_id=group.id, actor=None,
            actor_label=label, before={"user_id": user_id},
        )  # fmt: skip
    db.session.flush()


def update_group(
    token: ScimToken,
    group: ScimGroup,
    *,
    display_name: str,
    external_id: str | None,
    member_values: list[str],
) -> ScimGroup:
    """Bring the group in line with its new SCIM state; re-sync everyone it concerns."""
    label = actor_label(token)
    name = _clean_group_name(display_name)
    external = _clean_group_external_id(external_id)
    held = queries.group_member_ids(group)
    wanted = _member_ids(member_values)
    renamed = (name, external) != (group.display_name, group.external_id)
    if renamed:
        audit.record(
            "scim.group_updated", entity_type="scim_group", entity_id=group.id, actor=None,
            actor_label=label,
            before={"display_name": group.display_name, "external_id": group.external_id},
            after={"display_name": name, "external_id": external},
        )  # fmt: skip
        group.display_name, group.external_id = name, external
    _set_members(group, wanted, held, label)
    if renamed or wanted != held:
        group.updated_at = utcnow()
        db.session.flush()
    # A rename changes what the group maps to for every member; a membership change only
    # for those who joined or left.
    _sync((held | wanted) if renamed else (held ^ wanted), label)
    return group


def delete_group(token: ScimToken, group: ScimGroup) -> None:
    label = actor_label(token)
    held = queries.group_member_ids(group)
    audit.record(
        "scim.group_deleted", entity_type="scim_group", entity_id=group.id, actor=None,
        actor_label=label,
        before={"display_name": group.display_name, "external_id": group.external_id,
                "members": len(held)},
    )  # fmt: skip
    db.session.delete(group)
    db.session.flush()
    _sync(held, label)
