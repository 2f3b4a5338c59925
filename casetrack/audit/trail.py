"""Append-only audit entries with before/after values (DESIGN §4), and the access log.

Services call ``record`` after changing data; the entry joins the same transaction, so a
change and its audit entry are committed together or not at all. Views that show case
data call ``log_access`` in the transaction of the read (DESIGN §3, K3-72). Neither kind
of entry is ever updated or deleted: the ORM refuses it here, and database triggers refuse
it too. Security-relevant entries are also written to the JSON security stream after the
transaction commits (``casetrack.audit.security_log``, K3-77).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask, g, has_request_context, request
from sqlalchemy.orm import Session

from casetrack.audit import security_log
from casetrack.extensions import db
from casetrack.models import AccessLogEntry, AuditEntry, Case, User


class AuditLogImmutable(RuntimeError):
    """Raised when code tries to change or delete an audit or access-log entry."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(item) for item in value]
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    """Only the keys whose values differ, as (before, after) JSON-ready dicts."""
    changed = [key for key in after if before.get(key) != after.get(key)]
    return (
        {key: _jsonable(before.get(key)) for key in changed},
        {key: _jsonable(after.get(key)) for key in changed},
    )


def record(
    action: str,
    *,
    entity_type: str,
    entity_id: int | None,
    actor: User | None,
    case: Case | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_label: str | None = None,
    occurred_at: datetime | None = None,
) -> AuditEntry:
    """Add an audit entry to the current transaction (never commits).

    ``actor`` is the user who acted; ``actor_label`` names a non-user actor such as
    "e-tjänst" or "system". Values are stored as JSON.
    """
    before_json = {k: _jsonable(v) for k, v in before.items()} if before else None
    after_json = {k: _jsonable(v) for k, v in after.items()} if after else None
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        actor_label=actor_label,
        entity_type=entity_type,
        entity_id=entity_id,
        case_id=case.id if case is not None else None,
        action=action,
        before=before_json,
        after=after_json,
        remote_addr=request.remote_addr if has_request_context() else None,
    )
    if occurred_at is not None:
        entry.occurred_at = occurred_at
    # Security-relevant actions also go to the JSON stream once this transaction commits.
    security_log.from_audit(
        db.session(), action, actor=actor, actor_label=actor_label, entity_type=entity_type,
        entity_id=entity_id, before=before_json, after=after_json, occurred_at=occurred_at,
    )  # fmt: skip
    db.session.add(entry)
    return entry


def log_access(
    user: User | None, what: str, case: Case | None = None, detail: str | None = None
) -> AccessLogEntry:
    """Add an access-log entry for a read of personal data (never commits).

    ``what`` names the read: "case.view", "export", "registerutdrag" ...; ``detail`` is a
    short structured note (never search terms or free text, SECURITY.md K3-81).
    """
    entry = AccessLogEntry(
        user_id=user.id if user is not None else None,
        what=what,
        case_id=case.id if case is not None else None,
        org_unit_id=case.org_unit_id if case is not None else None,
        detail=detail,
        remote_addr=request.remote_addr if has_request_context() else None,
    )
    security_log.from_access_log(db.session(), user, what, entry.case_id, detail)
    db.session.add(entry)
    if has_request_context():
        g._access_logged = True
    return entry


def init_app(app: Flask) -> None:
    """Commit access-log entries a view added without writing anything else.

    A read-only view calls ``log_access`` and returns; the entry is committed here, after
    the page rendered and before it is sent. If the commit fails, the page is not sent
    (the error becomes a 500): case data is never shown without its access-log entry.
    Views that change data commit themselves, which commits the entry with the change.
    """

    @app.after_request
    def commit_access_log(response):
        if g.pop("_access_logged", False) and response.status_code < 400:
            db.session.commit()
        return response


@sa.event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, flush_context, instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry | AccessLogEntry) and (
            obj in session.deleted or session.is_modified(obj)
        ):
            raise AuditLogImmutable(f"{obj.__tablename__} is append-only")
