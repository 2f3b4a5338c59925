"""Reference-data labels from the database, loaded once per request."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import g, has_request_context

from casetrack.extensions import db
from casetrack.models import CaseKind, Category, Channel, EventType, Source, Status

_MODELS = {
    "kind": CaseKind,
    "source": Source,
    "channel": Channel,
    "category": Category,
    "status": Status,
}


def options(name: str, *, active_only: bool = True) -> list[tuple[str, str]]:
    """(code, label) pairs of one reference table, in display order; cached per request
    (a list page asks for the same tables for its filters and its labels)."""
    cache = g.setdefault("_options", {}) if has_request_context() else {}
    key = (name, active_only)
    if key not in cache:
        model = _MODELS[name]
        stmt = sa.select(model.code, model.label).order_by(model.sort_order, model.code)
        if active_only:
            stmt = stmt.where(model.active.is_(True))
        cache[key] = [(code, label) for code, label in db.session.execute(stmt)]
    return list(cache[key])


def labels() -> dict[str, dict[str, str]]:
    """{"kind": {"complaint": "Klagomål", ...}, "status": {...}, ...}, cached per request."""
    if has_request_context() and "_labels" in g:
        return g._labels
    result = {name: dict(options(name, active_only=False)) for name in _MODELS}
    if has_request_context():
        g._labels = result
    return result


def status_types() -> dict[str, str]:
    """{status code: "open" | "closed"}."""
    return dict(db.session.execute(sa.select(Status.code, Status.type)).all())


def open_status_codes() -> list[str]:
    """The codes of the statuses of type "open", sorted; cached per request.

    Rendered as literal values so the planner can use the status indexes (a subquery on
    the status table hides them): at a million cases this decides between an index probe
    and a scan of every case in scope.
    """
    if has_request_context() and "_open_codes" in g:
        return g._open_codes
    codes = sorted(db.session.scalars(sa.select(Status.code).where(Status.type == "open")))
    if has_request_context():
        g._open_codes = codes
    return codes


@dataclass(frozen=True)
class EventTypeOption:
    code: str
    label: str
    group: str  # "hsl" or "sol_lss"
    parent_code: str | None
    description: str
    example: str
    active: bool


def event_types(*, active_only: bool = True) -> list[EventTypeOption]:
    """The händelsetyp tree in display order: by list (HSL, SoL/LSS), the most common
    first, each subtype right after its parent; cached per request."""
    cache = g.setdefault("_event_types", {}) if has_request_context() else {}
    if active_only not in cache:
        stmt = sa.select(
            EventType.code,
            EventType.label,
            EventType.lagrum_group,
            EventType.parent_code,
            EventType.description,
            EventType.example,
            EventType.active,
        ).order_by(EventType.lagrum_group, EventType.sort_order, EventType.code)
        if active_only:
            stmt = stmt.where(EventType.active.is_(True))
        rows = [EventTypeOption(*row) for row in db.session.execute(stmt)]
        children: dict[str, list[EventTypeOption]] = {}
        for row in rows:
            if row.parent_code is not None:
                children.setdefault(row.parent_code, []).append(row)
        ordered = []
        for row in rows:
            if row.parent_code is None or row.parent_code not in {r.code for r in rows}:
                ordered.append(row)
                ordered.extend(children.get(row.code, []))
        cache[active_only] = ordered
    return list(cache[active_only])


def event_type_labels() -> dict[str, str]:
    """{code: label} of every händelsetyp, inactive ones included (old cases keep theirs)."""
    return {row.code: row.label for row in event_types(active_only=False)}
