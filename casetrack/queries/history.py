"""Reads for a case's history tab and the 409 page: its audit trail, and the names the
trail's ids stand for."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from casetrack.extensions import db
from casetrack.models import AuditEntry, Case, OrgUnit, User


def entries_for_case(case: Case) -> list[AuditEntry]:
    """The audit trail of one case, oldest first."""
    return list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.case_id == case.id)
            .order_by(AuditEntry.occurred_at, AuditEntry.id)
        )
    )


def user_names(user_ids: Iterable[int]) -> dict[int, str]:
    return dict(
        db.session.execute(sa.select(User.id, User.name).where(User.id.in_(set(user_ids)))).all()
    )


def unit_names(unit_ids: Iterable[int]) -> dict[int, str]:
    return dict(
        db.session.execute(
            sa.select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(set(unit_ids)))
        ).all()
    )
