"""Who may see and do what, scoped by org unit (DESIGN §3).

``unit_ids_for`` is the one scoping function: every query that reads cases, reports,
attachments or the audit log asks it which units the user may reach for a permission.
``case_scope`` turns that into a WHERE clause for cases (adding the staff rule "only what
you filed"), and ``get_case_or_404`` loads one case through it. Unknown and out-of-scope
ids both answer 404 so ids do not leak.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import abort, g, has_request_context
from flask_login import current_user

from casetrack.access import org_tree
from casetrack.access.org_tree import UnitIds
from casetrack.domain.roles import Permission, Role, roles_with
from casetrack.extensions import db
from casetrack.models import Case, EscalationInvestigator, RoleAssignment, User


def subtree_ids(root_ids: set[int]) -> UnitIds:
    """All unit ids at or below ``root_ids`` (any tree depth), from the org tree cached
    per process and checked against the database's tree version (casetrack/access/org_tree.py).

    A subtree that is the whole tree is marked ``all_units`` (``in_units`` then needs no
    condition).
    """
    if not root_ids:
        return UnitIds()
    return org_tree.current().subtree(root_ids)


def subtree_segments(root_id: int, start: date, end: date) -> list[org_tree.Segment]:
    """The units at or below ``root_id`` in the tree *as it was* from ``start`` to ``end``:
    ``[(first day, last day, unit ids)]``, one segment per stretch of days over which the
    subtree stayed the same (one, unless a reorganisation touched it within the range).

    For reports of past tertials (issue 18): a case counts under the units its unit was
    under on its received date. Access scoping never uses this: it follows today's tree.
    """
    return org_tree.current().history().segments(root_id, start, end)


def _root_units(user: User | None, permission: Permission) -> frozenset[int]:
    """The units on which ``user`` holds a role carrying ``permission`` (not expanded).

    The user's role assignments are read once per request.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return frozenset()
    cache = g.setdefault("_unit_scope", {}) if has_request_context() else {}
    assignments_key = ("assignments", user.id)
    if assignments_key not in cache:
        cache[assignments_key] = db.session.execute(
            sa.select(RoleAssignment.role, RoleAssignment.org_unit_id).where(
                RoleAssignment.user_id == user.id
            )
        ).all()
    roles = {role.value for role in roles_with(permission)}
    return frozenset(unit for role, unit in cache[assignments_key] if role in roles)


def unit_ids_for(user: User | None, permission: Permission) -> frozenset[int]:
    """The ids of the units where ``user`` holds ``permission`` (own unit and below).

    Inactive or anonymous users reach nothing. Within a request each distinct set of root
    units is expanded once (a page asks for several permissions; most resolve to the same
    units).
    """
    roots = _root_units(user, permission)
    if not roots:
        return frozenset()
    cache = g.setdefault("_unit_scope", {}) if has_request_context() else {}
    tree_key = ("subtree", roots)
    if tree_key not in cache:
        cache[tree_key] = subtree_ids(set(roots))
    return cache[tree_key]


def has_permission(user: User | None, permission: Permission, unit_id: int | None = None) -> bool:
    """True when ``user`` holds ``permission`` anywhere, or on ``unit_id`` if given."""
    if unit_id is None:
        # A role on a unit reaches that unit: no need to expand the subtree (the
        # navigation asks this for every menu item on every page).
        return bool(_root_units(user, permission))
    return unit_id in unit_ids_for(user, permission)


def in_units(column, unit_ids) -> sa.ColumnElement[bool]:
    """``column IN (unit_ids)``, as one array parameter on PostgreSQL.

    A förvaltning-wide scope holds ~1,650 unit ids; as an IN list each is its own bind
    parameter, and compiling and parsing those cost more than running the query. On
    PostgreSQL ``= ANY(%(ids)s)`` sends one array (the planner still sees the values).
    A scope of every unit there is (``UnitIds.all_units``: a role on the förvaltning)
    needs no condition at all: the database then reads the list in date order straight
    from its index instead of testing each case's unit.
    """
    ids = sorted(unit_ids)
    if not ids:
        return sa.false()
    if getattr(unit_ids, "all_units", False):
        return sa.true()
    bind = db.session.get_bind()
    if bind.dialect.name == "postgresql" and len(ids) > 20:
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == sa.any_(sa.bindparam(None, ids, type_=ARRAY(sa.Integer)))
    return column.in_(ids)


def in_units_param(column, name: str) -> sa.ColumnElement[bool]:
    """``column IN (:name)`` for a statement built once and run with many unit lists:
    the units are given at execution as ``{name: [ids]}`` (an array on PostgreSQL, an
    expanding IN list on SQLite)."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == sa.any_(sa.bindparam(name, type_=ARRAY(sa.Integer)))
    return column.in_(sa.bindparam(name, expanding=True))


def case_scope(
    user: User | None,
    permission: Permission = Permission.CASE_READ,
    within: frozenset[int] | set[int] | None = None,
):
    """A WHERE clause selecting exactly the cases ``user`` may reach for ``permission``.

    For reading, staff (CASE_READ_OWN) additionally reach the cases they filed themselves
    in their own units; they never see colleagues' cases. ``within`` narrows the answer to
    those units (a unit filter, the units one handles): the two sets are intersected here,
    so the database gets one list of units instead of two overlapping ones, which would
    make it misjudge how many cases match.
    """
    units = unit_ids_for(user, permission)
    if within is not None:
        units = units & frozenset(within)
    clause = in_units(Case.org_unit_id, units)
    if permission == Permission.CASE_READ:
        own_units = unit_ids_for(user, Permission.CASE_READ_OWN)
        if within is not None:
            own_units = own_units & frozenset(within)
        if own_units:
            clause = sa.or_(
                clause,
                sa.and_(Case.created_by_id == user.id, in_units(Case.org_unit_id, own_units)),
            )
    if permission in INVESTIGATOR_REACHES:
        assigned = investigated_cases(user, within)
        if assigned is not None:
            clause = sa.or_(clause, assigned)
    return clause


# What an independent lex Sarah-utredare does on the cases they are assigned (issue 19):
# read them, and record the utredning and the lex Sarah steps.
INVESTIGATOR_REACHES = frozenset({Permission.CASE_READ, Permission.ESCALATION_RECORD})


def investigated_cases(
    user: User | None, within: frozenset[int] | set[int] | None = None
) -> sa.ColumnElement[bool] | None:
    """The cases whose lex Sarah utredning ``user`` is the current independent utredare of,
    in the units where they hold the role (issue 19); None for everyone without the role,
    whose scope then stays exactly as it was."""
    if user is None or not _root_units(user, Permission.LEX_SARAH_INVESTIGATE):
        return None
    units = unit_ids_for(user, Permission.LEX_SARAH_INVESTIGATE)
    if within is not None:
        units = units & frozenset(within)
    return sa.and_(
        in_units(Case.org_unit_id, units),
        Case.id.in_(
            sa.select(EscalationInvestigator.case_id).where(
                EscalationInvestigator.investigator_id == user.id,
                EscalationInvestigator.ended_at.is_(None),
            )
        ),
    )


def is_assigned_investigator(user: User | None, case: Case) -> bool:
    """True when ``user`` is the current independent lex Sarah-utredare of ``case`` and
    holds the role on its unit (a role removed or moved ends the reach at once)."""
    if user is None or case.org_unit_id not in unit_ids_for(user, Permission.LEX_SARAH_INVESTIGATE):
        return False
    return (
        db.session.scalar(
            sa.select(EscalationInvestigator.id).where(
                EscalationInvestigator.case_id == case.id,
                EscalationInvestigator.investigator_id == user.id,
                EscalationInvestigator.ended_at.is_(None),
            )
        )
        is not None
    )


def get_case_or_404(
    case_id: int, permission: Permission = Permission.CASE_READ, options: tuple = ()
) -> Case:
    """Load a case the current user may reach for ``permission``; otherwise 404.

    ``options`` are loader options (eager loads) for the page that shows the case.
    """
    case = (
        db.session.scalars(
            sa.select(Case)
            .where(Case.id == case_id, case_scope(current_user, permission))
            .options(*options)
        )
        .unique()
        .one_or_none()
    )
    if case is None:
        abort(404)
    return case


def may_handle(user: User, case: Case) -> bool:
    """True when ``user`` may handle (assign, answer, close) ``case``."""
    return case.org_unit_id in unit_ids_for(user, Permission.CASE_HANDLE)


def is_admin(user: User | None) -> bool:
    """True when ``user`` holds the systemadministratör role."""
    return has_permission(user, Permission.ADMINISTER)


def roles_of(user: User) -> set[Role]:
    """The roles ``user`` holds on any unit."""
    return {Role(assignment.role) for assignment in user.role_assignments}
