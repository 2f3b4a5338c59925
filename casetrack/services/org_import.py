"""Import the organisation tree from the source of truth (issue 18): ``casetrack org import``.

``plan(rows)`` compares a file's rows with today's tree (``domain/org_diff.py``) and counts
the cases each moved or closed unit carries; ``apply(plan, effective=…)`` makes every
change in the caller's transaction: new units, renames, moves, level changes, closing and
reopening, each with one audit entry (``actor_label`` "organisationsimport"), then one
summary entry. Moves and renames start a new period in the tree's history on the
effective date (a row's own ``valid_from`` wins), so reports for earlier tertials keep the
old tree. Units are never deleted: a unit missing from the file is closed from the
effective date and keeps its cases. A plan with problems applies nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from casetrack import audit
from casetrack.access import subtree_ids
from casetrack.domain.errors import DomainError
from casetrack.domain.org_diff import FileRow, OrgDiff, Problem, TreeUnit, diff
from casetrack.extensions import db
from casetrack.models import Case, OrgUnit, Status
from casetrack.services import admin, org_periods

ACTOR = "organisationsimport"


@dataclass(frozen=True)
class Impact:
    """The cases a moved unit takes along (its whole subtree) or a closed unit holds."""

    open_cases: int
    cases: int


@dataclass
class Plan:
    diff: OrgDiff
    impacts: dict[str, Impact]

    @property
    def problems(self) -> list[Problem]:
        return self.diff.problems


def _tree() -> tuple[list[OrgUnit], list[TreeUnit]]:
    units = list(db.session.scalars(sa.select(OrgUnit).order_by(OrgUnit.id)))
    codes = {unit.id: unit.code for unit in units}
    tree = [
        TreeUnit(
            id=unit.id,
            code=unit.code,
            name=unit.name,
            parent_code=codes.get(unit.parent_id) if unit.parent_id else None,
            level=unit.level,
            active=unit.active,
        )
        for unit in units
    ]
    return units, tree


def _case_counts(unit_ids: set[int]) -> dict[int, tuple[int, int]]:
    """{unit id: (open cases, cases)} for the units given, in one statement."""
    if not unit_ids:
        return {}
    is_open = sa.case((Status.type == "open", 1), else_=0)
    rows = db.session.execute(
        sa.select(Case.org_unit_id, sa.func.sum(is_open), sa.func.count())
        .join(Status, Status.code == Case.status_code)
        .where(Case.org_unit_id.in_(sorted(unit_ids)))
        .group_by(Case.org_unit_id)
    )
    return {unit_id: (int(open_ or 0), int(n)) for unit_id, open_, n in rows}


def _in_file_order(problem: Problem) -> tuple[int, int]:
    """Problems about the whole file first, then by line ("rad 4", "post 2")."""
    number = (problem.where or "").rpartition(" ")[2]
    return (1, int(number)) if number.isdigit() else (0, 0)


def plan(rows: list[FileRow], problems: list[Problem] = ()) -> Plan:
    """What importing ``rows`` would do; ``problems`` found while reading the file come
    first among the plan's problems."""
    units, tree = _tree()
    result = diff(rows, tree)
    result.problems[:0] = list(problems)
    result.problems.sort(key=_in_file_order)
    if result.problems:
        return Plan(result, {})
    by_code = {unit.code: unit for unit in units}
    reach = {change.code: subtree_ids({by_code[change.code].id}) for change in result.moved}
    reach |= {change.code: frozenset({by_code[change.code].id}) for change in result.closed}
    counts = _case_counts(set().union(*reach.values()) if reach else set())
    impacts = {
        code: Impact(
            open_cases=sum(counts.get(i, (0, 0))[0] for i in ids),
            cases=sum(counts.get(i, (0, 0))[1] for i in ids),
        )
        for code, ids in reach.items()
    }
    return Plan(result, impacts)


def _snapshot(unit: OrgUnit, codes: dict[int, str]) -> dict:
    return {
        "name": unit.name,
        "parent": codes.get(unit.parent_id) if unit.parent_id else None,
        "level": unit.level,
        "active": unit.active,
        "closed_on": unit.closed_on.isoformat() if unit.closed_on else None,
    }


def apply(plan: Plan, *, effective: date, file_digest: str | None = None) -> None:
    """Make the plan's changes (the caller commits once). Raises DomainError when the
    plan has problems or a change cannot be made (nothing is then to be committed)."""
    if plan.problems:
        raise DomainError(
            "Filen har fel och ingenting har ändrats: " + "; ".join(map(str, plan.problems))
        )
    changes = plan.diff
    by_code = {unit.code: unit for unit in db.session.scalars(sa.select(OrgUnit))}

    # New units, parents first (a new unit may sit under another new one).
    pending = list(changes.new)
    while pending:
        ready = [n for n in pending if not n.row.parent_code or n.row.parent_code in by_code]
        if not ready:  # cannot happen for a checked file: every parent is a row of it
            raise DomainError("Nya enheter saknar överordnad enhet: " + ", ".join(
                n.row.code for n in pending
            ))  # fmt: skip
        for new in ready:
            parent = by_code.get(new.row.parent_code) if new.row.parent_code else None
            by_code[new.row.code] = admin.create_unit(
                None, code=new.row.code, name=new.row.name.strip(), level=new.level,
                parent_id=parent.id if parent else None, actor_label=ACTOR,
                valid_from=new.row.valid_from or effective,
            )  # fmt: skip
            pending.remove(new)

    codes = {unit.id: code for code, unit in by_code.items()}
    touched: dict[str, tuple[dict, FileRow | None]] = {}

    def before(code: str, row: FileRow | None) -> OrgUnit:
        unit = by_code[code]
        touched.setdefault(code, (_snapshot(unit, codes), row))
        return unit

    renamed = {change.code: change for change in changes.renamed}
    moved = {change.code: change for change in changes.moved}
    for code in sorted(renamed.keys() | moved.keys()):
        change = moved.get(code) or renamed[code]
        unit = before(code, change.row)
        if code in moved:
            new_parent = moved[code].new_parent
            parent = by_code[new_parent] if new_parent else None
        else:
            parent = unit.parent
        name = renamed[code].new if code in renamed else unit.name
        org_periods.place(
            unit, parent_id=parent.id if parent else None, name=name,
            effective=change.row.valid_from or effective,
        )  # fmt: skip
        unit.name = name
        unit.parent = parent
        unit.parent_id = parent.id if parent else None
    for change in changes.relevelled:
        before(change.code, change.row).level = change.new
    for change in changes.reopened:
        org_periods.reopen(before(change.code, change.row))
    for change in changes.closed:
        day = (change.row.valid_from if change.row else None) or effective
        org_periods.close(before(change.code, change.row), day)

    for code, (old_values, _row) in sorted(touched.items()):
        unit = by_code[code]
        old, new = audit.diff(old_values, _snapshot(unit, codes))
        action = "unit.closed" if new.get("active") is False else "unit.updated"
        audit.record(
            action, entity_type="org_unit", entity_id=unit.id, actor=None, actor_label=ACTOR,
            before=old, after=new,
        )  # fmt: skip
    audit.record(
        "org.imported",
        entity_type="org_unit",
        entity_id=None,
        actor=None,
        actor_label=ACTOR,
        after={
            "new": len(changes.new),
            "renamed": len(changes.renamed),
            "moved": len(changes.moved),
            "closed": len(changes.closed),
            "reopened": len(changes.reopened),
            "relevelled": len(changes.relevelled),
            "unchanged": changes.unchanged,
            "effective": effective.isoformat(),
            "file_sha256": file_digest,
        },
    )
