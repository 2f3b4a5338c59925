"""Where a user holds one named role (not a permission): for a decision an organisation
setting gives to a role, such as approving an avvikelse's åtgärd plan (issue 19).

A role held on a unit reaches that unit and every unit below it, as for permissions
(``scoping.unit_ids_for``); a biträdande enhetschef (handler) does not hold the
enhetschef (manager) role, whatever permissions the two share.
"""

from __future__ import annotations

import sqlalchemy as sa

from casetrack.access.scoping import subtree_ids
from casetrack.extensions import db
from casetrack.models import RoleAssignment, User


def units_with_role(user: User | None, role: str) -> frozenset[int]:
    """The ids of the units where ``user`` holds ``role`` (the unit and below)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return frozenset()
    roots = set(
        db.session.scalars(
            sa.select(RoleAssignment.org_unit_id).where(
                RoleAssignment.user_id == user.id, RoleAssignment.role == role
            )
        )
    )
    return subtree_ids(roots)


def holds_role_on(user: User | None, role: str, unit_id: int) -> bool:
    """True when ``user`` holds ``role`` on ``unit_id`` or a unit above it."""
    return unit_id in units_with_role(user, role)
