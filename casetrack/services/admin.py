"""Administration: accounts, role assignments, the org tree and reference-data labels.

Every function here is a use of admin rights and writes an audit entry (SECURITY.md
K3-74, K3-75). Deactivating an account or removing a role ends all of the user's sessions
(K3-17); the scoping function reads roles on every request, so the change holds from the
next request on. The last active administrator can be neither deactivated nor stripped of
the role, so the organisation can always administer itself.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from casetrack import audit
from casetrack.domain.codes import BLOCK_REASONS, UNIT_LEVELS
from casetrack.domain.dates import local_date
from casetrack.domain.errors import DomainError
from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import (
    Case,
    CaseKind,
    Category,
    Channel,
    EventType,
    OrgUnit,
    OrgUnitPeriod,
    RoleAssignment,
    Source,
    Status,
    User,
    utcnow,
)
from casetrack.services import account_links, org_periods, users
from casetrack.services.checks import clean_text

REFERENCE_TABLES = {
    "kind": CaseKind,
    "source": Source,
    "channel": Channel,
    "category": Category,
    "status": Status,
    "event_type": EventType,
}
LAST_ADMIN = "Det måste finnas minst en aktiv systemadministratör. Utse en ny först."


def _active_admin_ids() -> set[int]:
    return set(
        db.session.scalars(
            sa.select(RoleAssignment.user_id)
            .join(User, User.id == RoleAssignment.user_id)
            .where(RoleAssignment.role == Role.ADMIN.value, User.active.is_(True))
        )
    )


# --- accounts ----------------------------------------------------------------------------


def create_account(actor: User, *, email: str, name: str) -> User:
    """Create an account without a password (audited by users.create_user): the person
    gets a one-time link by e-mail and chooses their own (services.account_links)."""
    user = users.create_user(actor, email=email, name=name)
    account_links.send_password_link(actor, user, new_account=True)
    return user


def set_active(actor: User, user: User, active: bool) -> None:
    """Activate or deactivate ``user``; deactivation ends every session at once."""
    if user.active == active:
        return
    _change_active(actor, user, active, "user.activated" if active else "user.deactivated")


def block_user(actor: User, user: User, reason: str) -> None:
    """Block an account at once (incident page, K3-17): deactivate it and end every
    session, audited as ``user.blocked`` with the reason's category code."""
    if reason not in dict(BLOCK_REASONS):
        raise DomainError("Välj varför kontot spärras.", "reason")
    if user.id == actor.id:
        raise DomainError(
            "Du kan inte spärra ditt eget konto. Be en annan systemadministratör göra det."
        )
    if not user.active:
        raise DomainError(f"Kontot för {user.name} är redan spärrat eller inaktiverat.")
    _change_active(actor, user, False, "user.blocked", {"reason": reason})


def _change_active(
    actor: User, user: User, active: bool, action: str, details: dict | None = None
) -> None:
    if not active and _active_admin_ids() == {user.id}:
        raise DomainError(LAST_ADMIN)
    user.active = active
    if not active:
        users.end_all_sessions(user)
    audit.record(
        action,
        entity_type="user",
        entity_id=user.id,
        actor=actor,
        before={"active": not active},
        after={"active": active, **(details or {})},
    )


def add_role(actor: User, user: User, role: Role, unit_id: int) -> RoleAssignment:
    """Give ``user`` ``role`` on a unit (audited by users.assign_role)."""
    unit = db.session.get(OrgUnit, unit_id)
    if unit is None or not unit.active:
        raise DomainError("Välj en aktiv enhet i listan.", "org_unit_id")
    return users.assign_role(actor, user, role, unit)


def remove_role(actor: User, assignment: RoleAssignment) -> None:
    """Remove a role assignment; the user's sessions end so the change holds at once.

    Also used by enhetschefer on the behörighetsgranskning page, for the assignments
    ``services.role_review`` lets them review.
    """
    user = assignment.user
    if assignment.role == Role.ADMIN.value and user.active:
        other_admin_roles = [
            a for a in user.role_assignments if a.role == Role.ADMIN.value and a is not assignment
        ]
        if not other_admin_roles and _active_admin_ids() == {user.id}:
            raise DomainError(LAST_ADMIN)
    before = {"user_id": user.id, "role": assignment.role, "org_unit_id": assignment.org_unit_id}
    audit.record(
        "role.removed",
        entity_type="role_assignment",
        entity_id=assignment.id,
        actor=actor,
        before=before,
    )
    user.role_assignments.remove(assignment)
    users.end_all_sessions(user)


def send_password_link(actor: User, user: User) -> None:
    """ "Skicka länk för nytt lösenord": only the person sees the link (in the e-mail)."""
    account_links.send_password_link(actor, user)


def request_second_factor_reset(actor: User, user: User) -> None:
    """Ask for ``user``'s second factors to be removed (a lost phone or key ring). Nothing
    changes until the person confirms by e-mail or another administrator approves."""
    account_links.request_mfa_reset(actor, user)


def approve_second_factor_reset(actor: User, user: User) -> None:
    """A second administrator approves the pending request; the person enrols again."""
    account_links.approve_mfa_reset(actor, user)


# --- org tree ----------------------------------------------------------------------------


def _unit_snapshot(unit: OrgUnit) -> dict:
    return {
        "code": unit.code,
        "name": unit.name,
        "level": unit.level,
        "parent_id": unit.parent_id,
        "reference_prefix": unit.reference_prefix,
        "active": unit.active,
        "closed_on": unit.closed_on.isoformat() if unit.closed_on else None,
    }


def _check_parent(unit: OrgUnit | None, parent_id: int | None) -> OrgUnit | None:
    if parent_id is None:
        return None
    parent = db.session.get(OrgUnit, parent_id)
    if parent is None:
        raise DomainError("Välj en överordnad enhet i listan.", "parent_id")
    node = parent
    while node is not None and unit is not None:
        if node.id == unit.id:
            raise DomainError(
                "En enhet kan inte flyttas in under sig själv eller en av sina underenheter.",
                "parent_id",
            )
        node = node.parent
    return parent


def _clean_prefix(prefix: str | None) -> str | None:
    prefix = (prefix or "").strip().upper() or None
    if prefix is not None and not (prefix.isascii() and prefix.isalpha() and len(prefix) <= 6):
        raise DomainError("Prefixet får bara innehålla 1–6 bokstäver A–Z.", "reference_prefix")
    return prefix


def create_unit(
    actor: User | None,
    *,
    code: str,
    name: str,
    level: str,
    parent_id: int | None,
    reference_prefix: str | None = None,
    actor_label: str | None = None,
    valid_from: date | None = None,
) -> OrgUnit:
    """Add a unit to the tree (audited; ``actor_label`` names a command line's actor); its
    place in the tree's history begins ``valid_from`` (default today)."""
    code = code.strip().upper()
    if not code or not all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in code):
        raise DomainError("Koden får bara innehålla bokstäver A–Z, siffror, - och _.", "code")
    if db.session.scalar(sa.select(OrgUnit.id).where(OrgUnit.code == code)) is not None:
        raise DomainError("Det finns redan en enhet med den koden.", "code")
    if not name.strip():
        raise DomainError("Ange enhetens namn.", "name")
    if level not in UNIT_LEVELS:
        raise DomainError("Välj en nivå i listan.", "level")
    parent = _check_parent(None, parent_id)
    unit = OrgUnit(
        code=code,
        name=name.strip(),
        level=level,
        parent=parent,
        reference_prefix=_clean_prefix(reference_prefix),
    )
    db.session.add(unit)
    db.session.flush()
    org_periods.start(unit, valid_from or local_date(utcnow()))
    audit.record(
        "unit.created", entity_type="org_unit", entity_id=unit.id, actor=actor,
        actor_label=actor_label, after=_unit_snapshot(unit),
    )  # fmt: skip
    return unit


def update_unit(
    actor: User,
    unit: OrgUnit,
    *,
    name: str,
    parent_id: int | None,
    reference_prefix: str | None,
    active: bool,
    effective: date | None = None,
) -> None:
    """Rename, move, change prefix, or close/reopen a unit (audited with before/after).

    A move or a rename starts a new period in the tree's history on ``effective`` (default
    today), so reports for earlier tertials keep the tree as it was; deactivating closes
    the unit today (``closed_on``): it keeps its place and its cases."""
    if not name.strip():
        raise DomainError("Ange enhetens namn.", "name")
    if unit.parent_id is not None and parent_id is None:
        raise DomainError("Välj en överordnad enhet.", "parent_id")
    parent = _check_parent(unit, parent_id)
    today = local_date(utcnow())
    before = _unit_snapshot(unit)
    org_periods.place(
        unit, parent_id=parent.id if parent else None, name=name.strip(),
        effective=effective or today,
    )  # fmt: skip
    unit.name = name.strip()
    unit.parent = parent
    unit.parent_id = parent.id if parent else None
    unit.reference_prefix = _clean_prefix(reference_prefix)
    if unit.active and not active:
        org_periods.close(unit, today)
    elif active and not unit.active:
        org_periods.reopen(unit)
    old, new = audit.diff(before, _unit_snapshot(unit))
    if new:
        audit.record(
            "unit.updated", entity_type="org_unit", entity_id=unit.id, actor=actor,
            before=old, after=new,
        )  # fmt: skip


def delete_unit(actor: User, unit: OrgUnit) -> None:
    """Delete a unit that was never used; a unit with cases can only be deactivated."""
    if db.session.scalar(sa.select(sa.func.count()).where(Case.org_unit_id == unit.id)):
        raise DomainError(
            "Enheten har ärenden och kan inte tas bort. Inaktivera den i stället, så finns "
            "ärendena och statistiken kvar."
        )
    if unit.children:
        raise DomainError("Enheten har underenheter. Flytta eller ta bort dem först.")
    if db.session.scalar(sa.select(sa.func.count()).where(RoleAssignment.org_unit_id == unit.id)):
        raise DomainError("Någon har en roll på enheten. Ta bort rollerna först.")
    if db.session.scalar(sa.select(sa.func.count()).where(OrgUnitPeriod.parent_id == unit.id)):
        raise DomainError(
            "Enheten har haft underenheter och finns i organisationens historik. Inaktivera "
            "den i stället, så visar rapporterna för tidigare perioder rätt träd."
        )
    audit.record(
        "unit.deleted", entity_type="org_unit", entity_id=unit.id, actor=actor,
        before=_unit_snapshot(unit),
    )  # fmt: skip
    db.session.delete(unit)


# --- reference data ----------------------------------------------------------------------


def update_reference(
    actor: User,
    table: str,
    code: str,
    *,
    label: str,
    active: bool,
    sort_order: int,
    retention_years: int | None = None,
    description: str | None = None,
    example: str | None = None,
):
    """Change the label, active flag and order of a reference row; never its code. A
    händelsetyp also has the description and example shown at the choice (issue 19)."""
    model = REFERENCE_TABLES[table]
    row = db.session.get(model, code)
    if row is None:
        raise DomainError("Posten finns inte.")
    if not label.strip():
        raise DomainError("Ange en benämning.", "label")
    before = {"label": row.label, "active": row.active, "sort_order": row.sort_order}
    row.label = label.strip()
    row.active = active
    row.sort_order = sort_order
    after = {"label": row.label, "active": row.active, "sort_order": row.sort_order}
    if table == "kind" and retention_years is not None:
        if not 1 <= retention_years <= 100:
            raise DomainError("Ange ett antal år mellan 1 och 100.", "retention_years")
        before["retention_years"] = row.retention_years
        row.retention_years = retention_years
        after["retention_years"] = retention_years
    if table == "event_type":
        for name, value in (("description", description), ("example", example)):
            text = clean_text(value, name, max_length=300, too_long="Högst 300 tecken.") or ""
            before[name] = getattr(row, name)
            setattr(row, name, text)
            after[name] = text
    old, new = audit.diff(before, after)
    if new:
        audit.record(
            f"reference.{table}.updated", entity_type=table, entity_id=None, actor=actor,
            before={"code": code, **old}, after={"code": code, **new},
        )  # fmt: skip
    return row
