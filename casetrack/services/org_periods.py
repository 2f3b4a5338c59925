"""The org tree's history: where a unit sat and what it was called, per period (issue 18).

Every change of a unit's parent or name ends the unit's open period the day before the
change takes effect and opens a new one (``org_unit_period``, migration 1050), so a report
for a past tertial can use the tree of that time (``access/org_tree.py``, ``OrgHistory``).
Called by the admin unit edit and by ``casetrack org import``, before they change the
unit; the caller audits the change itself. Closing a unit sets ``closed_on`` and leaves
its place in the tree as it was: its cases stay where they were counted.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from casetrack.domain.errors import DomainError
from casetrack.extensions import db
from casetrack.models import OrgUnit, OrgUnitPeriod


def _open_period(unit: OrgUnit) -> OrgUnitPeriod | None:
    return db.session.scalars(
        sa.select(OrgUnitPeriod)
        .where(OrgUnitPeriod.org_unit_id == unit.id, OrgUnitPeriod.valid_to.is_(None))
        .order_by(OrgUnitPeriod.id.desc())
    ).first()


def start(unit: OrgUnit, valid_from: date) -> OrgUnitPeriod:
    """The first period of a new unit (the unit must have been flushed: it needs its id)."""
    period = OrgUnitPeriod(
        org_unit_id=unit.id, parent_id=unit.parent_id, name=unit.name, valid_from=valid_from
    )
    db.session.add(period)
    return period


def place(unit: OrgUnit, *, parent_id: int | None, name: str, effective: date) -> None:
    """Record that from ``effective`` on ``unit`` sits under ``parent_id`` named ``name``.

    Call it *before* changing the unit: its present parent and name are what the ended
    period held. A second change on the same day replaces the first one's period; a date
    before the unit's latest change is refused (history is written forwards only).
    """
    if unit.parent_id == parent_id and unit.name == name:
        return
    current = _open_period(unit)
    if current is None:
        # No history yet (made before migration 1050 kept it, or by a bulk load): the
        # present position is the one it always had.
        current = OrgUnitPeriod(
            org_unit_id=unit.id, parent_id=unit.parent_id, name=unit.name, valid_from=None
        )
        db.session.add(current)
    if current.valid_from is not None and current.valid_from > effective:
        raise DomainError(
            f"Enheten {unit.code} ändrades senast med start {current.valid_from.isoformat()}. "
            "En ny ändring kan inte börja före det datumet."
        )
    if current.valid_from == effective:
        current.parent_id, current.name = parent_id, name
        return
    current.valid_to = effective
    db.session.add(
        OrgUnitPeriod(org_unit_id=unit.id, parent_id=parent_id, name=name, valid_from=effective)
    )


def close(unit: OrgUnit, day: date) -> None:
    """Close ``unit`` from ``day``: it stays in the tree, with its cases, marked closed."""
    unit.active = False
    unit.closed_on = day


def reopen(unit: OrgUnit) -> None:
    unit.active = True
    unit.closed_on = None
