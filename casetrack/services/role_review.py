"""Behörighetsgranskning: responsible people confirm or remove role assignments (K3-18).

Who reviews what:

- systemadministratörer review every assignment, and are the only ones who review the
  *privileged* ones (``roles.PRIVILEGED_ROLES``: admin, manager, quality, mas, sas,
  investigator);
- an enhetschef reviews the other assignments (staff, handler) held on the units where
  they hold ``Permission.ROLE_REVIEW`` (their unit and the units below it, through
  ``access.unit_ids_for``).

Nobody reviews their own assignments: they are listed, without the buttons. "Granskad"
records the review (``role.reviewed``); "Ta bort" goes through ``admin.remove_role``,
which ends the person's sessions (``role.removed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from casetrack import audit
from casetrack.access import is_admin, subtree_ids, unit_ids_for
from casetrack.domain import role_review as rules
from casetrack.domain.errors import DomainError
from casetrack.domain.roles import PRIVILEGED_ROLES, Permission, Role, is_privileged
from casetrack.extensions import db
from casetrack.models import ExternalIdentity, OrgUnit, RoleAssignment, User
from casetrack.services import admin as admin_service

NON_PRIVILEGED_ROLES = sorted(role.value for role in set(Role) - PRIVILEGED_ROLES)
GONE = (
    "Behörigheten finns inte längre i din lista. Någon annan kan redan ha tagit bort den. "
    "Listan nedan är uppdaterad."
)


def intervals() -> rules.Intervals:
    settings = current_app.config["CASETRACK"]
    return rules.Intervals(
        privileged_days=int(settings["ROLE_REVIEW_PRIVILEGED_DAYS"]),
        other_days=int(settings["ROLE_REVIEW_OTHER_DAYS"]),
        notice_days=int(settings["ROLE_REVIEW_NOTICE_DAYS"]),
    )


@dataclass
class Row:
    assignment: RoleAssignment
    privileged: bool
    due_on: date
    status: rules.ReviewStatus
    own: bool  # the reviewer's own assignment: shown, never reviewed by them
    # The account logs in through a provider (issue 18): its roles should come from its
    # groups, so a role granted by hand is flagged for the reviewer.
    federated: bool = False

    @property
    def from_group(self) -> bool:
        return self.assignment.source == "group"

    @property
    def manual_grant_to_federated(self) -> bool:
        return self.federated and not self.from_group

    @property
    def status_label(self) -> str:
        return rules.STATUS_LABELS[self.status]


def due_on(assignment: RoleAssignment, spans: rules.Intervals) -> date:
    return rules.due_on(
        assignment.created_at, assignment.last_reviewed_at, spans.days_for(assignment.role)
    )


def scope(reviewer: User):
    """WHERE clause: the role assignments ``reviewer`` may see on the review page."""
    if is_admin(reviewer):
        return sa.true()
    units = unit_ids_for(reviewer, Permission.ROLE_REVIEW)
    if not units:
        return sa.false()
    return sa.and_(
        RoleAssignment.org_unit_id.in_(sorted(units)),
        RoleAssignment.role.in_(NON_PRIVILEGED_ROLES),
    )


def may_review(reviewer: User, assignment: RoleAssignment) -> bool:
    if assignment.user_id == reviewer.id:
        return False
    if is_admin(reviewer):
        return True
    return not is_privileged(assignment.role) and assignment.org_unit_id in unit_ids_for(
        reviewer, Permission.ROLE_REVIEW
    )


def units_in_scope(reviewer: User) -> list[OrgUnit]:
    """The units a reviewer may filter the list by."""
    stmt = sa.select(OrgUnit).order_by(OrgUnit.name)
    if not is_admin(reviewer):
        stmt = stmt.where(OrgUnit.id.in_(sorted(unit_ids_for(reviewer, Permission.ROLE_REVIEW))))
    return list(db.session.scalars(stmt))


_ORDER = {rules.ReviewStatus.OVERDUE: 0, rules.ReviewStatus.DUE: 1, rules.ReviewStatus.OK: 2}


def rows(
    reviewer: User, today: date, *, unit_id: int | None = None, only_due: bool = False
) -> list[Row]:
    """The assignments ``reviewer`` sees, overdue first, then due, then by due date."""
    stmt = (
        sa.select(RoleAssignment)
        .where(scope(reviewer))
        .options(
            joinedload(RoleAssignment.user),
            joinedload(RoleAssignment.org_unit),
            joinedload(RoleAssignment.created_by),
            joinedload(RoleAssignment.last_reviewed_by),
        )
    )
    if unit_id is not None:
        stmt = stmt.where(RoleAssignment.org_unit_id.in_(sorted(subtree_ids({unit_id}))))
    spans = intervals()
    federated = federated_user_ids()
    result = []
    for assignment in db.session.scalars(stmt).unique():
        due = due_on(assignment, spans)
        state = rules.status(due, today, spans.notice_days)
        if only_due and state == rules.ReviewStatus.OK:
            continue
        result.append(
            Row(
                assignment=assignment,
                privileged=is_privileged(assignment.role),
                due_on=due,
                status=state,
                own=assignment.user_id == reviewer.id,
                federated=assignment.user_id in federated,
            )
        )
    result.sort(key=lambda r: (_ORDER[r.status], r.due_on, r.assignment.user.name, r.assignment.id))
    return result


def federated_user_ids() -> set[int]:
    """Accounts that log in through a provider or were pushed by SCIM."""
    return set(
        db.session.scalars(
            sa.select(ExternalIdentity.user_id).union(
                sa.select(User.id).where(User.origin != "local")
            )
        )
    )


def find(reviewer: User, assignment_id: int) -> RoleAssignment | None:
    """The assignment if it still exists and ``reviewer`` may review it; else None.

    Unknown and out-of-scope ids answer the same, so ids do not leak.
    """
    assignment = db.session.get(RoleAssignment, assignment_id)
    if assignment is None or not may_review(reviewer, assignment):
        return None
    return assignment


def record_review(actor: User, assignment: RoleAssignment, now: datetime) -> None:
    """ "Granskad – behörigheten behövs": the next review is due one interval from now."""
    if not may_review(actor, assignment):
        raise DomainError(GONE)
    before = {
        "last_reviewed_at": assignment.last_reviewed_at,
        "last_reviewed_by_id": assignment.last_reviewed_by_id,
    }
    assignment.last_reviewed_at = now
    assignment.last_reviewed_by_id = actor.id
    audit.record(
        "role.reviewed",
        entity_type="role_assignment",
        entity_id=assignment.id,
        actor=actor,
        before=before,
        after={
            "user_id": assignment.user_id,
            "role": assignment.role,
            "org_unit_id": assignment.org_unit_id,
            "last_reviewed_at": now,
            "last_reviewed_by_id": actor.id,
        },
        occurred_at=now,
    )


def remove(actor: User, assignment: RoleAssignment) -> None:
    """ "Ta bort behörighet": the existing removal, which ends the person's sessions."""
    if not may_review(actor, assignment):
        raise DomainError(GONE)
    admin_service.remove_role(actor, assignment)


def review_many(actor: User, assignment_ids: list[int], now: datetime) -> tuple[int, int]:
    """Record a review of each id; returns (recorded, no longer there or not reviewable)."""
    done = gone = 0
    for assignment_id in dict.fromkeys(assignment_ids):
        assignment = find(actor, assignment_id)
        if assignment is None:
            gone += 1
            continue
        record_review(actor, assignment, now)
        done += 1
    return done, gone
