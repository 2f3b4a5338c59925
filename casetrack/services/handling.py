"""Handling a case: assignment, status, återkoppling and åtgärder (DESIGN §4 steps 3–5)."""

from __future__ import annotations

from datetime import date, datetime

from casetrack import audit
from casetrack.access import may_handle, unit_ids_for
from casetrack.domain.dates import local_date
from casetrack.domain.reference import EFFECT_VERDICTS, FEEDBACK_METHODS
from casetrack.domain.roles import Permission
from casetrack.extensions import db
from casetrack.models import Action, Case, Feedback, Status, User, utcnow
from casetrack.services.cases import case_snapshot
from casetrack.services.errors import DomainError, NotPermitted


def _require_handler(actor: User, case: Case) -> None:
    if not may_handle(actor, case):
        raise NotPermitted("Du kan inte handlägga det här ärendet.")


def _check_date(value: date, field: str, now: datetime, earliest: date | None = None) -> None:
    if value > local_date(now):
        raise DomainError("Datumet kan inte vara i framtiden.", field)
    if earliest is not None and value < earliest:
        raise DomainError("Datumet kan inte vara före det datum ärendet kom in.", field)


def _touch(case: Case, actor: User, now: datetime) -> None:
    case.updated_at = now
    case.updated_by_id = actor.id


def assign_handler(actor: User, case: Case, handler: User | None, *, now: datetime | None = None):
    """Make ``handler`` responsible for ``case`` (None: unassign). Audited."""
    now = now or utcnow()
    _require_handler(actor, case)
    if handler is not None and case.org_unit_id not in unit_ids_for(
        handler, Permission.CASE_HANDLE
    ):
        raise DomainError("Personen är inte handläggare för ärendets enhet.", "handler_id")
    before = case_snapshot(case)
    case.assigned_handler = handler
    case.assigned_handler_id = handler.id if handler else None
    _touch(case, actor, now)
    _audit_change(actor, case, before, now)


def change_status(actor: User, case: Case, status_code: str, *, now: datetime | None = None):
    """Move ``case`` to another status. Audited."""
    now = now or utcnow()
    _require_handler(actor, case)
    if db.session.get(Status, status_code) is None:
        raise DomainError("Välj en status i listan.", "status_code")
    before = case_snapshot(case)
    case.status_code = status_code
    _touch(case, actor, now)
    _audit_change(actor, case, before, now)


def give_feedback(
    actor: User,
    case: Case,
    *,
    given_on: date,
    given_to: str,
    method: str,
    summary: str,
    now: datetime | None = None,
) -> Feedback:
    """Record återkoppling given to whoever raised the case. Audited."""
    now = now or utcnow()
    _require_handler(actor, case)
    _check_date(given_on, "given_on", now, earliest=case.received_on)
    if method not in {item.code for item in FEEDBACK_METHODS}:
        raise DomainError("Välj hur återkopplingen gavs.", "method")
    if not given_to.strip():
        raise DomainError("Ange vem som fick återkopplingen.", "given_to")
    if not summary.strip():
        raise DomainError("Sammanfatta återkopplingen.", "summary")
    feedback = Feedback(
        case=case,
        given_on=given_on,
        given_to=given_to.strip(),
        method=method,
        summary=summary.strip(),
        created_at=now,
        created_by_id=actor.id,
    )
    db.session.add(feedback)
    _touch(case, actor, now)
    db.session.flush()
    audit.record(
        "feedback.given",
        entity_type="feedback",
        entity_id=feedback.id,
        case=case,
        actor=actor,
        after={"given_on": given_on, "method": method},
        occurred_at=now,
    )
    return feedback


def add_action(
    actor: User,
    case: Case,
    *,
    description: str,
    responsible: str,
    due_on: date | None = None,
    now: datetime | None = None,
) -> Action:
    """Add an åtgärd to ``case``. Audited."""
    now = now or utcnow()
    _require_handler(actor, case)
    if not description.strip():
        raise DomainError("Beskriv åtgärden.", "description")
    if not responsible.strip():
        raise DomainError("Ange vem som är ansvarig.", "responsible")
    action = Action(
        case=case,
        description=description.strip(),
        responsible=responsible.strip(),
        due_on=due_on,
        created_at=now,
        created_by_id=actor.id,
    )
    db.session.add(action)
    _touch(case, actor, now)
    db.session.flush()
    audit.record(
        "action.added",
        entity_type="action",
        entity_id=action.id,
        case=case,
        actor=actor,
        after={"due_on": due_on, "responsible": "(text)"},
        occurred_at=now,
    )
    return action


def complete_action(
    actor: User,
    action: Action,
    *,
    done_on: date,
    effect_evaluated_on: date | None = None,
    effect_verdict: str | None = None,
    now: datetime | None = None,
) -> None:
    """Mark an åtgärd done, optionally with its effect follow-up. Audited."""
    now = now or utcnow()
    case = action.case
    _require_handler(actor, case)
    _check_date(done_on, "done_on", now, earliest=case.received_on)
    if effect_verdict is not None:
        if effect_verdict not in {item.code for item in EFFECT_VERDICTS}:
            raise DomainError("Välj en bedömning av effekten.", "effect_verdict")
        if effect_evaluated_on is None:
            raise DomainError("Ange när effekten följdes upp.", "effect_evaluated_on")
        _check_date(effect_evaluated_on, "effect_evaluated_on", now, earliest=done_on)
    before = {
        "done_on": action.done_on,
        "effect_evaluated_on": action.effect_evaluated_on,
        "effect_verdict": action.effect_verdict,
    }
    action.done_on = done_on
    action.effect_evaluated_on = effect_evaluated_on
    action.effect_verdict = effect_verdict
    _touch(case, actor, now)
    after = {
        "done_on": done_on,
        "effect_evaluated_on": effect_evaluated_on,
        "effect_verdict": effect_verdict,
    }
    old, new = audit.diff(before, after)
    audit.record(
        "action.updated",
        entity_type="action",
        entity_id=action.id,
        case=case,
        actor=actor,
        before=old,
        after=new,
        occurred_at=now,
    )


def _audit_change(actor: User, case: Case, before: dict, now: datetime) -> None:
    old, new = audit.diff(before, case_snapshot(case))
    if new:
        audit.record(
            "case.updated",
            entity_type="case",
            entity_id=case.id,
            case=case,
            actor=actor,
            before=old,
            after=new,
            occurred_at=now,
        )
