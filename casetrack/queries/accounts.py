"""Reads of user accounts for the web layer (the login's user loader, the choices of a
handler or IVO sender, the unit a medarbetare works in)."""

from __future__ import annotations

import sqlalchemy as sa

from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import RoleAssignment, User


def user(user_id: int) -> User | None:
    """The account with ``user_id``, or None."""
    return db.session.get(User, user_id)


def name_of(user_id: int) -> str | None:
    account = db.session.get(User, user_id)
    return account.name if account else None


def staff_unit_ids(account: User) -> list[int]:
    """The units ``account`` works in as medarbetare."""
    return list(
        db.session.scalars(
            sa.select(RoleAssignment.org_unit_id).where(
                RoleAssignment.user_id == account.id, RoleAssignment.role == Role.STAFF.value
            )
        )
    )
