"""Small reads of the web pages that have no query module of their own: one row of a
case (an åtgärd, a lex track, an attachment), units for a choice, a staff member's own
avvikelser, the cases of the list's export.

Every read of case data takes a case already loaded through ``access.get_case_or_404``
or states its scope in the WHERE clause (``access.case_scope``)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from casetrack.access import case_scope
from casetrack.domain.roles import Permission
from casetrack.extensions import db
from casetrack.models import Action, Attachment, Case, Escalation, OrgUnit, User


def _of_case(model, case: Case, row_id: int):
    row = db.session.get(model, row_id)
    return row if row is not None and row.case_id == case.id else None


def action_of(case: Case, action_id: int) -> Action | None:
    """The åtgärd ``action_id`` of ``case``; None for an unknown or another case's."""
    return _of_case(Action, case, action_id)


def track_of(case: Case, escalation_id: int) -> Escalation | None:
    """The lex track ``escalation_id`` of ``case``; None for an unknown or another case's."""
    return _of_case(Escalation, case, escalation_id)


def attachment_of(case: Case, attachment_id: int) -> Attachment | None:
    """The attachment ``attachment_id`` of ``case``; None for an unknown or another case's."""
    return _of_case(Attachment, case, attachment_id)


def unit(unit_id: int) -> OrgUnit | None:
    return db.session.get(OrgUnit, unit_id)


def units_by_name(unit_ids: Iterable[int], *, active_only: bool = False) -> list[OrgUnit]:
    """The units ``unit_ids`` (a user's scope), by name."""
    stmt = sa.select(OrgUnit).where(OrgUnit.id.in_(sorted(unit_ids)))
    if active_only:
        stmt = stmt.where(OrgUnit.active.is_(True))
    return list(db.session.scalars(stmt.order_by(OrgUnit.name)))


def active_units() -> list[OrgUnit]:
    """Every active unit (the e-tjänst's choice of verksamhet)."""
    return list(db.session.scalars(sa.select(OrgUnit).where(OrgUnit.active.is_(True))))


def case_by_id(case_id: int) -> Case | None:
    """A case by id, unscoped: only for a caller that proved its right to it (the
    e-tjänst's follow grant)."""
    return db.session.get(Case, case_id)


def case_id_by_reference(reference: str) -> int | None:
    """The id of the case with ``reference`` (unscoped: for the audit entry of a wrong
    follow attempt, which names the case it tried)."""
    return db.session.scalar(sa.select(Case.id).where(Case.reference == reference))


def _own_deviations(user: User):
    """Avvikelser ``user`` filed on the blankett, within their access scope."""
    return sa.and_(
        Case.created_by_id == user.id,
        Case.channel_code == "avvikelseblankett",
        case_scope(user, Permission.CASE_READ),
    )


def own_deviations(user: User, limit: int = 200) -> list[Case]:
    """Mina avvikelser, newest first."""
    return list(
        db.session.scalars(
            sa.select(Case)
            .where(_own_deviations(user))
            .options(joinedload(Case.org_unit), selectinload(Case.feedback))
            .order_by(Case.received_on.desc(), Case.id.desc())
            .limit(limit)
        ).all()
    )


def own_deviation(user: User, case_id: int) -> Case | None:
    """One avvikelse ``user`` filed (None for anything else)."""
    return (
        db.session.scalars(
            sa.select(Case)
            .where(Case.id == case_id, _own_deviations(user))
            .options(
                joinedload(Case.org_unit),
                selectinload(Case.feedback),
                selectinload(Case.categories),
            )
        )
        .unique()
        .one_or_none()
    )


def cases_for_export(stmt: sa.Select):
    """The cases of the list's (already scoped) statement, with what the CSV shows."""
    return db.session.scalars(
        stmt.options(
            joinedload(Case.org_unit),
            joinedload(Case.assigned_handler),
            selectinload(Case.categories),
            selectinload(Case.feedback),
            selectinload(Case.actions),
        )
    )
