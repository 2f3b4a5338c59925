"""Who receives a job's e-mail: always decided through ``access.unit_ids_for``."""

from __future__ import annotations

import sqlalchemy as sa

from casetrack.access import unit_ids_for
from casetrack.domain.roles import Permission, Role
from casetrack.extensions import db
from casetrack.models import Case, RoleAssignment, User


class Recipients:
    """Caches each user's scope for one job run."""

    def __init__(self):
        self._scopes: dict[tuple[int, Permission], frozenset[int]] = {}
        self._by_role: dict[str, list[User]] = {}

    def may(self, user: User | None, permission: Permission, unit_id: int) -> bool:
        if user is None or not user.active:
            return False
        key = (user.id, permission)
        if key not in self._scopes:
            self._scopes[key] = unit_ids_for(user, permission)
        return unit_id in self._scopes[key]

    def with_role(self, role: Role) -> list[User]:
        if role.value not in self._by_role:
            self._by_role[role.value] = list(
                db.session.scalars(
                    sa.select(User)
                    .join(RoleAssignment, RoleAssignment.user_id == User.id)
                    .where(RoleAssignment.role == role.value, User.active.is_(True))
                    .distinct()
                    .order_by(User.id)
                )
            )
        return self._by_role[role.value]

    def for_case(self, case: Case) -> list[User]:
        """The assigned handler while they may still handle the case; otherwise the
        enhetschefer who may handle it (not every handler: no spam for forty people)."""
        handler = case.assigned_handler
        if self.may(handler, Permission.CASE_HANDLE, case.org_unit_id):
            return [handler]
        return self.role_in_unit(Role.MANAGER, Permission.CASE_HANDLE, case.org_unit_id)

    def role_in_unit(self, role: Role, permission: Permission, unit_id: int) -> list[User]:
        return [user for user in self.with_role(role) if self.may(user, permission, unit_id)]
