"""Reads of the admin screens: accounts with their roles, the org units, reference data
and message templates (no case content: SECURITY.md K3-22)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from casetrack.extensions import db
from casetrack.models import (
    ExternalIdentity,
    GroupRoleMapping,
    MessageTemplate,
    OrgUnit,
    RoleAssignment,
    User,
)


def row(model, ident):
    """One row of ``model`` by primary key (an account, unit, role or reference row)."""
    return db.session.get(model, ident)


def accounts(*, active_only: bool = False) -> list[User]:
    """Accounts with their roles and the roles' units; by name."""
    stmt = sa.select(User).options(
        selectinload(User.role_assignments).joinedload(RoleAssignment.org_unit)
    )
    if active_only:
        stmt = stmt.where(User.active.is_(True))
    return list(db.session.scalars(stmt.order_by(User.name)).all())


def units() -> list[OrgUnit]:
    """Every unit, active or not, by name."""
    return list(db.session.scalars(sa.select(OrgUnit).order_by(OrgUnit.name)))


def reference_rows(model) -> list:
    """The rows of one reference table, in their sort order (händelsetyper by list first)."""
    order = [model.sort_order, model.code]
    if hasattr(model, "lagrum_group"):
        order.insert(0, model.lagrum_group)
    return list(db.session.scalars(sa.select(model).order_by(*order)))


def message_templates() -> list[MessageTemplate]:
    return list(db.session.scalars(sa.select(MessageTemplate).order_by(MessageTemplate.name)))


def group_mappings() -> list[GroupRoleMapping]:
    """Every provider group → role mapping, by source and group (issue 18)."""
    return list(
        db.session.scalars(
            sa.select(GroupRoleMapping)
            .options(joinedload(GroupRoleMapping.org_unit))
            .order_by(
                GroupRoleMapping.provider.nulls_first(),
                GroupRoleMapping.group_ref,
                GroupRoleMapping.role,
                GroupRoleMapping.id,
            )
        )
    )


def linked_identities(user_id: int) -> list[ExternalIdentity]:
    return list(
        db.session.scalars(
            sa.select(ExternalIdentity)
            .where(ExternalIdentity.user_id == user_id)
            .order_by(ExternalIdentity.provider)
        )
    )
